import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendSse } from '../../platform/http/sse.js';
import type { GenniaEvents } from './chat.service.js';

/**
 * Gennia's SSE framing (gennia.md §3.2): `event:` + one compact JSON `data:` line, no `id:` or
 * `retry:` lines (no resume on this surface), through the one SSE writer (keep-alive,
 * backpressure; a client that leaves only stops this reader, never the generation).
 */
export function sendGenniaSse(
  request: FastifyRequest,
  reply: FastifyReply,
  events: GenniaEvents,
  opts: { keepAliveMs?: number } = {},
): Promise<void> {
  return sendSse(
    request,
    reply,
    async function* (signal) {
      for await (const ev of events(signal)) yield { event: ev.event, json: JSON.stringify(ev.data) };
    },
    { ...opts, resumable: false },
  );
}
