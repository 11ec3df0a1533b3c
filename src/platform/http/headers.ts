import type { FastifyRequest } from 'fastify';

export function headerValue(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name.toLowerCase()];
  if (Array.isArray(v)) return v[0];
  return v === undefined || v === '' ? undefined : v;
}

/** The token of `Authorization: Bearer <token>` (scheme word case-insensitive), or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const auth = headerValue(request, 'authorization');
  if (!auth) return undefined;
  const m = /^bearer\s+(\S+)\s*$/i.exec(auth);
  return m?.[1];
}
