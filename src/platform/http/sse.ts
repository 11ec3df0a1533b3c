import type { FastifyReply, FastifyRequest } from 'fastify';
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
  const res = reply.raw;
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.on('close', onClose);

  reply.hijack();
  const headers: Record<string, string | number | string[]> = {};
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v as string;
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();

  const write = async (chunk: string) => {
    if (gone.signal.aborted || res.writableEnded) return;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  };

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
    for await (const ev of events(gone.signal)) {
      if (gone.signal.aborted) break;
      lastWrite = Date.now();
      const id = opts.resumable !== false && ev.id !== undefined ? `id: ${ev.id}\n` : '';
      await write(`${id}event: ${ev.event}\ndata: ${ev.json}\n\n`);
    }
  } catch (err) {
    request.log.error({ err }, 'sse writer failed');
  } finally {
    clearInterval(timer);
    res.off('close', onClose);
    if (!res.writableEnded) res.end();
  }
}
