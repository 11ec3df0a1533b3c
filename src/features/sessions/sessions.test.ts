import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import {
  newAgent,
  newKey,
  newSession,
  newWorld,
  operatorHeaders,
  setAgentStatus,
  type World,
} from '../../../test/factories.js';
import {
  call as callApp,
  expectError as expectErrorBody,
  type ErrorBody,
  type Headers,
  type Method,
} from '../../../test/http.js';
import { isUuidV7, newId } from '../../platform/ids.js';
import type { User } from '../users/users.service.js';
import type { Session, Termination } from './sessions.service.js';

/** Long enough that no clock advance of this file expires the main world's sessions. */
const TTL_S = 7 * 24 * 3600;
/** The shortest idle TTL an agent may have; used to test expiry. */
const SHORT_TTL_S = 300;
const SESSION_KEYS = [
  'agent_id',
  'closed_at',
  'context',
  'created_at',
  'expires_at',
  'id',
  'last_message_at',
  'messages_count',
  'metadata',
  'status',
  'updated_at',
  'user',
];

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await createTestApp();
  w = await newWorld(t, { idle_ttl_seconds: TTL_S });
});
afterAll(async () => {
  await t?.close();
});

/** `key: null` (or omitted) sends no X-API-Key. */
function call(method: Method, url: string, key?: string | null, payload?: unknown, headers: Headers = {}) {
  const auth: Headers = typeof key === 'string' ? { 'x-api-key': key } : {};
  return callApp(t.app, method, url, { ...auth, ...headers }, payload);
}

function createSession(agentId: string, body: unknown = {}, key: string | null = w.key) {
  return call('POST', `/v1/agents/${agentId}/sessions`, key, body);
}

async function createSessionOk(world: World, body: unknown = {}, key = world.key): Promise<Session> {
  const res = await createSession(world.agentId, body, key);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Session>();
}

async function getSession(id: string, key = w.key): Promise<Session> {
  const res = await call('GET', `/v1/agents/sessions/${id}`, key);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Session>();
}

function terminate(id: string, body?: unknown, key: string | null = w.key, headers: Headers = {}) {
  return call('POST', `/v1/agents/sessions/${id}/terminate`, key, body, headers);
}

function send(id: string, text = 'hello', key = w.key) {
  return call('POST', `/v1/agents/sessions/${id}/messages`, key, { content: text });
}

async function createUser(key: string, body: Record<string, unknown>): Promise<User> {
  const res = await call('POST', '/v1/agents/users', key, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<User>();
}

/** Checks the §4.1 envelope and that nothing internal (stack, driver message) leaks. */
function expectError(res: LightMyRequestResponse, status: number, code: string): ErrorBody['error'] {
  const body = expectErrorBody(res, status, code);
  expect(res.body).not.toMatch(/stack|node_modules|\.ts:\d+|\.js:\d+|drizzle|postgres|pglite|syntax error/i);
  return body.error;
}

const plus = (iso: string, seconds: number) =>
  new Date(new Date(iso).getTime() + seconds * 1000).toISOString();

describe('A6 create session', () => {
  it('creates an active session from {} with the exact Session shape', async () => {
    const before = Date.now();
    const s = await createSessionOk(w);
    expect(Object.keys(s).sort()).toEqual(SESSION_KEYS);
    expect(s).toEqual({
      id: expect.any(String),
      agent_id: w.agentId,
      status: 'active',
      created_at: expect.any(String),
      updated_at: s.created_at,
      user: null,
      messages_count: 0,
      last_message_at: null,
      closed_at: null,
      expires_at: plus(s.created_at, TTL_S),
      context: {},
      metadata: {},
    });
    expect(isUuidV7(s.id)).toBe(true);
    expect(new Date(s.created_at).toISOString()).toBe(s.created_at);
    expect(new Date(s.created_at).getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('echoes context and metadata, on create and on read', async () => {
    const context = { page: '/pricing', plan: 'pro', nested: { a: [1, 2, { b: null }] } };
    const metadata = { crm_id: 'c-42', tags: ['vip'] };
    const s = await createSessionOk(w, { context, metadata });
    expect(s.context).toEqual(context);
    expect(s.metadata).toEqual(metadata);
    expect(await getSession(s.id)).toEqual(s);
  });

  it('ignores unknown body fields', async () => {
    const s = await createSessionOk(w, { channel: 'whatsapp', status: 'closed', agent_id: newId() });
    expect(s.status).toBe('active');
    expect(s.agent_id).toBe(w.agentId);
  });

  it('accepts a request with no body at all, like {}', async () => {
    const res = await call('POST', `/v1/agents/${w.agentId}/sessions`, w.key);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Session>()).toMatchObject({ status: 'active', context: {}, metadata: {}, user: null });
  });

  it('uses each agent’s own idle TTL for expires_at', async () => {
    const agentId = await newAgent(t, w.workspaceId, { idle_ttl_seconds: SHORT_TTL_S });
    const s = await createSessionOk({ ...w, agentId });
    expect(s.expires_at).toBe(plus(s.created_at, SHORT_TTL_S));
  });

  it('binds an end user by id and copies the reference', async () => {
    const user = await createUser(w.key, { reference: 'crm-bind-by-id', name: 'Alice' });
    const s = await createSessionOk(w, { user: { id: user.id } });
    expect(s.user).toEqual({ id: user.id, reference: 'crm-bind-by-id' });
    expect((await getSession(s.id)).user).toEqual({ id: user.id, reference: 'crm-bind-by-id' });
  });

  it('binds an end user by reference', async () => {
    const user = await createUser(w.key, { reference: 'crm-bind-by-ref' });
    const s = await createSessionOk(w, { user: { reference: 'crm-bind-by-ref' } });
    expect(s.user).toEqual({ id: user.id, reference: 'crm-bind-by-ref' });
  });

  it('binds by id and reference when both name the same user', async () => {
    const user = await createUser(w.key, { reference: 'crm-bind-both' });
    const s = await createSessionOk(w, { user: { id: user.id, reference: 'crm-bind-both' } });
    expect(s.user).toEqual({ id: user.id, reference: 'crm-bind-both' });
  });

  it('binds a user without a reference as {id, reference: null}', async () => {
    const user = await createUser(w.key, { name: 'No Ref' });
    const s = await createSessionOk(w, { user: { id: user.id } });
    expect(s.user).toEqual({ id: user.id, reference: null });
  });

  it('keeps the reference from binding time once the user is deleted', async () => {
    const user = await createUser(w.key, { reference: 'crm-deleted-later' });
    const s = await createSessionOk(w, { user: { id: user.id } });
    const del = await call('DELETE', `/v1/agents/users/${user.id}`, w.key);
    expect(del.statusCode, del.body).toBe(204);
    expect((await getSession(s.id)).user).toEqual({ id: user.id, reference: 'crm-deleted-later' });
  });

  it('is served under the /v1/agent alias too', async () => {
    const res = await call('POST', `/v1/agent/${w.agentId}/sessions`, w.key, {});
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Session>().agent_id).toBe(w.agentId);
  });

  it('answers 404 not_found alike for an unknown agent, a malformed id and another workspace’s agent', async () => {
    const other = await newWorld(t);
    const unknown = newId();
    const errors = [
      expectError(await createSession(unknown), 404, 'not_found'),
      expectError(await createSession('not-an-id'), 404, 'not_found'),
      expectError(await createSession(other.agentId), 404, 'not_found'),
      expectError(await createSession(unknown.toUpperCase()), 404, 'not_found'),
    ];
    const ids = [unknown, 'not-an-id', other.agentId, unknown.toUpperCase()];
    errors.forEach((e, i) => {
      expect(e).toEqual({ ...errors[0], message: e.message, context: { resource: 'agent', id: ids[i] } });
    });
    // the other workspace's agent is answered like a missing one: same wording, no hint
    expect(errors[2]!.message.replace(other.agentId, 'X')).toBe(errors[0]!.message.replace(unknown, 'X'));
  });

  it('answers 404 for a deleted agent', async () => {
    const agentId = await newAgent(t, w.workspaceId);
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/workspaces/${w.workspaceId}/agents/${agentId}`,
      headers: operatorHeaders,
    });
    expect(del.statusCode, del.body).toBe(204);
    expectError(await createSession(agentId), 404, 'not_found');
  });

  it.each(['inactive', 'archived', 'draft'])(
    'answers 409 agent_unavailable for an agent with status %s',
    async (status) => {
      const agentId = await newAgent(t, w.workspaceId);
      await setAgentStatus(t, w.workspaceId, agentId, status);
      const error = expectError(await createSession(agentId), 409, 'agent_unavailable');
      expect(error.context).toEqual({ agent_id: agentId, status });
      await setAgentStatus(t, w.workspaceId, agentId, 'active');
      expect((await createSession(agentId)).statusCode).toBe(200);
    },
  );

  it('answers 422 user_not_found for an unknown id or reference, and creates nothing', async () => {
    const before = (await call('GET', '/v1/agents/sessions?limit=100', w.key)).json<{ items: Session[] }>()
      .items.length;
    const unknownId = newId();
    expect(
      expectError(await createSession(w.agentId, { user: { id: unknownId } }), 422, 'user_not_found').context,
    ).toEqual({
      id: unknownId,
    });
    expect(
      expectError(
        await createSession(w.agentId, { user: { reference: 'nobody-here' } }),
        422,
        'user_not_found',
      ).context,
    ).toEqual({ reference: 'nobody-here' });
    const after = (await call('GET', '/v1/agents/sessions?limit=100', w.key)).json<{ items: Session[] }>()
      .items.length;
    expect(after).toBe(before);
  });

  it('answers 422 user_not_found for a deleted user and for another workspace’s user', async () => {
    const gone = await createUser(w.key, { reference: 'crm-gone' });
    await call('DELETE', `/v1/agents/users/${gone.id}`, w.key);
    expectError(await createSession(w.agentId, { user: { id: gone.id } }), 422, 'user_not_found');
    expectError(await createSession(w.agentId, { user: { reference: 'crm-gone' } }), 422, 'user_not_found');

    const other = await newWorld(t);
    const foreign = await createUser(other.key, { reference: 'crm-foreign' });
    expectError(await createSession(w.agentId, { user: { id: foreign.id } }), 422, 'user_not_found');
    expectError(
      await createSession(w.agentId, { user: { reference: 'crm-foreign' } }),
      422,
      'user_not_found',
    );
  });

  it('answers 422 validation_error for a user with neither id nor reference, or a mismatch', async () => {
    const a = await createUser(w.key, { reference: 'crm-mismatch-a' });
    await createUser(w.key, { reference: 'crm-mismatch-b' });
    const neither = expectError(await createSession(w.agentId, { user: {} }), 422, 'validation_error');
    expect(neither.context['issues']).toEqual([expect.objectContaining({ location: 'body', path: 'user' })]);
    const mismatch = expectError(
      await createSession(w.agentId, { user: { id: a.id, reference: 'crm-mismatch-b' } }),
      422,
      'validation_error',
    );
    expect(mismatch.context['issues']).toEqual([expect.objectContaining({ location: 'body', path: 'user' })]);
  });

  it.each([
    ['context over 16 KiB', { context: { big: 'x'.repeat(16 * 1024) } }, 'context'],
    ['metadata over 16 KiB', { metadata: { big: 'x'.repeat(16 * 1024) } }, 'metadata'],
    ['context not an object', { context: ['a'] }, 'context'],
    ['metadata a string', { metadata: 'x' }, 'metadata'],
    ['user not an object', { user: 'crm-1' }, 'user'],
    ['user.id a number', { user: { id: 42 } }, 'user.id'],
  ])('answers 422 validation_error for %s', async (_label, body, path) => {
    const error = expectError(await createSession(w.agentId, body), 422, 'validation_error');
    expect(error.context['issues']).toEqual(
      expect.arrayContaining([expect.objectContaining({ location: 'body', path })]),
    );
  });

  it('accepts a context of exactly 16 KiB serialised', async () => {
    const context = { big: 'x'.repeat(16 * 1024 - '{"big":""}'.length) };
    expect(Buffer.byteLength(JSON.stringify(context))).toBe(16 * 1024);
    expect((await createSession(w.agentId, { context })).statusCode).toBe(200);
  });

  it('answers 400 invalid_request for a body that is not JSON', async () => {
    const res = await call('POST', `/v1/agents/${w.agentId}/sessions`, w.key, '{nope', {
      'content-type': 'application/json',
    });
    expectError(res, 400, 'invalid_request');
  });

  it('answers 403 agent_not_allowed for an allow-listed key naming another agent', async () => {
    const second = await newAgent(t, w.workspaceId);
    const { key } = await newKey(t, w.workspaceId, { type: 'secret', agent_ids: [w.agentId] });
    const error = expectError(await createSession(second, {}, key), 403, 'agent_not_allowed');
    expect(error.context).toEqual({ agent_id: second });
    expect((await createSession(w.agentId, {}, key)).statusCode).toBe(200);
  });

  it('checks the allow-list before the body: a forbidden agent is 403 even with an invalid body', async () => {
    const second = await newAgent(t, w.workspaceId);
    const { key } = await newKey(t, w.workspaceId, { type: 'secret', agent_ids: [w.agentId] });
    expectError(await createSession(second, { context: 'nope' }, key), 403, 'agent_not_allowed');
    expectError(await createSession(newId(), { context: 'nope' }, key), 403, 'agent_not_allowed');
    expectError(await createSession(w.agentId, { context: 'nope' }, key), 422, 'validation_error');
  });

  it('answers 403 insufficient_scope to a public key', async () => {
    const { key } = await newKey(t, w.workspaceId, { type: 'public' });
    const error = expectError(await createSession(w.agentId, {}, key), 403, 'insufficient_scope');
    expect(error.context).toEqual({ required_scope: 'agent:run' });
  });

  it('answers 401 without a key, with a malformed key and with a revoked key', async () => {
    expectError(await createSession(w.agentId, {}, null), 401, 'missing_api_key');
    expectError(await createSession(w.agentId, {}, 'papo_sk_nope'), 401, 'invalid_api_key');
    const k = await newKey(t, w.workspaceId);
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/workspaces/${w.workspaceId}/api-keys/${k.id}`,
      headers: operatorHeaders,
    });
    expect([200, 204]).toContain(revoke.statusCode);
    expectError(await createSession(w.agentId, {}, k.key), 401, 'invalid_api_key');
  });
});

describe('A7 list sessions', () => {
  let lw: World;
  let agentB: string;
  let alice: User;
  let bob: User;
  /** Newest first, as the list answers. */
  let all: Session[];
  let s: Record<'a1' | 'b1' | 'a2' | 'a3' | 'b2' | 'short', Session>;

  async function list(query = '', key = lw.key) {
    const res = await call('GET', `/v1/agents/sessions${query}`, key);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: Session[]; next_offset: number | null }>();
  }
  const ids = (items: Session[]) => items.map((x) => x.id);

  beforeAll(async () => {
    lw = await newWorld(t, { idle_ttl_seconds: TTL_S });
    agentB = await newAgent(t, lw.workspaceId, { idle_ttl_seconds: TTL_S });
    const agentShort = await newAgent(t, lw.workspaceId, { idle_ttl_seconds: SHORT_TTL_S });
    alice = await createUser(lw.key, { reference: 'alice-ref' });
    bob = await createUser(lw.key, { reference: 'bob-ref' });
    const b = { ...lw, agentId: agentB };
    s = {
      a1: await createSessionOk(lw, { user: { id: alice.id } }),
      b1: await createSessionOk(b, { user: { reference: 'bob-ref' } }),
      a2: await createSessionOk(lw),
      a3: await createSessionOk(lw, { user: { id: bob.id } }),
      b2: await createSessionOk(b, { user: { id: alice.id } }),
      short: await createSessionOk({ ...lw, agentId: agentShort }),
    };
    expect((await terminate(s.a2.id, {}, lw.key)).statusCode).toBe(200);
    // another workspace's sessions never show up
    await newSession(t, await newWorld(t));
    all = [s.short, s.b2, s.a3, s.a2, s.b1, s.a1];
  });

  it('lists every session of the workspace, newest first, with Session items', async () => {
    const page = await list();
    expect(ids(page.items)).toEqual(ids(all));
    expect(page.next_offset).toBeNull();
    for (const item of page.items) expect(Object.keys(item).sort()).toEqual(SESSION_KEYS);
    expect(page.items.find((x) => x.id === s.a2.id)?.status).toBe('closed');
    expect(page.items.find((x) => x.id === s.a1.id)).toEqual(s.a1);
  });

  it('filters by agent_id', async () => {
    expect(ids((await list(`?agent_id=${agentB}`)).items)).toEqual([s.b2.id, s.b1.id]);
    expect(ids((await list(`?agent_id=${lw.agentId}`)).items)).toEqual([s.a3.id, s.a2.id, s.a1.id]);
    expect((await list(`?agent_id=${newId()}`)).items).toEqual([]);
  });

  it('filters by user_id and user_reference', async () => {
    expect(ids((await list(`?user_id=${alice.id}`)).items)).toEqual([s.b2.id, s.a1.id]);
    expect(ids((await list(`?user_reference=bob-ref`)).items)).toEqual([s.a3.id, s.b1.id]);
    expect(ids((await list(`?user_reference=alice-ref&agent_id=${agentB}`)).items)).toEqual([s.b2.id]);
    expect((await list(`?user_reference=nobody`)).items).toEqual([]);
    expect((await list(`?user_id=${newId()}`)).items).toEqual([]);
  });

  it('filters by status', async () => {
    expect(ids((await list('?status=closed')).items)).toEqual([s.a2.id]);
    expect(ids((await list('?status=active')).items)).toEqual(ids(all.filter((x) => x.id !== s.a2.id)));
    expect((await list('?status=expired')).items).toEqual([]);
  });

  it('filters by created_after (>=) and created_before (<), in any RFC 3339 offset', async () => {
    const pivot = s.a3.created_at;
    const after = ids((await list(`?created_after=${encodeURIComponent(pivot)}`)).items);
    const before = ids((await list(`?created_before=${encodeURIComponent(pivot)}`)).items);
    expect(after).toContain(s.a3.id);
    expect(before).not.toContain(s.a3.id);
    expect([...after, ...before].sort()).toEqual(ids(all).sort());
    const pivotMs = new Date(pivot).getTime();
    for (const x of all) {
      expect(after.includes(x.id)).toBe(new Date(x.created_at).getTime() >= pivotMs);
    }
    // the same instant written with a +02:00 offset
    const d = new Date(pivotMs + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    expect(ids((await list(`?created_after=${encodeURIComponent(d)}`)).items)).toEqual(after);
    const window = await list(
      `?created_after=${encodeURIComponent(s.b1.created_at)}&created_before=${encodeURIComponent(s.b2.created_at)}`,
    );
    expect(window.items.every((x) => x.created_at >= s.b1.created_at && x.created_at < s.b2.created_at)).toBe(
      true,
    );
    expect(ids(window.items)).toContain(s.b1.id);
    expect(ids(window.items)).not.toContain(s.b2.id);
  });

  it('walks every page with limit and next_offset', async () => {
    const seen: string[] = [];
    let offset: number | null = 0;
    let pages = 0;
    while (offset !== null) {
      const page = await list(`?limit=4&offset=${offset}`);
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...ids(page.items));
      offset = page.next_offset;
      pages++;
    }
    expect(pages).toBe(2);
    expect(seen).toEqual(ids(all));
    const exact = await list('?limit=6');
    expect(exact.items).toHaveLength(6);
    expect(exact.next_offset).toBeNull();
    const second = await list('?limit=2&offset=2');
    expect(ids(second.items)).toEqual(ids(all).slice(2, 4));
    expect(second.next_offset).toBe(4);
    expect((await list('?offset=50')).items).toEqual([]);
  });

  it('applies filters before offset', async () => {
    const page = await list(`?agent_id=${lw.agentId}&limit=1&offset=1`);
    expect(ids(page.items)).toEqual([s.a2.id]);
    expect(page.next_offset).toBe(2);
  });

  it.each([
    ['status=open', 'status'],
    ['status=', 'status'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['offset=-1', 'offset'],
    ['agent_id=not-a-uuid', 'agent_id'],
    ['user_id=42', 'user_id'],
    ['created_after=yesterday', 'created_after'],
    ['created_before=2026-01-01', 'created_before'],
  ])('answers 422 validation_error for %s', async (query, path) => {
    const error = expectError(
      await call('GET', `/v1/agents/sessions?${query}`, lw.key),
      422,
      'validation_error',
    );
    expect(error.context['issues']).toEqual(
      expect.arrayContaining([expect.objectContaining({ location: 'query', path })]),
    );
  });

  it('silently filters to the key’s allowed agents', async () => {
    const { key } = await newKey(t, lw.workspaceId, { type: 'secret', agent_ids: [agentB] });
    expect(ids((await list('', key)).items)).toEqual([s.b2.id, s.b1.id]);
    expect(ids((await list(`?user_id=${alice.id}`, key)).items)).toEqual([s.b2.id]);
    expect(ids((await list(`?agent_id=${agentB}`, key)).items)).toEqual([s.b2.id, s.b1.id]);
    const empty = await newKey(t, lw.workspaceId, { type: 'secret', agent_ids: [] });
    expect((await list('', empty.key)).items).toEqual([]);
  });

  it('answers 403 agent_not_allowed when an allow-listed key filters by a forbidden agent', async () => {
    const { key } = await newKey(t, lw.workspaceId, { type: 'secret', agent_ids: [agentB] });
    const error = expectError(
      await call('GET', `/v1/agents/sessions?agent_id=${lw.agentId}`, key),
      403,
      'agent_not_allowed',
    );
    expect(error.context).toEqual({ agent_id: lw.agentId });
  });

  it('shows the live user’s current reference, else the binding-time one, and filters by what it shows', async () => {
    const carol = await createUser(lw.key, { reference: 'carol-old' });
    const cs = await createSessionOk(lw, { user: { id: carol.id } });
    const patch = await call('PATCH', `/v1/agents/users/${carol.id}`, lw.key, { reference: 'carol-new' });
    expect(patch.statusCode, patch.body).toBe(200);
    expect((await getSession(cs.id, lw.key)).user).toEqual({ id: carol.id, reference: 'carol-new' });
    expect(ids((await list('?user_reference=carol-new')).items)).toEqual([cs.id]);
    expect((await list('?user_reference=carol-old')).items).toEqual([]);
    // once the user is deleted, the session shows (and filters by) the reference from binding time
    await call('DELETE', `/v1/agents/users/${carol.id}`, lw.key);
    expect((await getSession(cs.id, lw.key)).user).toEqual({ id: carol.id, reference: 'carol-old' });
    expect(ids((await list('?user_reference=carol-old')).items)).toEqual([cs.id]);
    expect((await list('?user_reference=carol-new')).items).toEqual([]);
    // a new user taking the freed reference does not inherit the old user's sessions' display
    const dora = await createUser(lw.key, { reference: 'carol-old' });
    const ds = await createSessionOk(lw, { user: { id: dora.id } });
    expect(ids((await list(`?user_id=${dora.id}`)).items)).toEqual([ds.id]);
    expect(ids((await list('?user_reference=carol-old')).items)).toEqual([ds.id, cs.id]);
    expect((await terminate(cs.id, {}, lw.key)).statusCode).toBe(200);
    expect((await terminate(ds.id, {}, lw.key)).statusCode).toBe(200);
    all = [ds, cs, ...all];
    expect(ids((await list('?user_reference=carol-old&status=closed')).items)).toEqual([ds.id, cs.id]);
  });

  it('treats sessions past expires_at as expired in filters before any sweep (last: moves the clock)', async () => {
    t.clock.advance((SHORT_TTL_S + 1) * 1000);
    expect(ids((await list('?status=expired')).items)).toEqual([s.short.id]);
    expect(ids((await list('?status=active')).items)).not.toContain(s.short.id);
    expect((await list()).items.find((x) => x.id === s.short.id)?.status).toBe('expired');
  });

  it('answers 401 without a key and 403 to a public key', async () => {
    expectError(await call('GET', '/v1/agents/sessions', null), 401, 'missing_api_key');
    const { key } = await newKey(t, lw.workspaceId, { type: 'public' });
    expectError(await call('GET', '/v1/agents/sessions', key), 403, 'insufficient_scope');
  });
});

describe('A8 get session', () => {
  it('returns the session as created', async () => {
    const s = await createSessionOk(w, { context: { a: 1 } });
    expect(await getSession(s.id)).toEqual(s);
  });

  it('answers 404 alike for an unknown, malformed or other workspace’s session', async () => {
    const other = await newWorld(t);
    const foreign = await newSession(t, other);
    const unknown = newId();
    for (const id of [unknown, 'nope', foreign, foreign.toUpperCase()]) {
      const error = expectError(await call('GET', `/v1/agents/sessions/${id}`, w.key), 404, 'not_found');
      expect(error.context).toEqual({ resource: 'session', id });
    }
  });

  it('answers 403 agent_not_allowed to an allow-listed key for another agent’s session', async () => {
    const s = await createSessionOk(w);
    const otherAgent = await newAgent(t, w.workspaceId);
    const { key } = await newKey(t, w.workspaceId, { type: 'secret', agent_ids: [otherAgent] });
    expectError(await call('GET', `/v1/agents/sessions/${s.id}`, key), 403, 'agent_not_allowed');
  });

  it('tracks messages: count, last_message_at, and expires_at = last activity + idle TTL', async () => {
    const s = await createSessionOk(w);
    t.clock.advance(5_000);
    const res = await send(s.id, 'first');
    expect(res.statusCode, res.body).toBe(200);
    const after = await getSession(s.id);
    expect(after.messages_count).toBe(2);
    expect(after.last_message_at).not.toBeNull();
    expect(after.last_message_at! > s.created_at).toBe(true);
    expect(after.expires_at).toBe(plus(after.last_message_at!, TTL_S));
    expect(after.updated_at >= after.last_message_at!).toBe(true);
    expect(after.status).toBe('active');
  });

  it('reads expired once the idle TTL passes; sending then answers 409 conversation_closed', async () => {
    const agentId = await newAgent(t, w.workspaceId, { idle_ttl_seconds: SHORT_TTL_S });
    const s = await createSessionOk({ ...w, agentId });
    t.clock.advance((SHORT_TTL_S - 10) * 1000);
    expect((await getSession(s.id)).status).toBe('active');
    t.clock.advance(11_000);
    const expired = await getSession(s.id);
    expect(expired.status).toBe('expired');
    expect(expired.expires_at).toBe(s.expires_at);
    expect(expired.closed_at).toBeNull();
    // still readable, and stable on a second read (now persisted)
    expect((await getSession(s.id)).status).toBe('expired');
    const error = expectError(await send(s.id), 409, 'conversation_closed');
    expect(error.context).toEqual({ conversation_id: s.id, status: 'expired' });
    const msgs = await call('GET', `/v1/agents/sessions/${s.id}/messages`, w.key);
    expect(msgs.json<{ items: unknown[] }>().items).toEqual([]);
  });

  it('is expired exactly at expires_at, alike in GET, list filters and sends', async () => {
    const ew = await newWorld(t, { idle_ttl_seconds: SHORT_TTL_S });
    const s = await createSessionOk(ew);
    const list = async (status: string) =>
      (await call('GET', `/v1/agents/sessions?status=${status}`, ew.key))
        .json<{ items: Session[] }>()
        .items.map((x) => x.id);
    const now = vi.spyOn(t.clock, 'now');
    try {
      now.mockReturnValue(new Date(new Date(s.expires_at).getTime() - 1));
      expect((await getSession(s.id, ew.key)).status).toBe('active');
      expect(await list('active')).toEqual([s.id]);
      expect(await list('expired')).toEqual([]);
      now.mockReturnValue(new Date(s.expires_at));
      expect(await list('active')).toEqual([]);
      expect(await list('expired')).toEqual([s.id]);
      expect((await getSession(s.id, ew.key)).status).toBe('expired');
      expect(expectError(await send(s.id, 'late', ew.key), 409, 'conversation_closed').context).toEqual({
        conversation_id: s.id,
        status: 'expired',
      });
    } finally {
      now.mockRestore();
    }
  });

  it('an expired session that was never read also refuses messages', async () => {
    const agentId = await newAgent(t, w.workspaceId, { idle_ttl_seconds: SHORT_TTL_S });
    const s = await createSessionOk({ ...w, agentId });
    t.clock.advance((SHORT_TTL_S + 1) * 1000);
    expect(expectError(await send(s.id), 409, 'conversation_closed').context).toEqual({
      conversation_id: s.id,
      status: 'expired',
    });
  });
});

describe('A9 terminate session', () => {
  it('closes the session and answers a Termination', async () => {
    const s = await createSessionOk(w);
    const res = await terminate(s.id, { reason: 'resolved' });
    expect(res.statusCode, res.body).toBe(200);
    const term = res.json<Termination>();
    expect(term).toEqual({ id: s.id, status: 'closed', closed_at: expect.any(String), reason: 'resolved' });
    expect(new Date(term.closed_at).toISOString()).toBe(term.closed_at);
    const after = await getSession(s.id);
    expect(after.status).toBe('closed');
    expect(after.closed_at).toBe(term.closed_at);
    expect(after.updated_at).toBe(term.closed_at);
  });

  it('is idempotent: a second call returns the original closed_at and reason', async () => {
    const s = await createSessionOk(w);
    const first = (await terminate(s.id, { reason: 'first reason' })).json<Termination>();
    t.clock.advance(2_000);
    const second = await terminate(s.id, { reason: 'another reason' });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json<Termination>()).toEqual(first);
    const third = await terminate(s.id);
    expect(third.json<Termination>()).toEqual(first);
    expect((await getSession(s.id)).closed_at).toBe(first.closed_at);
  });

  it('settles concurrent terminations once', async () => {
    const s = await createSessionOk(w);
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((reason) => terminate(s.id, { reason })));
    const bodies = results.map((r) => {
      expect(r.statusCode, r.body).toBe(200);
      return r.json<Termination>();
    });
    for (const b of bodies) expect(b).toEqual(bodies[0]);
  });

  it.each([
    ['no body', undefined, {}],
    ['an empty body with Content-Type: application/json', '', { 'content-type': 'application/json' }],
    ['{}', {}, {}],
    ['reason: null', { reason: null }, {}],
  ] as const)('accepts %s (reason null)', async (_label, body, headers) => {
    const s = await createSessionOk(w);
    const res = await terminate(s.id, body, w.key, headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Termination>()).toMatchObject({ id: s.id, status: 'closed', reason: null });
  });

  it('accepts a reason of exactly 500 characters and refuses 501 with 422', async () => {
    const s = await createSessionOk(w);
    const error = expectError(await terminate(s.id, { reason: 'x'.repeat(501) }), 422, 'validation_error');
    expect(error.context['issues']).toEqual(
      expect.arrayContaining([{ location: 'body', path: 'reason', message: expect.stringMatching(/500/) }]),
    );
    expect((await getSession(s.id)).status).toBe('active');
    const ok = await terminate(s.id, { reason: 'é'.repeat(500) });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json<Termination>().reason).toBe('é'.repeat(500));
  });

  it('answers 422 for a reason that is not a string', async () => {
    const s = await createSessionOk(w);
    expectError(await terminate(s.id, { reason: 42 }), 422, 'validation_error');
  });

  it('closes an expired session', async () => {
    const agentId = await newAgent(t, w.workspaceId, { idle_ttl_seconds: SHORT_TTL_S });
    const s = await createSessionOk({ ...w, agentId });
    t.clock.advance((SHORT_TTL_S + 1) * 1000);
    expect((await getSession(s.id)).status).toBe('expired');
    const res = await terminate(s.id, { reason: 'cleanup' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Termination>()).toMatchObject({ status: 'closed', reason: 'cleanup' });
    const after = await getSession(s.id);
    expect(after.status).toBe('closed');
    expect(after.closed_at).toBe(res.json<Termination>().closed_at);
    expect(after.expires_at).toBe(s.expires_at);
  });

  it('refuses new messages on a closed session with 409 conversation_closed, but stays readable', async () => {
    const s = await createSessionOk(w);
    expect((await send(s.id, 'before')).statusCode).toBe(200);
    await terminate(s.id, {});
    const error = expectError(await send(s.id, 'after'), 409, 'conversation_closed');
    expect(error.context).toEqual({ conversation_id: s.id, status: 'closed' });
    const msgs = await call('GET', `/v1/agents/sessions/${s.id}/messages`, w.key);
    expect(msgs.statusCode).toBe(200);
    expect(msgs.json<{ items: unknown[] }>().items).toHaveLength(2);
    expect((await getSession(s.id)).messages_count).toBe(2);
  });

  it('answers 404 for unknown, malformed and other workspace’s sessions', async () => {
    const other = await newWorld(t);
    const foreign = await newSession(t, other);
    for (const id of [newId(), 'x', foreign]) expectError(await terminate(id, {}), 404, 'not_found');
    expect((await call('GET', `/v1/agents/sessions/${foreign}`, other.key)).json<Session>().status).toBe(
      'active',
    );
  });

  it('answers 403 agent_not_allowed to an allow-listed key for another agent’s session', async () => {
    const s = await createSessionOk(w);
    const otherAgent = await newAgent(t, w.workspaceId);
    const { key } = await newKey(t, w.workspaceId, { type: 'secret', agent_ids: [otherAgent] });
    expectError(await terminate(s.id, {}, key), 403, 'agent_not_allowed');
    expect((await getSession(s.id)).status).toBe('active');
  });

  it('answers 401 without a key and 403 to a public key', async () => {
    const s = await createSessionOk(w);
    expectError(await terminate(s.id, {}, null), 401, 'missing_api_key');
    const { key } = await newKey(t, w.workspaceId, { type: 'public' });
    expectError(await terminate(s.id, {}, key), 403, 'insufficient_scope');
  });

  it('answers 405 with Allow for another method on the terminate path', async () => {
    const s = await createSessionOk(w);
    const res = await call('GET', `/v1/agents/sessions/${s.id}/terminate`, w.key);
    expectError(res, 405, 'method_not_allowed');
    expect(res.headers['allow']).toContain('POST');
  });
});

describe('workspace isolation', () => {
  it('never lets a key see or filter by another workspace’s sessions', async () => {
    const mine = await newWorld(t);
    const other = await newWorld(t);
    const s = await createSessionOk(other);
    const page = await call('GET', '/v1/agents/sessions?limit=100', mine.key);
    expect(page.json<{ items: Session[] }>().items.map((x) => x.id)).not.toContain(s.id);
    const filtered = await call('GET', `/v1/agents/sessions?agent_id=${other.agentId}`, mine.key);
    expect(filtered.statusCode, filtered.body).toBe(200);
    expect(filtered.json<{ items: Session[] }>().items).toEqual([]);
    const byUser = await call('GET', `/v1/agents/sessions?user_reference=anything`, mine.key);
    expect(byUser.json<{ items: Session[] }>().items).toEqual([]);
  });
});
