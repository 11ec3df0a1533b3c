import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningSecret } from '../../../features/workspaces/signing-secret.js';
import {
  newAgent,
  newKey,
  newSession,
  newWorkspace,
  operatorHeaders,
  setAgentStatus,
} from '../../../../test/factories.js';
import { createTestApp, type TestApp } from '../../../../test/harness.js';
import { bearer, call, expectError, MISSING_ID, type Headers } from '../../../../test/http.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const P = '/v1/public/agents';

interface Setup {
  ws: string;
  agent: string;
  pk: string;
  pkId: string;
  sk: string;
}

async function setup(
  keyExtra: Record<string, unknown> = {},
  agentExtra: Record<string, unknown> = {},
): Promise<Setup> {
  const ws = await newWorkspace(t);
  const agent = await newAgent(t, ws, agentExtra);
  const pub = await newKey(t, ws, { type: 'public', name: 'widget', ...keyExtra });
  const sk = (await newKey(t, ws)).key;
  return { ws, agent, pk: pub.key, pkId: pub.id, sk };
}

async function create(s: Setup, body: Record<string, unknown> = {}, headers: Headers = {}) {
  return call(
    t.app,
    'POST',
    `${P}/conversations`,
    { 'x-api-key': s.pk, ...headers },
    { agent_id: s.agent, ...body },
  );
}

async function createOk(s: Setup, body: Record<string, unknown> = {}, headers: Headers = {}) {
  const res = await create(s, body, headers);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{
    id: string;
    agent_id: string;
    session_token: string;
    expires_at: string;
    expires_in: number;
    created_at: string;
  }>();
}

describe('P1 create a conversation', () => {
  it('returns the conversation and a session token with the contract claims', async () => {
    const s = await setup({}, { session_token_ttl_seconds: 900 });
    const c = await createOk(s, {
      user_data: { name: 'Ana', external_id: 'crm-7' },
      context: { page: '/pricing' },
      metadata: { campaign: 'x' },
    });
    expect(Object.keys(c).sort()).toEqual([
      'agent_id',
      'created_at',
      'expires_at',
      'expires_in',
      'id',
      'session_token',
    ]);
    expect(c.agent_id).toBe(s.agent);
    expect(c.expires_in).toBe(900);
    const claims = decodeJwt(c.session_token);
    const header = decodeProtectedHeader(c.session_token);
    expect(header).toMatchObject({ alg: 'HS256', typ: 'JWT', kid: expect.any(String) });
    expect(claims).toMatchObject({
      iss: 'papo',
      aud: 'papo:public-chat',
      sub: c.id,
      conversation_id: c.id,
      workspace_id: s.ws,
      agent_id: s.agent,
      key_id: s.pkId,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(new Date(c.expires_at).getTime()).toBe(claims.exp! * 1000);

    // the same Papo conversation, seen by the management API
    const detail = await call(
      t.app,
      'GET',
      `/v1/admin/workspaces/${s.ws}/conversations/${c.id}`,
      operatorHeaders,
    );
    expect(detail.json()).toMatchObject({
      kind: 'public',
      channel: 'web_chat',
      external_user_id: 'crm-7',
      user_data: { name: 'Ana', external_id: 'crm-7' },
      context: { page: '/pricing' },
    });
  });

  it('accepts a secret key from a backend', async () => {
    const s = await setup();
    const res = await create({ ...s, pk: s.sk });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('refuses bad requests with the contract status and creates nothing', async () => {
    const s = await setup();
    const count = async () =>
      (
        await call(t.app, 'GET', `/v1/admin/workspaces/${s.ws}/conversations?limit=100`, operatorHeaders)
      ).json().items.length;
    const before = await count();
    expectError(
      await call(t.app, 'POST', `${P}/conversations`, {}, { agent_id: s.agent }),
      401,
      'missing_api_key',
    );
    expectError(await create({ ...s, pk: 'papo_pk_' + 'x'.repeat(40) }), 401, 'invalid_api_key');
    expectError(
      await call(t.app, 'POST', `${P}/conversations`, { 'x-api-key': s.pk }, {}),
      400,
      'invalid_request',
    );
    expectError(await create(s, { agent_id: 'not-a-uuid' }), 422, 'validation_error');
    expectError(await create(s, { agent_id: MISSING_ID }), 404, 'not_found');
    expectError(await create(s, { user_data: { big: 'x'.repeat(17_000) } }), 422, 'validation_error');
    const other = await setup();
    expectError(await create(s, { agent_id: other.agent }), 404, 'not_found');
    await setAgentStatus(t, s.ws, s.agent, 'inactive');
    expectError(await create(s), 409, 'agent_unavailable');
    await setAgentStatus(t, s.ws, s.agent, 'active');
    const limited = await newKey(t, s.ws, { type: 'public', agent_ids: [await newAgent(t, s.ws)] });
    expect(
      expectError(await create({ ...s, pk: limited.key }), 403, 'agent_not_allowed').error.context,
    ).toEqual({ agent_id: s.agent });
    expect(await count()).toBe(before);
  });

  it('enforces allowed origins exactly', async () => {
    const s = await setup({ allowed_origins: ['https://*.example.com', 'http://localhost:5173'] });
    expect((await create(s, {}, { origin: 'https://shop.example.com' })).statusCode).toBe(200);
    expect((await create(s, {}, { origin: 'https://a.b.example.com' })).statusCode).toBe(200);
    expect((await create(s, {}, { origin: 'http://localhost:5173' })).statusCode).toBe(200);
    for (const origin of [
      'https://evil-example.com',
      'https://example.com',
      'http://shop.example.com',
      'https://shop.example.com:8443',
      'http://localhost:5174',
      'null',
    ]) {
      const res = await create(s, {}, { origin });
      expect(expectError(res, 403, 'origin_not_allowed').error.context, origin).toEqual({ origin });
    }
    expect(expectError(await create(s), 403, 'origin_not_allowed').error.context).toEqual({ origin: null });
    // secret keys from backends carry no origin rules
    expect((await create({ ...s, pk: s.sk })).statusCode).toBe(200);
  });
});

describe('session tokens (P2 and every Bearer endpoint)', () => {
  const state = (id: string, headers: Headers) => call(t.app, 'GET', `${P}/conversations/${id}`, headers);

  it('P2 answers the conversation state', async () => {
    const s = await setup();
    const c = await createOk(s, {
      user_data: { name: 'Ana' },
      metadata: { a: 1 },
      context: { hidden: true },
    });
    const res = await state(c.id, bearer(c.session_token));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual([
      'agent_id',
      'closed_at',
      'created_at',
      'expires_at',
      'id',
      'messages_count',
      'metadata',
      'status',
      'updated_at',
      'user_data',
    ]);
    expect(body).toMatchObject({
      id: c.id,
      agent_id: s.agent,
      status: 'active',
      messages_count: 0,
      closed_at: null,
      user_data: { name: 'Ana' },
      metadata: { a: 1 },
    });
  });

  it('refuses missing, malformed, forged, wrong-audience, unknown-kid and alg-none tokens', async () => {
    const s = await setup();
    const c = await createOk(s);
    expectError(await state(c.id, {}), 401, 'missing_session_token');
    expectError(
      await state(c.id, { authorization: `Basic ${c.session_token}` }),
      401,
      'missing_session_token',
    );
    expectError(await state(c.id, bearer('not.a.jwt')), 401, 'invalid_session_token');
    expectError(await state(c.id, bearer(s.sk)), 401, 'invalid_session_token');
    expectError(await state(c.id, { 'x-api-key': s.sk }), 401, 'missing_session_token');
    const [h, p] = c.session_token.split('.');
    expectError(
      await state(c.id, bearer(`${h}.${p}.AAAA${c.session_token.slice(-20)}`)),
      401,
      'invalid_session_token',
    );
    expectError(await state(c.id, bearer(c.session_token.slice(0, -3))), 401, 'invalid_session_token');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
    expectError(await state(c.id, bearer(none)), 401, 'invalid_session_token');

    const secret = await loadSigningSecret(t.db.db, t.clock, undefined);
    const key = new TextEncoder().encode(secret.secret);
    const claims = decodeJwt(c.session_token);
    const sign = (mutate: (j: SignJWT) => SignJWT, kid = secret.kid) =>
      mutate(new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid })).sign(key);
    expectError(
      await state(c.id, bearer(await sign((j) => j.setAudience('other')))),
      401,
      'invalid_session_token',
    );
    expectError(
      await state(c.id, bearer(await sign((j) => j.setIssuer('someone-else')))),
      401,
      'invalid_session_token',
    );
    expectError(await state(c.id, bearer(await sign((j) => j, 'other-kid'))), 401, 'invalid_session_token');
    // a well-signed token with every claim intact is accepted (the forgeries above fail on what they changed)
    expect((await state(c.id, bearer(await sign((j) => j)))).statusCode).toBe(200);
  });

  it('expires at exp with no leeway, and a refresh gets a working token', async () => {
    const s = await setup({}, { session_token_ttl_seconds: 60 });
    const c = await createOk(s);
    // exp has whole-second precision: move to just before it, then just past it
    const exp = new Date(c.expires_at).getTime();
    t.clock.advance(exp - t.clock.now().getTime() - 300);
    expect((await state(c.id, bearer(c.session_token))).statusCode).toBe(200);
    t.clock.advance(exp - t.clock.now().getTime());
    const expired = expectError(await state(c.id, bearer(c.session_token)), 401, 'session_token_expired');
    expect(expired.error.name).toBe('SessionTokenExpiredError');
    expect(expired.error.context).toEqual({ expired_at: c.expires_at });
    const refreshed = await call(t.app, 'POST', `${P}/conversations/${c.id}/token/refresh`, {
      'x-api-key': s.pk,
    });
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    expect(Object.keys(refreshed.json()).sort()).toEqual(['expires_at', 'expires_in', 'session_token']);
    expect((await state(c.id, bearer(refreshed.json().session_token))).statusCode).toBe(200);
  });

  it("answers 403 for another conversation's token, and 404 for a deleted conversation's", async () => {
    const s = await setup();
    const a = await createOk(s);
    const b = await createOk(s);
    const mismatch = expectError(
      await state(b.id, bearer(a.session_token)),
      403,
      'session_token_scope_mismatch',
    );
    expect(mismatch.error.context).toEqual({});
    expectError(await state('not-a-uuid', bearer(a.session_token)), 403, 'session_token_scope_mismatch');
  });

  it('stops working when the issuing key is revoked, and other keys can refresh', async () => {
    const s = await setup();
    const c = await createOk(s);
    await call(t.app, 'DELETE', `/v1/admin/workspaces/${s.ws}/api-keys/${s.pkId}`, operatorHeaders);
    expectError(await state(c.id, bearer(c.session_token)), 401, 'invalid_session_token');
    const other = await newKey(t, s.ws, { type: 'public' });
    const r = await call(t.app, 'POST', `${P}/conversations/${c.id}/token/refresh`, {
      'x-api-key': other.key,
    });
    expect(r.statusCode).toBe(200);
    expect(decodeJwt(r.json().session_token).key_id).toBe(other.id);
    expect((await state(c.id, bearer(r.json().session_token))).statusCode).toBe(200);
  });

  it('session tokens are refused on the Agent API and API keys on Bearer endpoints', async () => {
    const s = await setup();
    const c = await createOk(s);
    expectError(
      await call(t.app, 'GET', `/v1/agents/sessions/${c.id}`, bearer(c.session_token)),
      401,
      'missing_api_key',
    );
    expectError(
      await call(t.app, 'GET', `/v1/agents/sessions/${c.id}`, { 'x-api-key': s.pk }),
      403,
      'insufficient_scope',
    );
    // and the public key reaches only P1/P3: every Bearer endpoint wants the session token
    expectError(
      await call(t.app, 'GET', `${P}/conversations/${c.id}/messages`, { 'x-api-key': s.pk }),
      401,
      'missing_session_token',
    );
  });
});

describe('P3 refresh and P4 terminate', () => {
  it('P3 keeps older tokens valid, works on closed conversations and checks origin, key and agent', async () => {
    const s = await setup({ allowed_origins: ['https://shop.example.com'] });
    const origin = { origin: 'https://shop.example.com' };
    const c = await createOk(s, {}, origin);
    const refresh = (headers: Headers, id = c.id) =>
      call(t.app, 'POST', `${P}/conversations/${id}/token/refresh`, headers);
    const r = await refresh({ 'x-api-key': s.pk, ...origin });
    expect(r.statusCode).toBe(200);
    expect(r.json().session_token).not.toBe(c.session_token);
    expect((await call(t.app, 'GET', `${P}/conversations/${c.id}`, bearer(c.session_token))).statusCode).toBe(
      200,
    );
    expectError(await refresh({ 'x-api-key': s.pk }), 403, 'origin_not_allowed');
    expectError(
      await refresh({ 'x-api-key': s.pk, origin: 'https://evil.example.com' }),
      403,
      'origin_not_allowed',
    );
    expectError(await refresh({}), 401, 'missing_api_key');
    expectError(await refresh({ 'x-api-key': s.pk, ...origin }, MISSING_ID), 404, 'not_found');
    const other = await setup();
    expectError(await refresh({ 'x-api-key': other.pk }), 404, 'not_found');
    const limited = await newKey(t, s.ws, { type: 'public', agent_ids: [await newAgent(t, s.ws)] });
    expectError(await refresh({ 'x-api-key': limited.key }), 403, 'agent_not_allowed');
    await call(t.app, 'POST', `${P}/conversations/${c.id}/terminate`, bearer(c.session_token));
    expect((await refresh({ 'x-api-key': s.pk, ...origin })).statusCode).toBe(200);
  });

  it('P4 closes once: concurrent and repeated terminates return the stored closing; sends are then refused', async () => {
    const s = await setup();
    const c = await createOk(s);
    const h = bearer(c.session_token);
    const url = `${P}/conversations/${c.id}/terminate`;
    const [a, b] = await Promise.all([
      call(t.app, 'POST', url, h, { reason: 'done' }),
      call(t.app, 'POST', url, h, { reason: 'other' }),
    ]);
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(a.json()).toEqual(b.json());
    expect(a.json()).toMatchObject({ id: c.id, status: 'closed', closed_at: expect.any(String) });
    const again = await call(t.app, 'POST', url, h);
    expect(again.json()).toEqual(a.json());
    expectError(await call(t.app, 'POST', url, h, { reason: 'x'.repeat(501) }), 422, 'validation_error');
    const send = await call(t.app, 'POST', `${P}/conversations/${c.id}/messages`, h, { content: 'hi' });
    expect(expectError(send, 409, 'conversation_closed').error.context).toEqual({
      conversation_id: c.id,
      status: 'closed',
    });
    const st = await call(t.app, 'GET', `${P}/conversations/${c.id}`, h);
    expect(st.json()).toMatchObject({ status: 'closed', closed_at: a.json().closed_at });
  });

  it('a public conversation is visible to the Agent API as a session with no user', async () => {
    const s = await setup();
    const c = await createOk(s);
    const res = await call(t.app, 'GET', `/v1/agents/sessions/${c.id}`, { 'x-api-key': s.sk });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: c.id, agent_id: s.agent, user: null, status: 'active' });
    // and an Agent API session can be read by nobody on the Public API without a token
    const w = { workspaceId: s.ws, key: s.sk, agentId: s.agent };
    const sid = await newSession(t, w);
    expectError(
      await call(t.app, 'GET', `${P}/conversations/${sid}`, bearer(c.session_token)),
      403,
      'session_token_scope_mismatch',
    );
  });
});

describe('CORS', () => {
  it('answers preflight for any origin on the Public Chat API only', async () => {
    const pre = await t.app.inject({
      method: 'OPTIONS',
      url: `${P}/conversations`,
      headers: {
        origin: 'https://anywhere.io',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key,content-type',
      },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    expect(String(pre.headers['access-control-allow-headers'])).toBe(
      'Authorization, Content-Type, X-API-Key, Idempotency-Key, Last-Event-ID',
    );
    expect(String(pre.headers['access-control-allow-methods'])).toContain('POST');
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();

    const agentPre = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/agents/sessions',
      headers: { origin: 'https://anywhere.io', 'access-control-request-method': 'GET' },
    });
    expect(agentPre.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('exposes headers on every Public Chat response, errors included, and on no other surface', async () => {
    const s = await setup();
    const ok = await create(s, {}, { origin: 'https://anywhere.io' });
    expect(ok.headers['access-control-allow-origin']).toBe('*');
    expect(String(ok.headers['access-control-expose-headers'])).toBe(
      'X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Idempotency-Replayed',
    );
    const err = await call(t.app, 'GET', `${P}/conversations/${MISSING_ID}`, {
      origin: 'https://anywhere.io',
    });
    expect(err.statusCode).toBe(401);
    expect(err.headers['access-control-allow-origin']).toBe('*');
    const agent = await call(t.app, 'GET', '/v1/agents/sessions', {
      origin: 'https://anywhere.io',
      'x-api-key': s.sk,
    });
    expect(agent.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('Papo extension · GET /v1/public/agents/{agent_id}/profile (widget profile)', () => {
  const profile = (s: Setup, headers: Headers = {}, agent = s.agent) =>
    call(t.app, 'GET', `${P}/${agent}/profile`, { 'x-api-key': s.pk, ...headers });

  it("answers the agent's current greeting and name without creating a conversation", async () => {
    const s = await setup({}, { name: 'Ana da Loja', greeting: 'Olá! Em que posso ajudar?' });
    const res = await profile(s);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      id: s.agent,
      name: 'Ana da Loja',
      greeting: 'Olá! Em que posso ajudar?',
      avatar_url: null,
      available: true,
    });
    const admin = await call(t.app, 'GET', `/v1/admin/workspaces/${s.ws}/conversations`, operatorHeaders);
    expect(admin.json<{ items: unknown[] }>().items).toEqual([]);

    // an edit shows on the next read (no snippet to update)
    const patch = await call(
      t.app,
      'PATCH',
      `/v1/admin/workspaces/${s.ws}/agents/${s.agent}`,
      operatorHeaders,
      { greeting: 'Oi de novo' },
    );
    expect(patch.statusCode, patch.body).toBe(200);
    expect((await profile(s)).json<{ greeting: string }>().greeting).toBe('Oi de novo');
  });

  it('reports an agent that cannot take conversations as unavailable, and a missing one as 404', async () => {
    const s = await setup();
    await setAgentStatus(t, s.ws, s.agent, 'inactive');
    const res = await profile(s);
    expect(res.statusCode).toBe(200);
    expect(res.json<{ available: boolean; greeting: unknown }>()).toMatchObject({
      available: false,
      greeting: null,
    });
    expectError(await profile(s, {}, MISSING_ID), 404, 'not_found');
    expectError(await profile(s, {}, 'not-a-uuid'), 404, 'not_found');
    const other = await setup();
    expectError(await profile(s, {}, other.agent), 404, 'not_found');
  });

  it('checks the key, the allowed origins and the allow-list as P1 does', async () => {
    const s = await setup({ allowed_origins: ['https://shop.example.com'] });
    expect((await profile(s, { origin: 'https://shop.example.com' })).statusCode).toBe(200);
    expectError(await profile(s, { origin: 'https://evil.example.com' }), 403, 'origin_not_allowed');
    expectError(await profile(s), 403, 'origin_not_allowed');
    expectError(await call(t.app, 'GET', `${P}/${s.agent}/profile`, {}), 401, 'missing_api_key');
    // the profile route does not shadow the known P1 path: GET there is still a 405
    const p1 = await call(t.app, 'GET', `${P}/conversations`, {});
    expectError(p1, 405, 'method_not_allowed');
    expect(p1.headers['allow']).toBe('POST');
    expectError(await profile({ ...s, pk: 'papo_pk_nope' }), 401, 'invalid_api_key');
    const other = await newAgent(t, s.ws);
    const limited = await newKey(t, s.ws, { type: 'public', name: 'one agent', agent_ids: [other] });
    expectError(await profile({ ...s, pk: limited.key }), 403, 'agent_not_allowed');
    // secret keys from backends carry no origin rules
    expect((await profile({ ...s, pk: s.sk })).statusCode).toBe(200);
  });
});
