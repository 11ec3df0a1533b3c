import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, operatorHeaders } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { MISSING_ID } from '../../http.js';
import { bearer, eva, evaWorld, expectProblem, newEvaConversation, newKnowledgeBase } from './eva.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { PAPO_RATE_LIMIT_SECRET_KEY: '1000' } });
});
afterAll(() => t.close());

describe('EvaGPT §1 conventions: auth', () => {
  it('401 without a key, with a malformed or unknown key, a vendor key, or a revoked key', async () => {
    const w = await evaWorld(t);
    expectProblem(await eva(t, 'GET', '/bot', {}), 401, 'unauthorized');
    expectProblem(await eva(t, 'GET', '/bot', { authorization: 'Basic abc' }), 401, 'unauthorized');
    expectProblem(await eva(t, 'GET', '/bot', bearer('zpka_0123456789abcdef')), 401, 'unauthorized');
    expectProblem(await eva(t, 'GET', '/bot', bearer(`papo_sk_${'x'.repeat(40)}`)), 401, 'unauthorized');
    // the X-API-Key header of the native API is not read here
    expectProblem(await eva(t, 'GET', '/bot', { 'x-api-key': w.key }), 401, 'unauthorized');

    const k = await newKey(t, w.ws);
    expect((await eva(t, 'GET', '/bot', bearer(k.key))).statusCode).toBe(200);
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/workspaces/${w.ws}/api-keys/${k.id}`,
      headers: operatorHeaders,
    });
    expect(revoke.statusCode).toBe(204);
    expectProblem(await eva(t, 'GET', '/bot', bearer(k.key)), 401, 'unauthorized');
  });

  it('accepts the Bearer scheme word in any case', async () => {
    const w = await evaWorld(t);
    expect((await eva(t, 'GET', '/bot', { authorization: `bEaReR ${w.key}` })).statusCode).toBe(200);
  });

  it('403 for public keys and for admin operations without the admin scope', async () => {
    const w = await evaWorld(t);
    const pk = (await newKey(t, w.ws, { type: 'public' })).key;
    expectProblem(await eva(t, 'GET', '/bot', bearer(pk)), 403, 'forbidden');
    expectProblem(await eva(t, 'GET', '/conversation', bearer(pk)), 403, 'forbidden');

    const kb = await newKnowledgeBase(t, w.ws);
    // E3, E14, E16, E17, E19 need admin; the check comes before the body is read
    expectProblem(
      await eva(t, 'POST', `/bot/ability/${w.agentId}`, w.h, { name: 'x', instructions: 'y' }),
      403,
      'forbidden',
    );
    expectProblem(await eva(t, 'POST', `/dataset/record/${kb}`, w.h, { text: 'x' }), 403, 'forbidden');
    expectProblem(await eva(t, 'DELETE', `/dataset/record/${kb}/${MISSING_ID}`, w.h), 403, 'forbidden');
    expectProblem(await eva(t, 'POST', `/dataset/file/${kb}`, w.h, {}), 403, 'forbidden');
    expectProblem(await eva(t, 'DELETE', `/dataset/file/${MISSING_ID}`, w.h), 403, 'forbidden');
    // and the admin key passes them (404: nothing named)
    expectProblem(await eva(t, 'DELETE', `/dataset/file/${MISSING_ID}`, w.admin), 404, 'not-found');
    // nothing was written by the refused calls
    const records = await eva(t, 'GET', `/dataset/record/${kb}/list`, w.h);
    expect(records.json<{ total: number }>().total).toBe(0);
  });

  it('an agent allow-list forbids other bots (403) and filters lists', async () => {
    const w = await evaWorld(t);
    const other = (await evaWorld(t)).agentId; // another workspace's agent: 404, not 403
    const second = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/workspaces/${w.ws}/agents`,
      headers: operatorHeaders,
      payload: { name: 'Second bot', instructions: 'Hi.' },
    });
    const secondId = second.json<{ id: string }>().id;
    const limited = bearer((await newKey(t, w.ws, { type: 'secret', agent_ids: [w.agentId] })).key);
    const conv = await newEvaConversation(t, w);
    const secondConv = await eva(t, 'POST', `/conversation/create/${secondId}`, w.h);
    const secondConvId = secondConv.json<{ id: string }>().id;

    const bots = await eva(t, 'GET', '/bot', limited);
    expect(bots.json<Array<{ id: string }>>().map((b) => b.id)).toEqual([w.agentId]);
    expectProblem(await eva(t, 'GET', `/bot/presentation/${secondId}`, limited), 403, 'forbidden');
    expectProblem(await eva(t, 'POST', `/conversation/create/${secondId}`, limited), 403, 'forbidden');
    expectProblem(await eva(t, 'GET', `/conversation/${secondConvId}`, limited), 403, 'forbidden');
    expectProblem(await eva(t, 'GET', `/conversation/message/${secondConvId}`, limited), 403, 'forbidden');
    expectProblem(
      await eva(t, 'POST', `/conversation/complete/${secondConvId}`, limited, { text: 'hi' }),
      403,
      'forbidden',
    );
    expectProblem(
      await eva(t, 'POST', `/conversation/survey/${secondConvId}`, limited, { survey: 5 }),
      403,
      'forbidden',
    );
    const list = await eva(t, 'GET', '/conversation', limited);
    expect(list.json<{ conversations: Array<{ id: string }> }>().conversations.map((c) => c.id)).toEqual([
      conv,
    ]);
    expect((await eva(t, 'GET', `/conversation/${conv}`, limited)).statusCode).toBe(200);
    expectProblem(await eva(t, 'GET', `/bot/presentation/${other}`, w.h), 404, 'not-found');
  });
});

describe('EvaGPT §1.1 errors', () => {
  it('unknown routes are 404 and known paths with another method 405 with Allow, as problem+json', async () => {
    const w = await evaWorld(t);
    const res = await eva(t, 'GET', '/nope', w.h);
    expectProblem(res, 404, 'not-found');
    const wrong = await eva(t, 'DELETE', '/bot', w.h);
    expectProblem(wrong, 405, 'method-not-allowed');
    expect(wrong.headers['allow']).toBe('GET');
    // without any key the route is still checked first
    expectProblem(await eva(t, 'GET', '/nope', {}), 404, 'not-found');
  });

  it('malformed ids in paths answer 404 like missing resources', async () => {
    const w = await evaWorld(t);
    for (const path of ['/conversation/not-a-uuid', '/conversation/message/xyz', `/bot/presentation/1`]) {
      expectProblem(await eva(t, 'GET', path, w.h), 404, 'not-found');
    }
    expectProblem(await eva(t, 'GET', `/conversation/${MISSING_ID}`, w.h), 404, 'not-found');
  });

  it('400 for malformed JSON and validation failures (with errors[]), 413 over 1 MiB', async () => {
    const w = await evaWorld(t);
    const bad = await t.app.inject({
      method: 'POST',
      url: `/compat/evagpt/conversation/create/${w.agentId}`,
      headers: { ...w.h, 'content-type': 'application/json' },
      payload: '{"meta": ',
    });
    expectProblem(bad, 400, 'bad-request');
    const conv = await newEvaConversation(t, w);
    const missing = expectProblem(
      await eva(t, 'POST', `/conversation/complete/${conv}`, w.h, {}),
      400,
      'bad-request',
    );
    expect(missing.errors?.map((e) => e.field)).toEqual(['text']);
    const wrongType = expectProblem(
      await eva(t, 'POST', `/conversation/complete/${conv}`, w.h, { text: 42 }),
      400,
      'bad-request',
    );
    expect(wrongType.errors?.[0]?.field).toBe('text');
    const big = await eva(t, 'PUT', `/conversation/update/${conv}`, w.h, {
      blob: 'x'.repeat(1024 * 1024 + 10),
    });
    expectProblem(big, 413, 'payload-too-large');
    // nothing was stored by the refused sends
    const msgs = await eva(t, 'GET', `/conversation/message/${conv}`, w.h);
    expect(msgs.json<{ messages: unknown[] }>().messages).toEqual([]);
  });

  it('every response carries X-Request-Id and RateLimit headers', async () => {
    const w = await evaWorld(t);
    const res = await eva(t, 'GET', '/bot', w.h);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['ratelimit-limit']).toBe('1000');
    expect(Number(res.headers['ratelimit-remaining'])).toBeLessThan(1000);
    expect(res.headers['ratelimit-reset']).toBeDefined();
  });
});

describe('EvaGPT rate limits', () => {
  it('429 rate-limited with Retry-After and RateLimit-* once the key is over its limit', async () => {
    const limited = await createTestApp({ env: { PAPO_RATE_LIMIT_SECRET_KEY: '3' } });
    try {
      const w = await evaWorld(limited);
      for (let i = 0; i < 3; i++) expect((await eva(limited, 'GET', '/bot', w.h)).statusCode).toBe(200);
      const res = await eva(limited, 'GET', '/bot', w.h);
      expectProblem(res, 429, 'rate-limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(res.headers['ratelimit-limit']).toBe('3');
      expect(res.headers['ratelimit-remaining']).toBe('0');
    } finally {
      await limited.close();
    }
  });
});
