/**
 * The server half of bench/stream-memory.ts: Papo in process, the demo model at one word a
 * second, or the real openai-compatible provider path when FAKE_URL names a fake model.
 */
import v8 from 'node:v8';
import { createTestApp } from '../test/harness.js';
import { newAgent, newKey, newWorkspace } from '../test/factories.js';

const fake = process.env['FAKE_URL'];
const t = await createTestApp({
  env: {
    PAPO_DEMO_WORD_DELAY_MS: '1000',
    PAPO_RATE_LIMIT_SECRET_KEY: '1000000',
    ...(fake && { PAPO_OPENAI_COMPATIBLE_BASE_URL: fake }),
  },
});
const ws = await newWorkspace(t);
const agentId = await newAgent(t, ws, fake ? { model: 'openai-compatible:fake' } : {});
const key = (await newKey(t, ws)).key;
const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
const gc = (globalThis as { gc?: () => void }).gc!;
const memory = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external };
};
process.on('message', (msg) => {
  if (msg === 'memory') process.send!(memory());
  if (msg === 'snapshot') process.send!(v8.writeHeapSnapshot());
});
process.send!({ url, agentId, key });
