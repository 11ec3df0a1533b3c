import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { toAppError } from '../../platform/http/error-mapping.js';
import { headerValue } from '../../platform/http/headers.js';
import { validateIdempotencyKey } from '../../platform/http/idempotency.js';
import { envelope } from './errors.js';

/**
 * Runs a native endpoint under its optional Idempotency-Key (quintus.md §3): replays carry
 * `Idempotency-Replayed: true`; stored bodies are this surface's wire bodies.
 */
export async function replyIdempotent(
  services: Services,
  req: FastifyRequest,
  reply: FastifyReply,
  call: { workspaceId: string; scope: string },
  execute: (started: () => void) => Promise<unknown>,
): Promise<FastifyReply> {
  const key = headerValue(req, 'idempotency-key');
  validateIdempotencyKey(key);
  const result = await services.runtime.idempotency.run(
    { ...call, key, body: req.body },
    async (started) => ({ status: 200, body: await execute(started) }),
    (err) => {
      const { error } = toAppError(err);
      return { status: error.status, body: envelope(error, req.id) };
    },
  );
  if (result.replayed) reply.header('Idempotency-Replayed', 'true');
  return reply.status(result.status).send(result.body as never);
}
