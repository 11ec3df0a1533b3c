import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAgent, newKey, operatorHeaders } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { MISSING_ID } from '../../http.js';
import { isUuidV7 } from '../../../src/platform/ids.js';
import { expectGenniaError, fields, g, G, genniaWorld, type GenniaWorld, type Paged } from './gennia.js';

// gennia.md §1: auth, scopes, errors, strict parsing, rate limits, methods.
let t: TestApp;
let w: GenniaWorld;

beforeAll(async () => {
  t = await createTestApp();
  w = await genniaWorld(t);
});
afterAll(() => t.close());

describe('§1 auth: X-Api-Key or Authorization: Bearer', () => {
  it('GET /health answers the workspace and the calling key with either header', async () => {
    for (const headers of [
      { 'x-api-key': w.key },
      { authorization: `Bearer ${w.key}` },
      { authorization: `bearer ${w.key}` },
    ]) {
      const res = await t.app.inject({ method: 'GET', url: `${G}/health`, headers });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ status: 'ok', workspacePublicId: w.ws, apiKeyPublicId: w.keyId });
      expect(isUuidV7(String(res.headers['x-request-id']))).toBe(true);
      expect(res.headers['ratelimit-limit']).toBe('600');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('X-Api-Key wins when both headers are present', async () => {
    const ok = await g(t, 'GET', '/health', w.key, undefined, { authorization: 'Bearer nonsense' });
    expect(ok.statusCode).toBe(200);
    const bad = await g(t, 'GET', '/health', 'gsk_vendorkey', undefined, {
      authorization: `Bearer ${w.key}`,
    });
    expectGenniaError(bad, 401, 'INVALID_API_KEY_FORMAT');
  });

  it('no key → 401 MISSING_API_KEY; malformed → INVALID_API_KEY_FORMAT; unknown → INVALID_API_KEY', async () => {
    expectGenniaError(await g(t, 'GET', '/health', undefined), 401, 'MISSING_API_KEY');
    expectGenniaError(
      await g(t, 'GET', '/health', undefined, undefined, { authorization: 'Basic abc' }),
      401,
      'MISSING_API_KEY',
    );
    for (const bad of ['gsk_live_123', 'papo_sk_short', `papo_sk_${'a'.repeat(39)}!`]) {
      expectGenniaError(await g(t, 'GET', '/health', bad), 401, 'INVALID_API_KEY_FORMAT');
    }
    expectGenniaError(await g(t, 'GET', '/health', `papo_sk_${'A'.repeat(40)}`), 401, 'INVALID_API_KEY');
  });

  it('a revoked key → 401 INVALID_API_KEY on the next request', async () => {
    const k = await newKey(t, w.ws);
    expect((await g(t, 'GET', '/health', k.key)).statusCode).toBe(200);
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/workspaces/${w.ws}/api-keys/${k.id}`,
      headers: operatorHeaders,
    });
    expect(revoke.statusCode, revoke.body).toBe(204);
    expectGenniaError(await g(t, 'GET', '/health', k.key), 401, 'INVALID_API_KEY');
  });

  it('a public key → 403 INSUFFICIENT_SCOPE everywhere', async () => {
    const pk = (await newKey(t, w.ws, { type: 'public' })).key;
    expectGenniaError(await g(t, 'GET', '/health', pk), 403, 'INSUFFICIENT_SCOPE');
    expectGenniaError(await g(t, 'GET', '/agents', pk), 403, 'INSUFFICIENT_SCOPE');
    expectGenniaError(
      await g(t, 'POST', `/agents/${w.agentId}/messages`, pk, { content: 'hi' }),
      403,
      'INSUFFICIENT_SCOPE',
    );
  });

  it('agent writes need admin: an agent:run key → 403 INSUFFICIENT_SCOPE, before body validation', async () => {
    expectGenniaError(await g(t, 'POST', '/agents', w.key, { name: 'x' }), 403, 'INSUFFICIENT_SCOPE');
    expectGenniaError(await g(t, 'POST', '/agents', w.key, { bogus: 1 }), 403, 'INSUFFICIENT_SCOPE');
    expectGenniaError(
      await g(t, 'PATCH', `/agents/${w.agentId}`, w.key, { name: 'y' }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    expectGenniaError(await g(t, 'POST', `/agents/${w.agentId}/publish`, w.key), 403, 'INSUFFICIENT_SCOPE');
    expectGenniaError(await g(t, 'DELETE', `/agents/${w.agentId}`, w.key), 403, 'INSUFFICIENT_SCOPE');
    // reads are fine
    expect((await g(t, 'GET', `/agents/${w.agentId}`, w.key)).statusCode).toBe(200);
    // the agent is untouched
    const got = await g(t, 'GET', `/agents/${w.agentId}`, w.admin);
    expect(got.json().name).not.toBe('y');
  });

  it('agent allow-list: another agent → 403 AGENT_NOT_ALLOWED; lists are filtered; no agent creation', async () => {
    const other = await newAgent(t, w.ws);
    const limited = (
      await newKey(t, w.ws, { type: 'secret', name: 'l', scopes: ['admin'], agent_ids: [w.agentId] })
    ).key;
    expect((await g(t, 'GET', `/agents/${w.agentId}`, limited)).statusCode).toBe(200);
    expectGenniaError(await g(t, 'GET', `/agents/${other}`, limited), 403, 'AGENT_NOT_ALLOWED');
    expectGenniaError(
      await g(t, 'POST', `/agents/${other}/messages`, limited, { content: 'hi' }),
      403,
      'AGENT_NOT_ALLOWED',
    );
    expectGenniaError(
      await g(t, 'GET', `/conversations?agentPublicId=${other}`, limited),
      403,
      'AGENT_NOT_ALLOWED',
    );
    const list = (await g(t, 'GET', '/agents?limit=100', limited)).json<Paged<{ publicId: string }>>();
    expect(list.items.map((a) => a.publicId)).toEqual([w.agentId]);
    expect(list.total).toBe(1);
    expectGenniaError(await g(t, 'POST', '/agents', limited, { name: 'nope' }), 403, 'AGENT_NOT_ALLOWED');
  });
});

describe('§1 strict parsing and error bodies', () => {
  it('unknown body fields → 400 VALIDATION_ERROR naming them, and nothing changes', async () => {
    const res = await g(t, 'POST', '/agents', w.admin, { name: 'Strict', colour: 'red' });
    const body = expectGenniaError(res, 400, 'VALIDATION_ERROR');
    expect(body.details).toEqual([{ field: 'colour', message: 'is not allowed' }]);
    const nested = await g(t, 'POST', `/agents/${w.agentId}/messages`, w.key, {
      content: 'x',
      attachments: [{ url: 'https://example.com/a.png', size: 3 }],
    });
    expect(fields(expectGenniaError(nested, 400, 'VALIDATION_ERROR'))).toEqual(['attachments.0.size']);
    const list = (await g(t, 'GET', '/agents?search=Strict', w.admin)).json<Paged<unknown>>();
    expect(list.total).toBe(0);
  });

  it('type, range and length violations → 400 with dotted fields; null where not tri-state → 400', async () => {
    const res = await g(t, 'POST', `/agents/${w.agentId}/messages`, w.key, {
      content: 'x'.repeat(32_001),
      timeoutSeconds: 0,
      isTest: 'yes',
    });
    const body = expectGenniaError(res, 400, 'VALIDATION_ERROR');
    expect(fields(body).sort()).toEqual(['content', 'isTest', 'timeoutSeconds']);
    for (const d of body.details as Array<{ field: string; message: string }>)
      expect(typeof d.message).toBe('string');
    const nul = await g(t, 'PATCH', `/agents/${w.agentId}`, w.admin, { name: null });
    expect(fields(expectGenniaError(nul, 400, 'VALIDATION_ERROR'))).toEqual(['name']);
  });

  it('bad JSON and a missing body → 400 VALIDATION_ERROR; another content type → 415', async () => {
    const badJson = await t.app.inject({
      method: 'POST',
      url: `${G}/agents`,
      headers: { 'x-api-key': w.admin, 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expectGenniaError(badJson, 400, 'VALIDATION_ERROR');
    const missing = await g(t, 'POST', '/agents', w.admin);
    expect(fields(expectGenniaError(missing, 400, 'VALIDATION_ERROR'))).toEqual([null]);
    const text = await t.app.inject({
      method: 'POST',
      url: `${G}/agents`,
      headers: { 'x-api-key': w.admin, 'content-type': 'text/plain' },
      payload: 'name=x',
    });
    expectGenniaError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('JSON bodies over 1 MiB → 413 PAYLOAD_TOO_LARGE; send-message accepts larger bodies (40 MiB)', async () => {
    const big = { name: 'x', description: 'y'.repeat(1_100_000) };
    expectGenniaError(await g(t, 'POST', '/agents', w.admin, big), 413, 'PAYLOAD_TOO_LARGE');
    const send = await g(t, 'POST', `/agents/${w.agentId}/messages`, w.key, {
      content: 'z'.repeat(1_100_000),
    });
    // past the body limit, refused by validation instead
    expect(fields(expectGenniaError(send, 400, 'VALIDATION_ERROR'))).toEqual(['content']);
  });

  it('a known path with another method → 405 METHOD_NOT_ALLOWED with Allow', async () => {
    const res = await g(t, 'PUT', `/agents/${w.agentId}`, w.key, { name: 'x' });
    expectGenniaError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers['allow']).toBe('GET, PATCH, DELETE');
    const conv = await g(t, 'POST', `/conversations/${MISSING_ID}`, w.key);
    expectGenniaError(conv, 405, 'METHOD_NOT_ALLOWED');
    expect(conv.headers['allow']).toBe('GET, DELETE');
  });

  it('malformed ids in paths are 404 like missing ones', async () => {
    const a = expectGenniaError(await g(t, 'GET', '/agents/not-a-uuid', w.key), 404, 'AGENT_NOT_FOUND');
    const b = expectGenniaError(await g(t, 'GET', `/agents/${MISSING_ID}`, w.key), 404, 'AGENT_NOT_FOUND');
    expect(a.details).toEqual(b.details);
    expectGenniaError(await g(t, 'GET', '/conversations/nope', w.key), 404, 'CONVERSATION_NOT_FOUND');
  });
});

describe('§1 rate limiting', () => {
  it('429 RATE_LIMITED with Retry-After and RateLimit-* once the key limit is spent', async () => {
    const k = (await newKey(t, w.ws, { type: 'secret', name: 'slow', rate_limit_per_minute: 2 })).key;
    const first = await g(t, 'GET', '/health', k);
    expect(first.headers['ratelimit-limit']).toBe('2');
    expect(first.headers['ratelimit-remaining']).toBe('1');
    expect((await g(t, 'GET', '/agents', k)).statusCode).toBe(200);
    const limited = await g(t, 'GET', '/health', k);
    expectGenniaError(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect(limited.headers['ratelimit-reset']).toBeDefined();
  });
});

describe('graceful shutdown', () => {
  it('while draining, requests → 503 SERVICE_UNAVAILABLE with Retry-After (runs last: the app stays draining)', async () => {
    await t.services.runtime.tracker.drain(0);
    const res = await g(t, 'GET', '/health', w.key);
    expectGenniaError(res, 503, 'SERVICE_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
  });
});
