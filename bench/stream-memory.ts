/**
 * `npx tsx bench/stream-memory.ts`: heap per open stream, measured after garbage collection (the
 * suite's scenario 4 reports RSS, which also counts garbage not yet collected). Opens N
 * (default 1,000) streams on Papo in a child process (in-memory PGlite, demo model at one word
 * a second), waits until each has its first token, and compares with the idle server.
 * PROVIDER=openai-compatible goes through the real provider path to a fake model (one token
 * a second). SNAPSHOT=1 also writes a heap snapshot of the server with every stream open.
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'undici';
import { startFakeLlmServer } from '../test/fake-llm-server.js';

const N = Number(process.env['N'] ?? 1000);
const fake =
  process.env['PROVIDER'] === 'openai-compatible'
    ? await startFakeLlmServer({
        record: false,
        scenario: {
          kind: 'reply',
          reply: Array.from({ length: 60 }, (_, i) => `w${i} `),
          chunkDelayMs: 1000,
        },
      })
    : undefined;
const child = fork('bench/stream-memory-server.ts', {
  execArgv: ['--expose-gc', '--import', 'tsx'],
  env: { ...process.env, ...(fake && { FAKE_URL: fake.url }) },
});
type Memory = { rss: number; heap: number; external: number };
const ask = <T>(m: string) =>
  new Promise<T>((resolve) => {
    child.once('message', (x) => resolve(x as T));
    child.send(m);
  });
const server = await new Promise<{ url: string; agentId: string; key: string }>((resolve) =>
  child.once('message', (x) => resolve(x as never)),
);
const agent = new Agent({ connections: null });
const headers = { 'x-api-key': server.key, 'content-type': 'application/json' };
const sessions: string[] = [];
for (let i = 0; i < N; i++) {
  const r = await request(`${server.url}/v1/agents/${server.agentId}/sessions`, {
    method: 'POST',
    headers,
    body: '{}',
    dispatcher: agent,
  });
  sessions.push(((await r.body.json()) as { id: string }).id);
}
const idle = await ask<Memory>('memory');
if (process.env['SNAPSHOT'] === '1') console.log(`heap snapshot (idle): ${await ask<string>('snapshot')}`);
let started = 0;
const allStarted = new Promise<void>((resolve) => {
  for (const s of sessions) {
    void request(`${server.url}/v1/agents/sessions/${s}/messages/stream`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ content: 'Hello there, tell me a long story' }),
      dispatcher: agent,
    }).then(async (res) => {
      let seen = false;
      for await (const chunk of res.body) {
        if (!seen && String(chunk).includes('agent_message.delta')) {
          seen = true;
          if (++started === N) resolve();
        }
      }
    });
  }
});
await allStarted;
const open = await ask<Memory>('memory');
const per = (k: keyof Memory) => ((open[k] - idle[k]) / N / 1024).toFixed(1);
console.log(
  `${N} open streams, per stream: heap ${per('heap')} KiB, external ${per('external')} KiB, RSS ${per('rss')} KiB`,
);
if (process.env['SNAPSHOT'] === '1') console.log(`heap snapshot: ${await ask<string>('snapshot')}`);
child.kill();
process.exit(0);
