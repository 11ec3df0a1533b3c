import type { FastifyReply, FastifyRequest } from 'fastify';
import { rawStream } from './raw-stream.js';
export const KEEP_ALIVE_MS = 15_000;

/** One event: `json` is its serialised data; `id` only on resumable streams (the replay buffer's ids). */
export interface SseEvent {
  id?: number | string;
  event: string;
  json: string;
}

/**
 * The one SSE writer (STYLE §10). Sends the headers Fastify has collected so far plus the SSE
 * ones, `retry: 3000`, each event as `id/event/data`, a keep-alive comment after 15 s of
 * silence, and closes after the source ends. A client that leaves only stops this reader:
 * the generation behind `events` keeps running and stays replayable. `resumable: false` (a
 * surface without resume, e.g. Gennia) sends no `retry:` line and no `id:` lines.
 */
export async function sendSse(
  request: FastifyRequest,
  reply: FastifyReply,
  events: (signal: AbortSignal) => AsyncIterable<SseEvent>,
  opts: { keepAliveMs?: number; resumable?: boolean } = {},
): Promise<void> {
  const stream = rawStream(reply);
  const { gone, write } = stream;
  stream.start({
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });

  const keepAliveMs = opts.keepAliveMs ?? KEEP_ALIVE_MS;
  let lastWrite = Date.now();
  const timer = setInterval(
    () => {
      if (Date.now() - lastWrite >= keepAliveMs) {
        lastWrite = Date.now();
        void write(': keep-alive\n\n');
      }
    },
    Math.min(keepAliveMs, 1000),
  );

  try {
    if (opts.resumable !== false) await write('retry: 3000\n\n');
    for await (const ev of events(gone)) {
      if (gone.aborted) break;
      lastWrite = Date.now();
      const id = opts.resumable !== false && ev.id !== undefined ? `id: ${ev.id}\n` : '';
      await write(`${id}event: ${ev.event}\ndata: ${ev.json}\n\n`);
    }
  } catch (err) {
    request.log.error({ err }, 'sse writer failed');
  } finally {
    clearInterval(timer);
    stream.dispose();
    if (!stream.res.writableEnded) stream.res.end();
  }
}
