import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import {
  newAgent,
  newKey,
  newSession,
  newWorld,
  newWorkspace,
  operatorHeaders,
  type World,
} from '../../../test/factories.js';
import { bearer, expectError, MISSING_ID, type Headers } from '../../../test/http.js';
import { isUuidV7 } from '../../platform/ids.js';
import type { Message } from '../messages/messages.mapper.js';
import type { ModelsCatalogue } from '../models/models.service.js';
import type { UsageItem } from './usage.service.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Demo model priced so that costs are not zero (USD per million tokens). */
const PRICE = { input: 3, cached: 0.3, output: 15 };

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({
    env: {
      PAPO_MODELS: JSON.stringify([
        {
          model: 'demo:papo-demo',
          input_usd_per_mtok: PRICE.input,
          cached_input_usd_per_mtok: PRICE.cached,
          output_usd_per_mtok: PRICE.output,
        },
        { model: 'demo:echo-2', label: 'Second demo' },
        { model: 'openai:gpt-4o-mini', label: 'Mini' },
        { model: 'anthropic:claude-custom', label: 'Custom', input_usd_per_mtok: 1, output_usd_per_mtok: 2 },
      ]),
    },
  });
});
afterAll(async () => {
  await t?.close();
});

async function send(w: World, sessionId: string, content = 'hi'): Promise<Message> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/agents/sessions/${sessionId}/messages`,
    headers: { 'x-api-key': w.key },
    payload: { content },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ agent_message: Message }>().agent_message;
}

async function runOnce(w: World, agentId: string, content = 'hi', persist = false): Promise<Message> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/agents/${agentId}/run`,
    headers: { 'x-api-key': w.key },
    payload: { messages: [{ content }], persist },
  });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json<{ agent_message: Message; session_id: string | null }>();
  expect(body.session_id === null).toBe(!persist);
  return body.agent_message;
}

function usage(ws: string, query = '', headers: Headers = operatorHeaders) {
  return t.app.inject({
    method: 'GET',
    url: `/v1/admin/workspaces/${ws}/usage${query ? `?${query}` : ''}`,
    headers,
  });
}

async function usageItems(ws: string, query = ''): Promise<UsageItem[]> {
  const res = await usage(ws, query);
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json<{ items: UsageItem[] }>();
  expect(Object.keys(body)).toEqual(['items']);
  return body.items;
}

/** The usage item the given replies should add up to. */
function sumOf(key: string, replies: Message[]): UsageItem {
  const micro = replies.reduce((s, m) => s + Math.round(m.cost_usd! * 1_000_000), 0);
  return {
    key,
    messages: replies.length,
    input_tokens: replies.reduce((s, m) => s + m.usage!.input_tokens, 0),
    output_tokens: replies.reduce((s, m) => s + m.usage!.output_tokens, 0),
    cached_tokens: replies.reduce((s, m) => s + m.usage!.cached_tokens, 0),
    cost_usd: micro / 1_000_000,
  };
}

describe('GET /v1/admin/workspaces/{ws}/usage', () => {
  it('sums every generation exactly, grouped by agent, model and day; persist:false runs count', async () => {
    const w = await newWorld(t);
    const agent2 = await newAgent(t, w.workspaceId, { model: 'demo:echo-2' });
    const s1 = await newSession(t, w);
    const a1: Message[] = [];
    a1.push(await send(w, s1, 'hi'));
    a1.push(await send(w, s1, 'tell me a longer story about usage accounting please'));
    a1.push(await runOnce(w, w.agentId, 'a run that is not stored', false));
    a1.push(await runOnce(w, w.agentId, 'a stored run', true));
    const s2 = await newSession(t, { ...w, agentId: agent2 });
    const a2 = [await send(w, s2, 'hello there'), await runOnce(w, agent2, 'again', false)];

    for (const m of [...a1, ...a2]) {
      expect(m.usage!.input_tokens).toBeGreaterThan(0);
      expect(m.usage!.output_tokens).toBeGreaterThan(0);
    }
    for (const m of a1) expect(m.cost_usd).toBeGreaterThan(0);
    for (const m of a2) expect(m.cost_usd).toBeNull();

    const byAgent = await usageItems(w.workspaceId, 'group_by=agent');
    expect(byAgent).toEqual(
      [sumOf(w.agentId, a1), sumOf(agent2, a2)].sort((x, y) => x.key.localeCompare(y.key)),
    );

    const byModel = await usageItems(w.workspaceId, 'group_by=model');
    expect(byModel).toEqual([sumOf('demo:echo-2', a2), sumOf('demo:papo-demo', a1)]);

    const day = a1[0]!.created_at.slice(0, 10);
    const byDay = await usageItems(w.workspaceId, 'group_by=day');
    expect(byDay).toEqual([sumOf(day, [...a1, ...a2])]);

    const total = await usageItems(w.workspaceId);
    expect(total).toEqual([sumOf('total', [...a1, ...a2])]);

    // exact cost: micro-USD per reply from the declared price
    for (const m of a1) {
      const u = m.usage!;
      const micro = Math.round(
        (u.input_tokens - u.cached_tokens) * PRICE.input +
          u.cached_tokens * PRICE.cached +
          u.output_tokens * PRICE.output,
      );
      expect(m.cost_usd).toBe(micro / 1_000_000);
    }
  });

  it('a workspace without usage answers a zero total and empty groups', async () => {
    const ws = await newWorkspace(t);
    expect(await usageItems(ws)).toEqual([
      { key: 'total', messages: 0, input_tokens: 0, output_tokens: 0, cached_tokens: 0, cost_usd: 0 },
    ]);
    for (const g of ['agent', 'model', 'day']) expect(await usageItems(ws, `group_by=${g}`)).toEqual([]);
  });

  it('is isolated per workspace', async () => {
    const w1 = await newWorld(t);
    const w2 = await newWorld(t);
    const m = await runOnce(w1, w1.agentId);
    expect(await usageItems(w1.workspaceId)).toEqual([sumOf('total', [m])]);
    expect((await usageItems(w2.workspaceId))[0]!.messages).toBe(0);
  });

  it('filters by from (inclusive) and to (exclusive), across days', async () => {
    const w = await newWorld(t);
    const day1 = [await runOnce(w, w.agentId, 'one'), await runOnce(w, w.agentId, 'two')];
    t.clock.advance(2 * DAY_MS);
    const day3 = [await runOnce(w, w.agentId, 'three')];
    const d1 = day1[0]!.created_at.slice(0, 10);
    const d3 = day3[0]!.created_at.slice(0, 10);
    expect(d3).not.toBe(d1);

    expect(await usageItems(w.workspaceId, 'group_by=day')).toEqual([sumOf(d1, day1), sumOf(d3, day3)]);
    const middle = new Date(Date.parse(day1[1]!.created_at) + DAY_MS).toISOString();
    expect(await usageItems(w.workspaceId, `from=${middle}`)).toEqual([sumOf('total', day3)]);
    expect(await usageItems(w.workspaceId, `to=${middle}`)).toEqual([sumOf('total', day1)]);
    // bounds: `from` includes the instant, `to` excludes it
    const at = day3[0]!.created_at;
    expect((await usageItems(w.workspaceId, `from=${at}`))[0]!.messages).toBe(1);
    expect((await usageItems(w.workspaceId, `to=${at}`))[0]!.messages).toBe(2);
    // any RFC 3339 offset is accepted and normalised to UTC
    const plus2 = new Date(Date.parse(middle) + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    expect(await usageItems(w.workspaceId, `from=${encodeURIComponent(plus2)}`)).toEqual([
      sumOf('total', day3),
    ]);
  });

  it('invalid query values → 422 validation_error with the query path', async () => {
    const ws = await newWorkspace(t);
    for (const [q, path] of [
      ['group_by=week', 'group_by'],
      ['from=yesterday', 'from'],
      ['to=2026-13-01T00:00:00Z', 'to'],
    ] as const) {
      const err = expectError(await usage(ws, q), 422, 'validation_error');
      expect(err.error.context['issues']).toEqual([expect.objectContaining({ location: 'query', path })]);
    }
  });

  it('an admin key limited to some agents sees only their usage', async () => {
    const w = await newWorld(t);
    const other = await newAgent(t, w.workspaceId);
    const mine = await runOnce(w, w.agentId);
    await runOnce(w, other);
    const limited = (
      await newKey(t, w.workspaceId, {
        type: 'secret',
        name: 'lim',
        scopes: ['admin'],
        agent_ids: [w.agentId],
      })
    ).key;
    const res = await usage(w.workspaceId, 'group_by=agent', bearer(limited));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ items: [sumOf(w.agentId, [mine])] });
    expect((await usage(w.workspaceId, '', bearer(limited))).json()).toEqual({
      items: [sumOf('total', [mine])],
    });
    expect(await usageItems(w.workspaceId, 'group_by=agent')).toHaveLength(2);
  });

  it('security: 401 without credential, 403 without admin, 404 for another or unknown workspace', async () => {
    const w = await newWorld(t);
    const other = await newWorkspace(t);
    const admin = (await newKey(t, w.workspaceId, { type: 'secret', name: 'a', scopes: ['admin'] })).key;
    expectError(await usage(w.workspaceId, '', {}), 401, 'missing_api_key');
    expectError(await usage(w.workspaceId, '', bearer(w.key)), 403, 'insufficient_scope');
    expect((await usage(w.workspaceId, '', bearer(admin))).statusCode).toBe(200);
    const foreign = expectError(await usage(other, '', bearer(admin)), 404, 'not_found');
    const missing = expectError(await usage(MISSING_ID, '', bearer(admin)), 404, 'not_found');
    expect(Object.keys(foreign.error.context)).toEqual(Object.keys(missing.error.context));
    expectError(await usage(MISSING_ID), 404, 'not_found');
    expectError(await usage('garbage'), 404, 'not_found');
  });
});

describe('GET /v1/admin/models', () => {
  function models(headers: Headers = operatorHeaders) {
    return t.app.inject({ method: 'GET', url: '/v1/admin/models', headers });
  }

  it('the first reads, made concurrently, agree on the ids', async () => {
    const [a, b] = await Promise.all([models(), models()]);
    expect(a!.json()).toEqual(b!.json());
  });

  it('lists the providers (only demo configured) and the declared models with stable ids and prices', async () => {
    const res = await models();
    expect(res.statusCode, res.body).toBe(200);
    const cat = res.json<ModelsCatalogue>();
    expect(cat.providers).toEqual([
      { name: 'demo', configured: true },
      { name: 'openai', configured: false },
      { name: 'anthropic', configured: false },
      { name: 'google', configured: false },
      { name: 'openai-compatible', configured: false },
    ]);
    expect(cat.models.map((m) => m.model)).toEqual([
      'demo:papo-demo',
      'demo:echo-2',
      'openai:gpt-4o-mini',
      'anthropic:claude-custom',
    ]);
    const byModel = new Map(cat.models.map((m) => [m.model, m]));
    expect(byModel.get('demo:papo-demo')).toEqual({
      id: byModel.get('demo:papo-demo')!.id,
      model: 'demo:papo-demo',
      provider: 'demo',
      label: 'Papo demo (offline)',
      available: true,
      price: { input_usd_per_mtok: 3, cached_input_usd_per_mtok: 0.3, output_usd_per_mtok: 15 },
    });
    expect(byModel.get('demo:echo-2')).toMatchObject({ label: 'Second demo', available: true, price: null });
    // a shipped price, provider not configured
    expect(byModel.get('openai:gpt-4o-mini')).toMatchObject({
      provider: 'openai',
      label: 'Mini',
      available: false,
      price: { input_usd_per_mtok: 0.15, cached_input_usd_per_mtok: 0.075, output_usd_per_mtok: 0.6 },
    });
    // operator price without a cached rate: cached input costs the input rate
    expect(byModel.get('anthropic:claude-custom')).toMatchObject({
      available: false,
      price: { input_usd_per_mtok: 1, cached_input_usd_per_mtok: 1, output_usd_per_mtok: 2 },
    });
    for (const m of cat.models) expect(isUuidV7(m.id)).toBe(true);
    expect(new Set(cat.models.map((m) => m.id)).size).toBe(cat.models.length);

    const again = (await models()).json<ModelsCatalogue>();
    expect(again).toEqual(cat);
  });

  it('admin keys may read it; run keys, public keys and no credential may not', async () => {
    const ws = await newWorkspace(t);
    const admin = (await newKey(t, ws, { type: 'secret', name: 'a', scopes: ['admin'] })).key;
    const run = (await newKey(t, ws)).key;
    const pub = (await newKey(t, ws, { type: 'public', name: 'p' })).key;
    expect((await models(bearer(admin))).statusCode).toBe(200);
    expect((await models({ 'x-api-key': admin })).statusCode).toBe(200);
    expectError(await models(bearer(run)), 403, 'insufficient_scope');
    expectError(await models(bearer(pub)), 403, 'insufficient_scope');
    expectError(await models({}), 401, 'missing_api_key');
    expectError(await models(bearer('wrong-token')), 401, 'invalid_api_key');
  });
});
