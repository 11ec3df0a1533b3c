/**
 * `npx tsx bench/turn-trace.ts`: the statements one sync turn sends to PostgreSQL, with the time
 * each takes, measured in process (no HTTP client) on the demo model. Shows where a turn waits.
 * Needs PostgreSQL on 127.0.0.1 (PAPO_TEST_DATABASE_URL to override).
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { createTestApp } from '../test/harness.js';
import { newAgent, newKey, newWorkspace } from '../test/factories.js';

const trace: Array<{ text: string; ms: number }> = [];
let tracing = false;
const original = pg.Client.prototype.query as (...a: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const started = performance.now();
  const first = args[0];
  const text = typeof first === 'string' ? first : ((first as { text?: string })?.text ?? '?');
  const record = () => {
    if (tracing)
      trace.push({ text: text.replace(/\s+/g, ' ').slice(0, 140), ms: performance.now() - started });
  };
  const last = args.length - 1;
  const cb = args[last];
  if (typeof cb === 'function')
    args[last] = (...r: unknown[]) => {
      record();
      return (cb as (...x: unknown[]) => unknown)(...r);
    };
  const out = original.apply(this, args);
  if (out instanceof Promise) void out.finally(record);
  return out;
} as typeof pg.Client.prototype.query;

if (process.env['PAPO_TEST_DB'] !== 'postgres') throw new Error('run with PAPO_TEST_DB=postgres');
const t = await createTestApp({ env: { PAPO_RATE_LIMIT_SECRET_KEY: '1000000' } });
if (process.env['TRACE_WITHOUT_SEARCH_INDEXES'] === '1') {
  // what the search indexes (migration 0002) cost a turn
  await t.db.db.execute(sql`drop index messages_search_trgm_idx`);
  await t.db.db.execute(sql`drop index conversations_text_trgm_idx`);
}
const ws = await newWorkspace(t);
const agentId = await newAgent(t, ws);
const key = (await newKey(t, ws)).key;
const headers = { 'x-api-key': key, 'content-type': 'application/json' };
const session = (
  await t.app.inject({ method: 'POST', url: `/v1/agents/${agentId}/sessions`, headers, payload: {} })
).json<{ id: string }>().id;
const turn = async () => {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/agents/sessions/${session}/messages`,
    headers,
    payload: { content: 'Hello' },
  });
  if (res.statusCode !== 200) throw new Error(`turn failed: ${res.statusCode} ${res.body}`);
};
for (let i = 0; i < 200; i++) await turn(); // warm up
const N = Number(process.env['TRACE_TURNS'] ?? 300);
const started = performance.now();
for (let i = 0; i < N; i++) await turn();
const perTurn = (performance.now() - started) / N;
tracing = true;
await turn();
tracing = false;
console.log(`in-process sync turn: ${perTurn.toFixed(2)} ms mean over ${N}`);
console.log(
  `statements in one turn: ${trace.length}, ${trace.reduce((s, q) => s + q.ms, 0).toFixed(2)} ms in the driver`,
);
for (const q of trace) console.log(`${q.ms.toFixed(2).padStart(6)} ms  ${q.text}`);
await t.close();
