import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../../fake-llm-server.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { g, genniaWorld, type GenniaWorld } from './gennia.js';

// gennia.md §4: thinkingEnabled / thinkingEffort are runtime fields: they reach the model call.
let t: TestApp;
let fake: FakeLlmServer;
let w: GenniaWorld;
let modelId: string;

beforeAll(async () => {
  fake = await startFakeLlmServer();
  t = await createTestApp({
    env: {
      PAPO_OPENAI_COMPATIBLE_BASE_URL: fake.url,
      PAPO_OPENAI_COMPATIBLE_API_KEY: 'test-key',
      PAPO_MODELS: JSON.stringify([{ model: 'openai-compatible:fake-reasoner', label: 'Reasoner' }]),
    },
  });
  w = await genniaWorld(t);
  const models = (await g(t, 'GET', '/ai-models', w.key)).json<
    Array<{ publicId: string; modelId: string; supportsThinking: boolean }>
  >();
  const m = models.find((x) => x.modelId === 'fake-reasoner')!;
  expect(m.supportsThinking).toBe(true);
  modelId = m.publicId;
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

async function publishedAgent(body: Record<string, unknown>): Promise<string> {
  const created = await g(t, 'POST', '/agents', w.admin, { name: `Thinker ${Math.random()}` });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json<{ publicId: string }>().publicId;
  const draft = await g(t, 'PATCH', `/agents/${id}`, w.admin, {
    systemPrompt: 'Think, then answer.',
    aiModelPublicId: modelId,
    ...body,
  });
  expect(draft.statusCode, draft.body).toBe(200);
  const published = await g(t, 'POST', `/agents/${id}/publish`, w.admin);
  expect(published.statusCode, published.body).toBe(200);
  return id;
}

async function lastRequestBodyAfterSend(agentId: string): Promise<Record<string, unknown>> {
  fake.setScenario({ kind: 'reply', reply: 'Pensei e respondo.' });
  const before = fake.requests.length;
  const res = await g(t, 'POST', `/agents/${agentId}/messages`, w.key, { content: 'Quanto é 17 × 23?' });
  expect(res.statusCode, res.body).toBe(200);
  expect(fake.requests.length).toBe(before + 1);
  return fake.requests.at(-1)!.body as Record<string, unknown>;
}

describe('Gennia thinking settings reach the provider', () => {
  it('thinkingEnabled with an effort sends it as reasoning_effort on an OpenAI-compatible model', async () => {
    const id = await publishedAgent({ thinkingEnabled: true, thinkingEffort: 'high' });
    expect((await lastRequestBodyAfterSend(id))['reasoning_effort']).toBe('high');
  });

  it('enabled without an effort means medium; disabled sends nothing', async () => {
    const medium = await publishedAgent({ thinkingEnabled: true });
    expect((await lastRequestBodyAfterSend(medium))['reasoning_effort']).toBe('medium');
    const off = await publishedAgent({ thinkingEnabled: false, thinkingEffort: 'low' });
    expect(await lastRequestBodyAfterSend(off)).not.toHaveProperty('reasoning_effort');
  });

  it('only the published version counts: a draft change applies after publishing', async () => {
    const id = await publishedAgent({ thinkingEnabled: true, thinkingEffort: 'low' });
    const patched = await g(t, 'PATCH', `/agents/${id}`, w.admin, { thinkingEffort: 'high' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect((await lastRequestBodyAfterSend(id))['reasoning_effort']).toBe('low');
    await g(t, 'POST', `/agents/${id}/publish`, w.admin);
    expect((await lastRequestBodyAfterSend(id))['reasoning_effort']).toBe('high');
  });
});
