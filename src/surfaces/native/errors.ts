import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppError } from '../../platform/errors.js';
import { toAppError } from '../../platform/http/error-mapping.js';

/** quintus.md §4.1 envelope. */
export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      name: Type.String(),
      message: Type.String(),
      context: Type.Record(Type.String(), Type.Unknown()),
    }),
    request_id: Type.String(),
    timestamp: Type.String({ format: 'date-time' }),
  },
  { $id: 'ErrorEnvelope', description: 'Every non-2xx response of the native API.' },
);

export function envelope(error: AppError, requestId: string) {
  return {
    error: { code: error.code, name: error.name, message: error.message, context: error.context },
    request_id: requestId,
    timestamp: new Date().toISOString(),
  };
}

export function sendNativeError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { error, unexpected } = toAppError(err);
  if (unexpected) request.log.error({ err }, 'unhandled error');
  else if (error.status >= 500) request.log.warn({ code: error.code, msg: error.message }, 'request failed');
  for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
  return reply.status(error.status).type('application/json; charset=utf-8').send(envelope(error, request.id));
}

/** Error responses for a route's OpenAPI entry. */
export function errorResponses(...statuses: number[]) {
  const out: Record<number, unknown> = {};
  for (const s of statuses) out[s] = { $ref: 'ErrorEnvelope#', description: 'Error envelope' };
  return out;
}
