import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSession, newWorld, type World } from '../../../test/factories.js';
import {
  FAKE_PROVIDER_SECRET,
  startFakeLlmServer,
  type FakeLlmServer,
} from '../../../test/fake-llm-server.js';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import { parseSse } from '../../../test/sse-client.js';

// The provider path end to end: HTTP request → ModelGateway → @ai-sdk/openai-compatible → fake server.
let fake: FakeLlmServer;
let t: TestApp;
let base: string;

beforeAll(async () => {
  fake = await startFakeLlmServer();
  t = await createTestApp({
    env: {
      PAPO_OPENAI_COMPATIBLE_BASE_URL: fake.url,
      PAPO_OPENAI_COMPATIBLE_API_KEY: 'local-test-key',
      PAPO_MODELS: JSON.stringify([
        {
          model: 'openai-compatible:llama-test',
          input_usd_per_mtok: 1,
          cached_input_usd_per_mtok: 0.5,
          output_usd_per_mtok: 2,
        },
      ]),
    },
  });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

const world = () => newWorld(t, { model: 'openai-compatible:llama-test', instructions: 'Be brief.' });
const send = (w: World, sid: string, content: string) =>
  t.app.inject({
    method: 'POST',
    url: `/v1/agents/sessions/${sid}/messages`,
    headers: { 'x-api-key': w.key },
    payload: { content },
  });

describe('openai-compatible provider through the API', () => {
  it('stores usage (cached tokens apart) and cost from the declared price', async () => {
    fake.setScenario({
      kind: 'reply',
      reply: 'Hi from llama',
      usage: { promptTokens: 1000, completionTokens: 50, cachedTokens: 400 },
    });
    const w = await world();
    const sid = await newSession(t, w);
    const res = await send(w, sid, 'hello');
    expect(res.statusCode, res.body).toBe(200);
    const m = res.json().agent_message;
    expect(m.content).toEqual([{ type: 'text', text: 'Hi from llama' }]);
    expect(m.usage).toEqual({
      input_tokens: 1000,
      output_tokens: 50,
      cached_tokens: 400,
      total_tokens: 1050,
    });
    // 600 uncached × $1 + 400 cached × $0.5 + 50 output × $2 per million tokens = 900 µUSD
    expect(m.cost_usd).toBe(0.0009);
    expect(m.model).toBe('openai-compatible:llama-test');
    const req = fake.requests.at(-1)!;
    expect(req.headers['authorization']).toBe('Bearer local-test-key');
    const body = req.body as {
      model: string;
      stream: boolean;
      stream_options: { include_usage: boolean };
      messages: Array<{ role: string; content: unknown }>;
    };
    expect(body.model).toBe('llama-test');
    expect(body.stream).toBe(true);
    expect(body.stream_options.include_usage).toBe(true);
    expect(body.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
  });

  it('streams deltas and reports usage in the completed event', async () => {
    fake.setScenario({
      kind: 'reply',
      reply: ['one ', 'two ', 'three'],
      usage: { promptTokens: 20, completionTokens: 3 },
    });
    const w = await world();
    const sid = await newSession(t, w);
    const res = await fetch(`${base}/v1/agents/sessions/${sid}/messages/stream`, {
      method: 'POST',
      headers: { 'x-api-key': w.key, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'count' }),
    });
    const { events } = parseSse(await res.text());
    const deltas = events
      .filter((e) => e.event === 'agent_message.delta')
      .map((e) => JSON.parse(e.data!).delta);
    expect(deltas).toEqual(['one ', 'two ', 'three']);
    const done = JSON.parse(events.find((e) => e.event === 'agent_message.completed')!.data!);
    expect(done.usage).toEqual({ input_tokens: 20, output_tokens: 3, cached_tokens: 0, total_tokens: 23 });
  });

  it('turns provider errors into 502 without leaking the provider body, and keeps the user message', async () => {
    fake.setScenario({ kind: 'reply' });
    const w = await world();
    const sid = await newSession(t, w);
    const res = await send(w, sid, 'please [fake:error-401]');
    expect(res.statusCode).toBe(502);
    expect(res.body).not.toContain(FAKE_PROVIDER_SECRET);
    expect(res.json().error.message).toContain('401');
    const list = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${sid}/messages`,
      headers: { 'x-api-key': w.key },
    });
    expect(list.json().items.map((m: { role: string; status: string }) => `${m.role}:${m.status}`)).toEqual([
      'user:completed',
      'assistant:failed',
    ]);
  });

  it('marks a length-capped reply incomplete', async () => {
    const w = await world();
    const sid = await newSession(t, w);
    const res = await send(w, sid, 'long please [fake:length]');
    expect(res.json().agent_message.status).toBe('incomplete');
  });
});
