import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAgent, newKey, newWorkspace } from './factories.js';
import { createTestCluster, TEST_DRIVER, type TestApp } from './harness.js';
import { mockRegistry } from './mock-model.js';

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
});
