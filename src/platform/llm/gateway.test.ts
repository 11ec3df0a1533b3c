import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FAKE_PROVIDER_SECRET,
  startFakeLlmServer,
  type FakeLlmServer,
} from '../../../test/fake-llm-server.js';
import { loadConfig } from '../../config.js';
import { ModelCallError, ModelGateway, type ModelCall } from './gateway.js';
import { PriceTable } from './prices.js';

const MODEL = 'openai-compatible:fake-model';

function call(text: string, extra: Partial<ModelCall> = {}): ModelCall {
  return {
    model: MODEL,
    system: 'You are a test.',
    messages: [{ role: 'user', content: text }],
    timeoutMs: 5_000,
    ...extra,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<ModelCallError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelCallError);
  return err as ModelCallError;
}

describe('ModelGateway through an OpenAI-compatible server', () => {
  let fake: FakeLlmServer;
  let gateway: ModelGateway;

  beforeAll(async () => {
    fake = await startFakeLlmServer();
    gateway = new ModelGateway(
      loadConfig({ PAPO_OPENAI_COMPATIBLE_BASE_URL: fake.url, PAPO_OPENAI_COMPATIBLE_API_KEY: 'test-key' }),
    );
  });
  afterAll(async () => {
    await fake.close();
  });

  it('streams the reply in order and concatenates it', async () => {
    fake.setScenario({ kind: 'reply', reply: ['Olá', ', ', 'mundo', '!'] });
    const deltas: string[] = [];

    const result = await gateway.stream(call('hi', { onDelta: (d) => deltas.push(d) }));

    expect(deltas).toEqual(['Olá', ', ', 'mundo', '!']);
    expect(result.text).toBe('Olá, mundo!');
    expect(result.finishReason).toBe('stop');
  });

  it('runs tool calls streamed in fragments, sends their results back, and sums usage over steps', async () => {
    fake.queue(
      {
        kind: 'reply',
        reply: ['Let me look. '],
        toolCalls: [{ id: 'call_1', name: 'lookup_order', arguments: ['{"ord', 'er":"A-1', '7"}'] }],
        usage: { promptTokens: 20, completionTokens: 5 },
      },
      { kind: 'reply', reply: ['It ships today.'], usage: { promptTokens: 40, completionTokens: 4 } },
    );
    const seen: Record<string, unknown>[] = [];
    const before = fake.requests.length;
    const result = await gateway.stream(
      call('where is A-17?', {
        tools: {
          lookup_order: {
            description: 'Finds an order',
            parameters: { type: 'object', properties: { order: { type: 'string' } }, required: ['order'] },
            execute: async (args) => {
              seen.push(args);
              return { status: 'shipping today' };
            },
          },
        },
      }),
    );
    expect(seen).toEqual([{ order: 'A-17' }]);
    expect(result.text).toBe('Let me look. It ships today.');
    expect(result.toolCalls).toEqual([
      expect.objectContaining({ toolCallId: 'call_1', name: 'lookup_order', arguments: { order: 'A-17' } }),
    ]);
    expect(result.usage).toMatchObject({ inputTokens: 60, outputTokens: 9 });
    const [first, second] = fake.requests.slice(before).map((r) => r.body!);
    expect(first!['tools']).toEqual([
      expect.objectContaining({
        type: 'function',
        function: expect.objectContaining({ name: 'lookup_order' }),
      }),
    ]);
    const messages = second!.messages!;
    expect(messages.at(-2)).toMatchObject({
      role: 'assistant',
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'lookup_order', arguments: '{"order":"A-17"}' } },
      ],
    });
    expect(messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_1' });
    expect(JSON.parse((messages.at(-1) as { content: string }).content)).toEqual({
      status: 'shipping today',
    });
  });

  it('asks for usage in the stream and reports it, cached tokens included', async () => {
    fake.setScenario({
      kind: 'reply',
      reply: 'Cached answer',
      usage: { promptTokens: 1200, completionTokens: 7, cachedTokens: 1024 },
    });
    const before = fake.requests.length;

    const result = await gateway.stream(call('hi'));

    expect(result.usage).toEqual({ inputTokens: 1200, outputTokens: 7, cachedTokens: 1024 });
    expect(fake.requests.length).toBe(before + 1);
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer test-key');
    expect(sent.body?.stream).toBe(true);
    expect(sent.body?.stream_options?.include_usage).toBe(true);
    expect(sent.body?.model).toBe('fake-model');
    expect(sent.body?.messages).toEqual([
      { role: 'system', content: 'You are a test.' },
      { role: 'user', content: 'hi' },
    ]);
  });

  it('surfaces a length cut as finishReason "length"', async () => {
    fake.setScenario({ kind: 'reply', reply: 'cut short', finishReason: 'length' });

    const result = await gateway.stream(call('hi'));

    expect(result).toMatchObject({ text: 'cut short', finishReason: 'length' });
  });

  it('picks a preset scenario from a marker in the last user message', async () => {
    fake.setScenario({ kind: 'reply' });

    const result = await gateway.stream(call('please [fake:length]'));

    expect(result).toMatchObject({ text: 'This reply was cut', finishReason: 'length' });
  });

  it('turns HTTP 401 into an error that does not leak the provider body', async () => {
    const before = fake.requests.length;

    const err = await failureOf(gateway.stream(call('[fake:error-401]')));

    expect(err.kind).toBe('error');
    expect(err.publicMessage).toContain('401');
    expect(err.publicMessage).not.toContain(FAKE_PROVIDER_SECRET);
    expect(err.publicMessage).not.toContain('Incorrect API key');
    expect(err.detail).toContain('Incorrect API key'); // kept for the logs
    expect(err.partialText).toBe('');
    expect(fake.requests.length).toBe(before + 1); // 401 is not retried
  });

  it('turns HTTP 500 into an error after one retry, without leaking the body', async () => {
    const before = fake.requests.length;

    const err = await failureOf(gateway.stream(call('[fake:error-500]')));

    expect(err.kind).toBe('error');
    expect(err.publicMessage).toContain('500');
    expect(err.publicMessage).not.toContain(FAKE_PROVIDER_SECRET);
    expect(err.publicMessage).not.toContain('server had an error');
    expect(err.detail).toContain('server had an error');
    expect(fake.requests.length).toBe(before + 2);
  });

  it('keeps the partial text when the stream breaks mid-way', async () => {
    fake.setScenario({ kind: 'break', reply: ['one ', 'two ', 'three ', 'four'], afterChunks: 2 });
    const deltas: string[] = [];

    const err = await failureOf(gateway.stream(call('hi', { onDelta: (d) => deltas.push(d) })));

    expect(err.kind).toBe('error');
    expect(err.publicMessage).toBe('The model provider failed to answer.');
    expect(err.partialText).toBe('one two ');
    expect(deltas).toEqual(['one ', 'two ']);
  });

  it('times out a slow first byte', async () => {
    fake.setScenario({ kind: 'reply', firstByteDelayMs: 3_000 });
    const started = Date.now();

    const err = await failureOf(gateway.stream(call('hi', { timeoutMs: 300 })));

    expect(err.kind).toBe('timeout');
    expect(err.partialText).toBe('');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out slow chunks and keeps what arrived', async () => {
    fake.setScenario({ kind: 'reply', reply: ['fast ', 'slow ', 'slower'], chunkDelayMs: 2_000 });
    const started = Date.now();

    const err = await failureOf(gateway.stream(call('hi', { timeoutMs: 300 })));

    expect(err.kind).toBe('timeout');
    expect(err.partialText).toBe('fast ');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('names the missing variable for an unconfigured provider', async () => {
    const err = await failureOf(gateway.stream(call('hi', { model: 'anthropic:claude-x' })));

    expect(err.kind).toBe('error');
    expect(err.publicMessage).toContain('ANTHROPIC_API_KEY');
  });

  it('rejects a model reference with an unknown provider', async () => {
    const err = await failureOf(gateway.stream(call('hi', { model: 'acme:model' })));

    expect(err.kind).toBe('error');
    expect(err.publicMessage).toBe('Unknown model "acme:model".');
  });
});

describe('demo model', () => {
  const gateway = new ModelGateway(loadConfig({ PAPO_DEMO_WORD_DELAY_MS: '0' }));
  const demo = (text: string, extra: Partial<ModelCall> = {}) =>
    gateway.stream(call(text, { model: 'demo:papo-demo', ...extra }));

  it('is deterministic and streams several deltas', async () => {
    const deltas: string[] = [];
    const first = await demo('Tell me a story', { onDelta: (d) => deltas.push(d) });
    const second = await demo('Tell me a story');

    expect(first.text).toBe(second.text);
    expect(first.text).toContain('Tell me a story');
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe(first.text);
    expect(first.finishReason).toBe('stop');
    expect(first.usage.inputTokens).toBeGreaterThan(0);
    expect(first.usage.outputTokens).toBe(deltas.length);
    expect(first.usage.cachedTokens).toBe(0);
  });

  it('answers differently to a different message', async () => {
    const a = await demo('apples');
    const b = await demo('oranges');

    expect(a.text).not.toBe(b.text);
  });

  it('stops at maxOutputTokens with finishReason "length"', async () => {
    const result = await demo('Tell me a story', { maxOutputTokens: 3 });

    expect(result.finishReason).toBe('length');
    expect(result.text.trim().split(/\s+/)).toHaveLength(3);
    expect(result.usage.outputTokens).toBe(3);
  });
});

describe('PriceTable.costMicroUsd', () => {
  it('bills cached input at the cached rate and never twice', () => {
    const prices = new PriceTable();
    // gpt-4o-mini: input 0.15, cached 0.075, output 0.6 micro-USD a token.
    const cost = prices.costMicroUsd('openai:gpt-4o-mini', {
      inputTokens: 10_000,
      cachedTokens: 4_000,
      outputTokens: 1_000,
    });

    expect(cost).toBe(6_000 * 0.15 + 4_000 * 0.075 + 1_000 * 0.6); // 1800
  });

  it('returns an integer', () => {
    const cost = new PriceTable().costMicroUsd('openai:gpt-5', {
      inputTokens: 3,
      cachedTokens: 0,
      outputTokens: 0,
    });

    expect(cost).toBe(4); // 3 × 1.25 = 3.75 → 4
  });

  it('has no cost for an unknown model', () => {
    expect(
      new PriceTable().costMicroUsd('openai:gpt-unknown', {
        inputTokens: 1,
        cachedTokens: 0,
        outputTokens: 1,
      }),
    ).toBeNull();
  });

  it('lets declared models override and add prices', () => {
    const prices = new PriceTable([
      {
        model: 'openai:gpt-4o-mini',
        input_usd_per_mtok: 1,
        output_usd_per_mtok: 2,
        cached_input_usd_per_mtok: 0.5,
      },
      { model: 'openai-compatible:llama', input_usd_per_mtok: 0.2, output_usd_per_mtok: 0.4 },
      { model: 'openai:gpt-5', label: 'no prices declared' },
    ]);
    const usage = { inputTokens: 1_000, cachedTokens: 200, outputTokens: 100 };

    expect(prices.costMicroUsd('openai:gpt-4o-mini', usage)).toBe(800 * 1 + 200 * 0.5 + 100 * 2);
    // Without a declared cached rate, cached input costs the input rate.
    expect(prices.costMicroUsd('openai-compatible:llama', usage)).toBe(1_000 * 0.2 + 100 * 0.4);
    // A declaration without prices keeps the shipped price.
    expect(prices.costMicroUsd('openai:gpt-5', usage)).toBe(Math.round(800 * 1.25 + 200 * 0.125 + 100 * 10));
  });
});

describe('fake LLM server', () => {
  let fake: FakeLlmServer;
  beforeAll(async () => {
    fake = await startFakeLlmServer({ scenario: { kind: 'reply', reply: 'Hi there' } });
  });
  afterAll(async () => {
    await fake.close();
  });
  const post = (body: object) =>
    fetch(`${fake.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...body }),
    });

  it('streams usage only when the request asks for it, like OpenAI', async () => {
    const plain = await (await post({ stream: true })).text();
    const withUsage = await (await post({ stream: true, stream_options: { include_usage: true } })).text();

    expect(plain).not.toContain('"usage"');
    expect(plain.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(withUsage).toContain('"choices":[],"usage":{"prompt_tokens"');
    expect(withUsage.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('answers a non-streaming request with one JSON completion', async () => {
    const res = await post({ stream: false });
    const body = (await res.json()) as { choices: { message: { content: string } }[]; usage: object };

    expect(res.headers.get('content-type')).toBe('application/json');
    expect(body.choices[0]?.message.content).toBe('Hi there');
    expect(body.usage).toMatchObject({ completion_tokens: 2 });
  });
});
