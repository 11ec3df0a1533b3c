import { describe, expect, it } from 'vitest';
import { readSse, SseStalledError, type SseEvent } from '../../web/shared/sse.js';

// The browser-side SSE reader shared by the widget and the dashboard playground.
function body(chunks: string[], opts: { hang?: boolean } = {}): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const x of chunks) c.enqueue(enc.encode(x));
      if (!opts.hang) c.close();
    },
  });
}

describe('readSse', () => {
  it('parses events split anywhere, CRLF and CR line ends, comments and multi-line data', async () => {
    const events: SseEvent[] = [];
    const text =
      'retry: 3000\r\n: keep-alive\r\nid: 1\r\nevent: a\r\ndata: {"x":\r\ndata: 1}\r\n\r\nid: 2\revent: b\rdata: 2\r\r';
    await readSse(body(text.split('')), (e) => events.push(e));
    expect(events).toEqual([
      { id: '1', event: 'a', data: '{"x":\n1}' },
      { id: '2', event: 'b', data: '2' },
    ]);
  });

  it('gives up on a connection that sends nothing, not even a keep-alive, for idleMs', async () => {
    const events: SseEvent[] = [];
    const reading = readSse(body(['id: 1\nevent: a\ndata: 1\n\n'], { hang: true }), (e) => events.push(e), {
      idleMs: 100,
    });
    await expect(reading).rejects.toBeInstanceOf(SseStalledError);
    expect(events).toHaveLength(1);
  });

  it('keeps reading a slow stream whose gaps stay under idleMs', async () => {
    const enc = new TextEncoder();
    const slow = new ReadableStream<Uint8Array>({
      async start(c) {
        for (let i = 1; i <= 3; i++) {
          await new Promise((r) => setTimeout(r, 20));
          c.enqueue(enc.encode(`id: ${i}\nevent: a\ndata: ${i}\n\n`));
        }
        c.close();
      },
    });
    const events: SseEvent[] = [];
    // gaps of 20 ms against 2 s: a loaded machine cannot turn one into a stall
    await readSse(slow, (e) => events.push(e), { idleMs: 2_000 });
    expect(events.map((e) => e.data)).toEqual(['1', '2', '3']);
  });
});
