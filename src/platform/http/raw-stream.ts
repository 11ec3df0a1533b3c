import type { FastifyReply } from 'fastify';

/**
 * A streamed response written on the raw socket (SSE, EvaGPT's chunked text): `gone` aborts when
 * the client leaves; `start` hijacks the reply and sends the headers Fastify has collected so far
 * (request id, rate-limit headers…) plus the stream's own; `write` honours backpressure and does
 * nothing once the client is gone; `dispose` stops watching the socket.
 */
export function rawStream(reply: FastifyReply) {
  const res = reply.raw;
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.on('close', onClose);
  return {
    gone: gone.signal,
    res,
    start(headers: Record<string, string>): void {
      reply.hijack();
      const collected: Record<string, string | number | string[]> = {};
      for (const [k, v] of Object.entries(reply.getHeaders()))
        if (v !== undefined) collected[k] = v as string;
      res.writeHead(200, { ...collected, ...headers });
      res.flushHeaders();
    },
    async write(chunk: string): Promise<void> {
      if (gone.signal.aborted || res.writableEnded || chunk === '') return;
      if (res.write(chunk)) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    },
    dispose(): void {
      res.off('close', onClose);
    },
  };
}
