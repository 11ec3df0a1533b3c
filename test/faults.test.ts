import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSession, newWorld, type World } from './factories.js';
import { createTestApp, type TestApp } from './harness.js';
import { scriptedModel } from './mock-model.js';

// Faults: a client that leaves a sync request, and a database that goes away.
let t: TestApp;
let base: string;
const slow = scriptedModel({ delayMs: 80, chunks: ['kept ', 'even ', 'if ', 'you ', 'leave'] });

beforeAll(async () => {
  t = await createTestApp({ providers: { mock: () => slow.model } });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => t.close());

describe('faults', () => {
  let w: World;
  it('a sync request whose client disconnects still stores the reply', async () => {
    w = await newWorld(t, { model: 'mock:slow' });
    const sid = await newSession(t, w);
    const abort = new AbortController();
    const req = fetch(`${base}/v1/agents/sessions/${sid}/messages`, {
      method: 'POST',
      headers: { 'x-api-key': w.key, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'answer slowly' }),
      signal: abort.signal,
    }).catch(() => undefined);
    // leave once the model is generating, whatever the machine's speed
    while (slow.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 40));
    abort.abort();
    await req;
    const deadline = Date.now() + 5000;
    let items: Array<{ role: string; status: string; content: Array<{ text: string }> }> = [];
    while (Date.now() < deadline) {
      const res = await t.app.inject({
        method: 'GET',
        url: `/v1/agents/sessions/${sid}/messages`,
        headers: { 'x-api-key': w.key },
      });
      items = res.json().items;
      if (items.length === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(items.map((m) => `${m.role}:${m.status}`)).toEqual(['user:completed', 'assistant:completed']);
    expect(items[1]!.content[0]!.text).toBe('kept even if you leave');
  });

  it('clients that give up early never block their conversation', async () => {
    const w2 = await newWorld(t);
    const sid = await newSession(t, w2);
    const url = `${base}/v1/agents/sessions/${sid}/messages`;
    const init = {
      method: 'POST',
      headers: { 'x-api-key': w2.key, 'content-type': 'application/json' },
      body: '{"content":"x"}',
    };
    for (let i = 0; i < 40; i++) {
      const abort = new AbortController();
      const req = fetch(url, { ...init, signal: abort.signal }).catch(() => undefined);
      setTimeout(() => abort.abort(), i % 5);
      await req;
    }
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
  });

  it('answers 503 service_unavailable with Retry-After, and no internals, when the database is gone', async () => {
    const sid = await newSession(t, w);
    await t.db.close();
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${sid}`,
      headers: { 'x-api-key': w.key },
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    const body = res.json();
    expect(body.error.code).toBe('service_unavailable');
    expect(res.body).not.toMatch(/PGlite|ECONN|at .*\.(ts|js):\d+/);
    const health = await t.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(503);
  });
});
