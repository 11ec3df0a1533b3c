import type { FastifyReply, FastifyRequest } from 'fastify';
import { KEEP_ALIVE_MS } from '../../platform/http/sse.js';
import type { GenniaEvents } from './chat.service.js';

/**
 * Gennia's SSE framing (gennia.md §3.2): `event:` + one compact JSON `data:` line, no `id:` or
 * `retry:` lines (no resume on this surface), `: keep-alive` after 15 s of silence. Otherwise
 * the same contract as platform/http/sse.ts: headers collected so far plus the SSE ones,
 * backpressure, and a client that leaves only stops this reader, never the generation.
 */
export async function sendGenniaSse(
  request: FastifyRequest,
  reply: FastifyReply,
  events: GenniaEvents,
  opts: { keepAliveMs?: number } = {},
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
    for await (const ev of events(gone.signal)) {
      if (gone.signal.aborted) break;
      lastWrite = Date.now();
      await write(`event: ${ev.event}\ndata: ${JSON.stringify(ev.data)}\n\n`);
    }
  } catch (err) {
    request.log.error({ err }, 'gennia sse writer failed');
  } finally {
    clearInterval(timer);
    res.off('close', onClose);
    if (!res.writableEnded) res.end();
  }
}
