/**
 * `node --expose-gc --import tsx bench/streamtext-memory.ts` (MODE=direct for the provider
 * stream alone): heap held per open call, N calls open at once on a model that streams one token
 * and waits. Why the gateway does not use streamText (ADR 0006).
 */
import type { LanguageModelV3, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { streamText } from 'ai';
const N = 1000;
const mode = process.env.MODE ?? 'streamText';
const model: LanguageModelV3 = {
  specificationVersion: 'v3' as const,
  provider: 'x',
  modelId: 'x',
  supportedUrls: {},
  async doGenerate() {
    throw new Error('no');
  },
  async doStream(_options) {
    return {
      stream: new ReadableStream<LanguageModelV3StreamPart>({
        start(c) {
          c.enqueue({ type: 'stream-start', warnings: [] });
          c.enqueue({ type: 'text-start', id: '1' });
          c.enqueue({ type: 'text-delta', id: '1', delta: 'hello ' });
        },
      }),
    };
  },
};
const gc = (globalThis as { gc?: () => void }).gc!;
gc();
gc();
const before = process.memoryUsage().heapUsed;
const keep: unknown[] = [];
let firsts = 0;
for (let i = 0; i < N; i++) {
  if (mode === 'streamText') {
    const r = streamText({
      model,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello' }],
      maxRetries: 1,
      onError: () => undefined,
    });
    keep.push(r);
    void (async () => {
      for await (const p of r.fullStream) {
        if (p.type === 'text-delta') {
          firsts++;
        }
      }
    })();
  } else {
    const { stream } = await model.doStream({ prompt: [] });
    keep.push(stream);
    void (async () => {
      for await (const p of stream) {
        if (p.type === 'text-delta') firsts++;
      }
    })();
  }
}
while (firsts < N) await new Promise((r) => setTimeout(r, 10));
gc();
gc();
console.log(
  `${mode}: ${((process.memoryUsage().heapUsed - before) / N / 1024).toFixed(1)} KiB heap per open call`,
);
