import { AppError } from '../../platform/errors.js';
import type { KeyPrincipal } from './principal.js';

interface ParsedOrigin {
  scheme: string;
  host: string;
  port: string;
}

/** `scheme://host[:port]` with default ports made explicit and the host lowercased. */
function parse(origin: string): ParsedOrigin | undefined {
  const m = /^(https?):\/\/([^/:?#]+)(?::(\d{1,5}))?$/i.exec(origin.trim());
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  return { scheme, host: m[2]!.toLowerCase(), port: m[3] ?? (scheme === 'https' ? '443' : '80') };
}

/**
 * README §3.3: an entry matches when scheme and port are equal and the host is equal, or, for
 * `https://*.example.com`, ends in `.example.com` after one or more labels.
 */
export function originMatches(origin: string, entry: string): boolean {
  const o = parse(origin);
  const e = parse(entry);
  if (!o || !e || o.scheme !== e.scheme || o.port !== e.port) return false;
  if (e.host.startsWith('*.')) {
    const suffix = e.host.slice(1); // ".example.com"
    const labels = o.host.slice(0, -suffix.length);
    return o.host.endsWith(suffix) && labels.length > 0 && /^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(labels);
  }
  return o.host === e.host;
}

/** Public keys with allowed origins need a matching `Origin` header (403 origin_not_allowed). */
export function assertOriginAllowed(principal: KeyPrincipal, origin: string | undefined): void {
  const allowed = principal.allowedOrigins;
  if (principal.type !== 'public' || !allowed || allowed.length === 0) return;
  if (origin !== undefined && allowed.some((entry) => originMatches(origin, entry))) return;
  throw new AppError('origin_not_allowed', 'This key may not be used from this origin.', {
    origin: origin ?? null,
  });
}
