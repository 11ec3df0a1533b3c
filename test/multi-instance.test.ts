import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAgent, newKey, newWorkspace } from './factories.js';
import { createTestCluster, TEST_DRIVER, type TestApp } from './harness.js';
import { mockRegistry } from './mock-model.js';
import { parseSse, readUntil } from './sse-client.js';

/**
 * Several Papo instances on one PostgreSQL database and one Redis (README: REDIS_URL), as a
 * load balancer spreads one conversation's requests over them.
 */
describe.skipIf(TEST_DRIVER !== 'postgres')('multi-instance (PostgreSQL + Redis)', () => {
  const mocks = mockRegistry();
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const nodes = await createTestCluster(2, { providers: { mock: mocks.provider } });
    a = nodes[0]!;
    b = nodes[1]!;
  });
  afterAll(async () => {
    await a?.close();
  });

  it('one generation at a time per conversation, in arrival order, across instances', async () => {
    const model = mocks.register('cluster-turns', {
      delayMs: 25,
      chunks: (o) => {
        const users = o.prompt.filter((m) => m.role === 'user');
        const last = users.at(-1)!.content as Array<{ type: string; text?: string }>;
        return [`re: ${last[0]!.text} `, `after ${users.length - 1} `, 'earlier'];
      },
    });
    const ws = await newWorkspace(a);
    const agent = await newAgent(a, ws, { model });
    const { key } = await newKey(a, ws);
    const created = await a.app.inject({
      method: 'POST',
      url: `/v1/agents/${agent}/sessions`,
      headers: { 'x-api-key': key },
      payload: {},
    });
    const session = created.json<{ id: string }>().id;

    const sends: Promise<{ statusCode: number; body: string }>[] = [];
    for (let i = 0; i < 6; i++) {
      const node = i % 2 === 0 ? a : b;
      sends.push(
        node.app.inject({
          method: 'POST',
          url: `/v1/agents/sessions/${session}/messages`,
          headers: { 'x-api-key': key },
          payload: { content: `m${i}` },
        }),
      );
      await new Promise((r) => setTimeout(r, 20)); // arrival order m0, m1, …
    }
    for (const res of await Promise.all(sends)) expect(res.statusCode, res.body).toBe(200);

    const list = await b.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${session}/messages?limit=100`,
      headers: { 'x-api-key': key },
    });
    expect(list.statusCode, list.body).toBe(200);
    const texts = list
      .json<{ items: Array<{ role: string; content: Array<{ text: string }> }> }>()
      .items.map((m) => `${m.role}:${m.content[0]!.text}`);
    expect(texts).toEqual(
      Array.from({ length: 6 }, (_, i) => [`user:m${i}`, `assistant:re: m${i} after ${i} earlier`]).flat(),
    );
    // each generation saw every earlier reply: none started before the one ahead was stored
    const prompts = mocks.calls
      .get('cluster-turns')!
      .map((c) => c.prompt.filter((m) => m.role !== 'system').length);
    expect(prompts).toEqual([1, 3, 5, 7, 9, 11]);
  });

  it('a stream started on one instance resumes on another from Last-Event-ID, live to the end', async () => {
    const model = mocks.register('cluster-stream', {
      delayMs: 40,
      chunks: Array.from({ length: 12 }, (_, i) => `w${i} `),
    });
    const ws = await newWorkspace(a);
    const agent = await newAgent(a, ws, { model });
    const { key } = await newKey(a, ws);
    const session = (
      await a.app.inject({
        method: 'POST',
        url: `/v1/agents/${agent}/sessions`,
        headers: { 'x-api-key': key },
        payload: {},
      })
    ).json<{ id: string }>().id;
    const baseA = await a.app.listen({ port: 0, host: '127.0.0.1' });
    const baseB = await b.app.listen({ port: 0, host: '127.0.0.1' });

    // the client reads the first deltas from A, then its connection drops
    const abort = new AbortController();
    const res = await fetch(`${baseA}/v1/agents/sessions/${session}/messages/stream`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'conte até doze' }),
      signal: abort.signal,
    });
    const head = parseSse(await readUntil(res, (text) => text.includes('w2 '), abort)).events;
    const streamId = (JSON.parse(head[0]!.data!) as { stream_id: string }).stream_id;
    const last = head.filter((e) => e.id).at(-1)!.id!;

    // …and it reconnects through the load balancer, which picks B
    const resumed = await fetch(`${baseB}/v1/agents/sessions/${session}/streams/${streamId}`, {
      headers: { 'x-api-key': key, 'last-event-id': last },
    });
    expect(resumed.status).toBe(200);
    const tail = parseSse(await resumed.text()).events.filter((e) => e.id);
    expect(Number(tail[0]!.id)).toBe(Number(last) + 1);
    expect(tail.at(-1)!.event).toBe('done');
    const ids = [...head.filter((e) => e.id), ...tail].map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    const text = [...head, ...tail]
      .filter((e) => e.event === 'agent_message.delta')
      .map((e) => (JSON.parse(e.data!) as { delta: string }).delta)
      .join('');
    expect(text).toBe(Array.from({ length: 12 }, (_, i) => `w${i} `).join(''));

    // an unknown stream is a 404 on any instance
    const missing = await fetch(`${baseB}/v1/agents/sessions/${session}/streams/${agent}`, {
      headers: { 'x-api-key': key },
    });
    expect(missing.status).toBe(404);
  });
});
