import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, operatorHeaders } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { expectRdError, rd, rdAgent, rdWorld, type RdWorld } from './rd.js';

/** rdstation.md §1 (auth, scopes, errors, content types, rate limits) and §6 (unserved paths). */

let t: TestApp;
let w: RdWorld;
let agentId: string;

beforeAll(async () => {
  t = await createTestApp();
  w = await rdWorld(t);
  agentId = await rdAgent(t, w);
});
afterAll(() => t.close());

describe('§1 auth: Authorization: Bearer papo_sk_…', () => {
  const routes = () =>
    [
      ['POST', `/api/${agentId}`, { message: { content: 'hi' } }],
      ['GET', `/rest/conversations/list/${agentId}`, undefined],
      ['GET', '/rest/leads', undefined],
      ['GET', '/rest/agents', undefined],
      ['GET', `/rest/agents/${agentId}`, undefined],
    ] as const;

  it('no key, a malformed one, an unknown one, a revoked one, a vendor token → 401 UNAUTHORIZED', async () => {
    const revoked = await newKey(t, w.workspaceId);
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/workspaces/${w.workspaceId}/api-keys/${revoked.id}`,
      headers: operatorHeaders,
    });
    expect(del.statusCode).toBe(204);
    for (const [method, path, body] of routes()) {
      expectRdError(await rd(t, method, path, undefined, body), 401, 'UNAUTHORIZED');
      for (const key of ['nope', `papo_sk_${'x'.repeat(40)}`, revoked.key, 'rdsm_0123456789abcdef']) {
        expectRdError(await rd(t, method, path, key, body), 401, 'UNAUTHORIZED');
      }
    }
    // the scheme word is case-insensitive; X-API-Key is not read here
    const lower = await rd(t, 'GET', '/rest/agents', undefined, undefined, {
      authorization: `bearer ${w.key}`,
    });
    expect(lower.statusCode).toBe(200);
    expectRdError(
      await rd(t, 'GET', '/rest/agents', undefined, undefined, { 'x-api-key': w.key }),
      401,
      'UNAUTHORIZED',
    );
  });

  it('a public key → 403 FORBIDDEN everywhere', async () => {
    const pk = (await newKey(t, w.workspaceId, { type: 'public' })).key;
    for (const [method, path, body] of routes()) {
      expectRdError(await rd(t, method, path, pk, body), 403, 'FORBIDDEN');
    }
  });

  it('agent creation needs admin; an agent:run key → 403', async () => {
    expectRdError(await rd(t, 'POST', '/rest/agents', w.key, { name: 'x' }), 403, 'FORBIDDEN');
  });

  it("a key's agent allow-list: other agents → 403, lists filtered, no agent creation", async () => {
    const other = await rdAgent(t, w);
    const limited = (
      await newKey(t, w.workspaceId, { type: 'secret', agent_ids: [agentId], scopes: ['admin'] })
    ).key;
    expectRdError(
      await rd(t, 'POST', `/api/${other}`, limited, { message: { content: 'hi' } }),
      403,
      'FORBIDDEN',
    );
    // checked before the body (README §5): an invalid body to another agent is still 403
    expectRdError(await rd(t, 'POST', `/api/${other}`, limited, {}), 403, 'FORBIDDEN');
    expectRdError(await rd(t, 'GET', `/rest/agents/${other}`, limited), 403, 'FORBIDDEN');
    expectRdError(await rd(t, 'GET', `/rest/conversations/list/${other}`, limited), 403, 'FORBIDDEN');
    expectRdError(await rd(t, 'GET', `/rest/leads?agentId=${other}`, limited), 403, 'FORBIDDEN');
    expectRdError(await rd(t, 'POST', '/rest/agents', limited, { name: 'new' }), 403, 'FORBIDDEN');
    const list = await rd(t, 'GET', '/rest/agents', limited);
    expect(list.json().data.map((a: { id: string }) => a.id)).toEqual([agentId]);
    expect((await rd(t, 'GET', `/rest/agents/${agentId}`, limited)).statusCode).toBe(200);
  });

  it('another workspace is 404 exactly like a missing resource', async () => {
    const other = await rdWorld(t);
    const a = await rd(t, 'GET', `/rest/agents/${agentId}`, other.key);
    const b = await rd(t, 'GET', '/rest/agents/01900000-0000-7000-8000-000000000000', other.key);
    expectRdError(a, 404, 'NOT_FOUND');
    expectRdError(b, 404, 'NOT_FOUND');
    expectRdError(await rd(t, 'GET', '/rest/agents/not-a-uuid', w.key), 404, 'NOT_FOUND');
  });
});

describe('§1.2 errors, content types, request ids', () => {
  it('malformed JSON → 400 BAD_REQUEST; not JSON → 415; validation lists issues', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/compat/rdstation/rest/leads',
      headers: { authorization: `Bearer ${w.key}`, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expectRdError(bad, 400, 'BAD_REQUEST');
    const text = await t.app.inject({
      method: 'POST',
      url: '/compat/rdstation/rest/leads',
      headers: { authorization: `Bearer ${w.key}`, 'content-type': 'text/plain' },
      payload: 'name=x',
    });
    expectRdError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const invalid = await rd(t, 'POST', '/rest/leads', w.key, { email: 'not-an-email', capture: 'maybe' });
    const body = expectRdError(invalid, 400, 'BAD_REQUEST');
    const issues = body.issues!.map((i) => i.message);
    expect(issues.some((m) => m.startsWith('email: '))).toBe(true);
    expect(issues.some((m) => m.startsWith('capture: '))).toBe(true);
  });

  it('a body over 1 MiB → 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await rd(t, 'POST', '/rest/leads', w.key, { custom: { big: 'x'.repeat(1024 * 1024 + 10) } });
    expectRdError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('unserved paths → 404 "Endpoint not supported by Papo"; other methods → 405 with Allow', async () => {
    for (const [method, path] of [
      ['PUT', `/rest/agents/${agentId}`],
      ['DELETE', `/rest/agents/${agentId}`],
      ['GET', `/rest/agents/${agentId}/channels/`],
      ['GET', '/rest/fields'],
      ['GET', '/rest/bases'],
      ['POST', `/widget/${w.workspaceId}/${agentId}`],
      ['GET', '/rest/workspaces/current'],
      ['GET', '/rest/accounts/me'],
    ] as const) {
      const body = expectRdError(await rd(t, method, path, w.key), 404, 'NOT_FOUND');
      expect(body.message).toBe('Endpoint not supported by Papo');
    }
    const res = await rd(t, 'PATCH', '/rest/leads', w.key, {});
    expectRdError(res, 405, 'METHOD_NOT_SUPPORTED');
    expect(res.headers['allow']).toBe('GET, POST');
    const feedback = await rd(t, 'GET', `/rest/${w.workspaceId}/${agentId}/message/feedback`, undefined);
    expectRdError(feedback, 405, 'METHOD_NOT_SUPPORTED');
    expect(feedback.headers['allow']).toBe('POST');
  });

  it('RateLimit headers on counted requests; the surface is not in openapi.json', async () => {
    const res = await rd(t, 'GET', '/rest/agents', w.key);
    expect(res.headers['ratelimit-limit']).toBe('600');
    expect(Number(res.headers['ratelimit-remaining'])).toBeLessThan(600);
    const doc = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(doc.body).not.toContain('/compat/rdstation');
    expect(doc.body).not.toContain('/rest/agents');
  });

  it('page/size out of range or not integers → 400', async () => {
    for (const q of ['page=0', 'size=0', 'size=101', 'page=1.5', 'size=abc']) {
      expectRdError(await rd(t, 'GET', `/rest/leads?${q}`, w.key), 400, 'BAD_REQUEST');
    }
  });
});

describe('§1 rate limiting → 429 TOO_MANY_REQUESTS', () => {
  it('a key over its limit gets Retry-After and the RD body', async () => {
    const small = await createTestApp({ env: { PAPO_RATE_LIMIT_SECRET_KEY: '2', PAPO_RATE_LIMIT_IP: '2' } });
    try {
      const sw = await rdWorld(small);
      expect((await rd(small, 'GET', '/rest/leads', sw.key)).statusCode).toBe(200);
      expect((await rd(small, 'GET', '/rest/leads', sw.key)).statusCode).toBe(200);
      const res = await rd(small, 'GET', '/rest/leads', sw.key);
      expectRdError(res, 429, 'TOO_MANY_REQUESTS');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.headers['ratelimit-remaining']).toBe('0');
      // feedback is limited per client IP (no credential)
      const path = `/rest/${sw.workspaceId}/${sw.workspaceId}/message/feedback`;
      const fb = { id: sw.workspaceId, feedback: 'positive' };
      expectRdError(await rd(small, 'POST', path, undefined, fb), 404, 'NOT_FOUND');
      expectRdError(await rd(small, 'POST', path, undefined, fb), 404, 'NOT_FOUND');
      const limited = await rd(small, 'POST', path, undefined, fb);
      expectRdError(limited, 429, 'TOO_MANY_REQUESTS');
      expect(limited.headers['retry-after']).toBeDefined();
    } finally {
      await small.close();
    }
  });
});
