import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import { newKey, newSession, newWorld, operatorHeaders, type World } from '../../../test/factories.js';
import {
  call as callApp,
  expectError,
  issuePaths,
  ISO_MS,
  MISSING_ID,
  type Method,
} from '../../../test/http.js';
import { isUuidV7 } from '../../platform/ids.js';
import type { User } from './users.service.js';

const USER_FIELDS = [
  'created_at',
  'email',
  'id',
  'info',
  'metadata',
  'name',
  'phone',
  'reference',
  'updated_at',
];
const KiB16 = 16 * 1024;

type Page = { items: User[]; next_offset: number | null };

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await createTestApp();
  w = await newWorld(t);
});
afterAll(async () => {
  await t?.close();
});

/** `key: null` sends no credential. */
function call(method: Method, url: string, payload?: unknown, key: string | null = w.key) {
  return callApp(t.app, method, url, key !== null ? { 'x-api-key': key } : {}, payload);
}

async function createUser(body: Record<string, unknown> = {}, key = w.key): Promise<User> {
  const res = await call('POST', '/v1/agents/users', body, key);
  expect(res.statusCode, res.body).toBe(200);
  expect(isUuidV7(String(res.headers['x-request-id']))).toBe(true);
  return res.json<User>();
}

async function getUser(id: string, key = w.key): Promise<User> {
  const res = await call('GET', `/v1/agents/users/${id}`, undefined, key);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<User>();
}

async function listIds(query: string, key = w.key): Promise<string[]> {
  const res = await call('GET', `/v1/agents/users?${query}`, undefined, key);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Page>().items.map((u) => u.id);
}

let n = 0;
const ref = (p = 'ref') => `${p}-${++n}-${Date.now().toString(36)}`;

describe('A1 · POST /v1/agents/users', () => {
  it('{} is a valid user', async () => {
    const u = await createUser({});
    expect(Object.keys(u).sort()).toEqual(USER_FIELDS);
    expect(isUuidV7(u.id)).toBe(true);
    expect(u).toEqual({
      id: u.id,
      created_at: u.created_at,
      updated_at: u.created_at,
      reference: null,
      name: null,
      email: null,
      phone: null,
      metadata: {},
      info: {},
    });
    expect(u.created_at).toMatch(ISO_MS);
  });

  it('stores every field', async () => {
    const body = {
      reference: ref('crm:customer_42.a'),
      name: 'Alice Smith',
      email: 'Alice@Acme.com',
      phone: '+55 11 99999-0000',
      metadata: { source: 'crm', nested: { a: [1, 2] } },
      info: { language: 'pt-BR', plan: 'enterprise' },
    };
    const u = await createUser(body);
    expect(u).toMatchObject(body);
    expect(await getUser(u.id)).toEqual(u);
  });

  it('explicit nulls are accepted; metadata/info null become {}', async () => {
    const u = await createUser({
      reference: null,
      name: null,
      email: null,
      phone: null,
      metadata: null,
      info: null,
    });
    expect(u).toMatchObject({
      reference: null,
      name: null,
      email: null,
      phone: null,
      metadata: {},
      info: {},
    });
  });

  it('no body and malformed JSON → 400 invalid_request', async () => {
    const before = await listIds('limit=100');
    const empty = await t.app.inject({
      method: 'POST',
      url: '/v1/agents/users',
      headers: { 'x-api-key': w.key },
    });
    expectError(empty, 400, 'invalid_request');
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v1/agents/users',
      headers: { 'x-api-key': w.key, 'content-type': 'application/json' },
      payload: '{"name": "x",}',
    });
    expectError(bad, 400, 'invalid_request');
    const text = await t.app.inject({
      method: 'POST',
      url: '/v1/agents/users',
      headers: { 'x-api-key': w.key, 'content-type': 'text/plain' },
      payload: 'name=x',
    });
    expectError(text, 400, 'invalid_request');
    expect(await listIds('limit=100')).toEqual(before);
  });

  it('limits: reference pattern/length, email format/length, phone ≤32, name ≤255, objects ≤16 KiB → 422', async () => {
    const before = await listIds('limit=100');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ reference: '' }, 'reference'],
      [{ reference: 'has space' }, 'reference'],
      [{ reference: 'slash/no' }, 'reference'],
      [{ reference: 'acentuação' }, 'reference'],
      [{ reference: 'r'.repeat(129) }, 'reference'],
      [{ reference: 42 }, 'reference'],
      [{ email: 'not-an-email' }, 'email'],
      [{ email: 'a@' }, 'email'],
      [{ email: `${'a'.repeat(250)}@b.co` }, 'email'],
      [{ phone: '1'.repeat(33) }, 'phone'],
      [{ phone: 5511999990000 }, 'phone'],
      [{ name: 'n'.repeat(256) }, 'name'],
      [{ metadata: 'text' }, 'metadata'],
      [{ metadata: [1, 2] }, 'metadata'],
      [{ info: 7 }, 'info'],
      [{ metadata: { big: 'x'.repeat(KiB16) } }, 'metadata'],
      [{ info: { big: 'x'.repeat(KiB16) } }, 'info'],
    ];
    for (const [body, path] of cases) {
      const err = expectError(await call('POST', '/v1/agents/users', body), 422, 'validation_error');
      expect(err.error.name).toBe('ValidationError');
      expect(issuePaths(err), JSON.stringify(body).slice(0, 60)).toEqual([path]);
    }
    expect(await listIds('limit=100')).toEqual(before);
  });

  it('accepts the limits exactly', async () => {
    // {"big":"…"} is 10 bytes of JSON around the string
    const atLimit = { big: 'x'.repeat(KiB16 - 10) };
    expect(Buffer.byteLength(JSON.stringify(atLimit))).toBe(KiB16);
    const u = await createUser({
      reference: `${ref('max')}`.padEnd(128, 'r'),
      name: 'n'.repeat(255),
      phone: '1'.repeat(32),
      metadata: atLimit,
      info: atLimit,
    });
    expect(u.reference).toHaveLength(128);
    const over = { big: 'x'.repeat(KiB16 - 9) };
    expectError(await call('POST', '/v1/agents/users', { metadata: over }), 422, 'validation_error');
  });

  it('a taken reference → 409 user_reference_conflict naming the holder', async () => {
    const r = ref('dup');
    const first = await createUser({ reference: r, name: 'first' });
    const err = expectError(
      await call('POST', '/v1/agents/users', { reference: r, name: 'second' }),
      409,
      'user_reference_conflict',
    );
    expect(err.error.name).toBe('UserReferenceConflictError');
    expect(err.error.context).toEqual({ reference: r, user_id: first.id });
    expect(await listIds(`reference=${r}`)).toEqual([first.id]);
    // references are case-sensitive labels
    const upper = await createUser({ reference: r.toUpperCase() });
    expect(upper.reference).toBe(r.toUpperCase());
  });

  it('concurrent creates with one reference: one wins, the others get 409 naming it', async () => {
    const r = ref('race');
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        call('POST', '/v1/agents/users', { reference: r, name: `racer ${i}` }),
      ),
    );
    const won = results.filter((x) => x.statusCode === 200);
    expect(won).toHaveLength(1);
    const winner = won[0]!.json<User>();
    for (const lost of results.filter((x) => x.statusCode !== 200)) {
      expect(expectError(lost, 409, 'user_reference_conflict').error.context).toEqual({
        reference: r,
        user_id: winner.id,
      });
    }
    expect(await listIds(`reference=${r}`)).toEqual([winner.id]);
  });

  it('references are unique per workspace only', async () => {
    const r = ref('shared');
    const other = await newWorld(t);
    const a = await createUser({ reference: r });
    const b = await createUser({ reference: r }, other.key);
    expect(a.id).not.toBe(b.id);
  });

  it('many users without a reference do not conflict', async () => {
    const a = await createUser({ name: 'anon 1' });
    const b = await createUser({ name: 'anon 2' });
    expect(a.reference).toBeNull();
    expect(b.reference).toBeNull();
  });
});

describe('A2 · GET /v1/agents/users', () => {
  it('lists newest first, filters, and pages with next_offset', async () => {
    const world = await newWorld(t);
    const k = world.key;
    const u1 = await createUser({ reference: 'a-1', email: 'Mixed.Case@Example.com' }, k);
    t.clock.advance(1000);
    const u2 = await createUser({ reference: 'a-2', email: 'other@example.com' }, k);
    t.clock.advance(1000);
    const u3 = await createUser({ reference: 'a-3' }, k);

    const res = await call('GET', '/v1/agents/users', undefined, k);
    expect(res.statusCode).toBe(200);
    const page = res.json<Page>();
    expect(Object.keys(page).sort()).toEqual(['items', 'next_offset']);
    expect(page.items.map((u) => u.id)).toEqual([u3.id, u2.id, u1.id]);
    expect(page.items[2]).toEqual(u1);
    expect(page.next_offset).toBeNull();

    expect(await listIds('reference=a-2', k)).toEqual([u2.id]);
    expect(await listIds('reference=A-2', k)).toEqual([]);
    expect(await listIds('reference=a-', k)).toEqual([]);
    expect(await listIds('email=mixed.case@example.com', k)).toEqual([u1.id]);
    expect(await listIds('email=MIXED.CASE@EXAMPLE.COM', k)).toEqual([u1.id]);
    expect(await listIds('email=example.com', k)).toEqual([]);
    expect(await listIds(`created_after=${u2.created_at}`, k)).toEqual([u3.id, u2.id]);
    expect(await listIds(`created_before=${u2.created_at}`, k)).toEqual([u1.id]);
    expect(await listIds(`created_after=${u2.created_at}&created_before=${u3.created_at}`, k)).toEqual([
      u2.id,
    ]);
    // an offset date-time means the same instant
    const plus3 = new Date(Date.parse(u2.created_at) + 3 * 3600_000).toISOString().replace('Z', '+03:00');
    expect(await listIds(`created_after=${encodeURIComponent(plus3)}`, k)).toEqual([u3.id, u2.id]);
    expect(await listIds('email=other@example.com&reference=a-1', k)).toEqual([]);

    const walked: string[] = [];
    const offsets: Array<number | null> = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const p: Page = (
        await call('GET', `/v1/agents/users?limit=1&offset=${offset}`, undefined, k)
      ).json<Page>();
      expect(p.items).toHaveLength(1);
      walked.push(p.items[0]!.id);
      offset = p.next_offset;
      offsets.push(offset);
    }
    expect(walked).toEqual([u3.id, u2.id, u1.id]);
    expect(offsets).toEqual([1, 2, null]);
    expect((await call('GET', '/v1/agents/users?offset=3', undefined, k)).json()).toEqual({
      items: [],
      next_offset: null,
    });
    // filters apply before offset
    expect(await listIds('created_after=2000-01-01T00:00:00Z&offset=2', k)).toEqual([u1.id]);
  });

  it('shows only the workspace of the key and hides deleted users', async () => {
    const a = await newWorld(t);
    const b = await newWorld(t);
    const ua = await createUser({ name: 'a' }, a.key);
    await createUser({ name: 'b' }, b.key);
    const gone = await createUser({ name: 'gone' }, a.key);
    expect((await call('DELETE', `/v1/agents/users/${gone.id}`, undefined, a.key)).statusCode).toBe(204);
    expect(await listIds('', a.key)).toEqual([ua.id]);
  });

  it('limit 0/101, offset -1, non-integers and bad dates → 422 with the query path', async () => {
    for (const [q, path] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=0.5', 'offset'],
      ['created_after=yesterday', 'created_after'],
      ['created_before=2026-01-01', 'created_before'],
    ] as const) {
      const err = expectError(await call('GET', `/v1/agents/users?${q}`), 422, 'validation_error');
      expect(err.error.context['issues']).toEqual([expect.objectContaining({ location: 'query', path })]);
    }
    expect((await call('GET', '/v1/agents/users?limit=100')).statusCode).toBe(200);
    expect((await call('GET', '/v1/agents/users?limit=1')).statusCode).toBe(200);
  });
});

describe('A3 · GET /v1/agents/users/{id}', () => {
  it('unknown, malformed and foreign ids → the same 404', async () => {
    const other = await newWorld(t);
    const foreign = await createUser({ name: 'theirs' }, other.key);
    const missing = expectError(await call('GET', `/v1/agents/users/${MISSING_ID}`), 404, 'not_found');
    expect(missing.error.context).toEqual({ resource: 'user', id: MISSING_ID });
    const malformed = expectError(await call('GET', '/v1/agents/users/not-a-uuid'), 404, 'not_found');
    expect(malformed.error.context).toEqual({ resource: 'user', id: 'not-a-uuid' });
    const theirs = expectError(await call('GET', `/v1/agents/users/${foreign.id}`), 404, 'not_found');
    expect(theirs.error).toEqual({
      ...missing.error,
      message: missing.error.message.replace(MISSING_ID, foreign.id),
      context: { resource: 'user', id: foreign.id },
    });
  });
});

describe('A4 · PATCH /v1/agents/users/{id}', () => {
  async function patch(id: string, body: unknown, key = w.key) {
    return call('PATCH', `/v1/agents/users/${id}`, body, key);
  }

  it('absent fields stay, provided fields replace (objects whole), null clears', async () => {
    const u = await createUser({
      reference: ref('p'),
      name: 'Before',
      email: 'before@example.com',
      phone: '123',
      metadata: { a: 1, b: 2 },
      info: { lang: 'en' },
    });
    t.clock.advance(1000);
    let res = await patch(u.id, { name: 'After', metadata: { c: 3 } });
    expect(res.statusCode, res.body).toBe(200);
    let cur = res.json<User>();
    expect(cur).toEqual({ ...u, name: 'After', metadata: { c: 3 }, updated_at: cur.updated_at });
    expect(Date.parse(cur.updated_at)).toBeGreaterThan(Date.parse(u.updated_at));
    expect(cur.created_at).toBe(u.created_at);

    res = await patch(u.id, {
      reference: null,
      name: null,
      email: null,
      phone: null,
      metadata: null,
      info: null,
    });
    cur = res.json<User>();
    expect(cur).toMatchObject({
      reference: null,
      name: null,
      email: null,
      phone: null,
      metadata: {},
      info: {},
    });
    expect(await getUser(u.id)).toEqual(cur);

    res = await patch(u.id, { info: { plan: 'pro' }, email: 'new@example.com' });
    expect(res.json<User>()).toMatchObject({ info: { plan: 'pro' }, email: 'new@example.com', metadata: {} });
  });

  it('{} is a no-op that returns the user', async () => {
    const u = await createUser({ name: 'same', metadata: { k: 'v' } });
    t.clock.advance(1000);
    const res = await patch(u.id, {});
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(u);
  });

  it('reference conflicts → 409; keeping its own reference is fine', async () => {
    const r1 = ref('mine');
    const r2 = ref('taken');
    const u = await createUser({ reference: r1 });
    const holder = await createUser({ reference: r2 });
    const err = expectError(
      await patch(u.id, { reference: r2, name: 'changed' }),
      409,
      'user_reference_conflict',
    );
    expect(err.error.context).toEqual({ reference: r2, user_id: holder.id });
    expect(await getUser(u.id)).toEqual(u);
    const same = await patch(u.id, { reference: r1, name: 'kept' });
    expect(same.statusCode, same.body).toBe(200);
    expect(same.json<User>()).toMatchObject({ reference: r1, name: 'kept' });
  });

  it('invalid values → 422 and nothing changes; malformed JSON → 400', async () => {
    const u = await createUser({ name: 'stable', email: 'stable@example.com' });
    for (const [body, path] of [
      [{ email: 'nope' }, 'email'],
      [{ reference: 'bad ref' }, 'reference'],
      [{ phone: 'p'.repeat(33) }, 'phone'],
      [{ name: 'n'.repeat(256), email: 'ok@example.com' }, 'name'],
      [{ metadata: { big: 'x'.repeat(KiB16) } }, 'metadata'],
      [{ info: { big: 'x'.repeat(KiB16) }, name: 'changed' }, 'info'],
      [{ info: 'string' }, 'info'],
    ] as const) {
      const err = expectError(await patch(u.id, body), 422, 'validation_error');
      expect(issuePaths(err)).toEqual([path]);
    }
    const bad = await t.app.inject({
      method: 'PATCH',
      url: `/v1/agents/users/${u.id}`,
      headers: { 'x-api-key': w.key, 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expectError(bad, 400, 'invalid_request');
    expect(await getUser(u.id)).toEqual(u);
  });

  it('unknown, malformed, foreign and deleted users → 404; the foreign user is unchanged', async () => {
    const other = await newWorld(t);
    const foreign = await createUser({ name: 'theirs' }, other.key);
    expectError(await patch(MISSING_ID, { name: 'x' }), 404, 'not_found');
    expectError(await patch('zzz', { name: 'x' }), 404, 'not_found');
    const err = expectError(await patch(foreign.id, { name: 'hijack' }), 404, 'not_found');
    expect(err.error.context).toEqual({ resource: 'user', id: foreign.id });
    expect(await getUser(foreign.id, other.key)).toEqual(foreign);
    const gone = await createUser({});
    await call('DELETE', `/v1/agents/users/${gone.id}`);
    expectError(await patch(gone.id, { name: 'x' }), 404, 'not_found');
  });
});

describe('A5 · DELETE /v1/agents/users/{id}', () => {
  it('204, then 404; its reference becomes free; deleting again → 404', async () => {
    const r = ref('del');
    const u = await createUser({ reference: r });
    const res = await call('DELETE', `/v1/agents/users/${u.id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(isUuidV7(String(res.headers['x-request-id']))).toBe(true);
    expectError(await call('GET', `/v1/agents/users/${u.id}`), 404, 'not_found');
    expectError(await call('DELETE', `/v1/agents/users/${u.id}`), 404, 'not_found');
    expect(await listIds(`reference=${r}`)).toEqual([]);
    const again = await createUser({ reference: r });
    expect(again.id).not.toBe(u.id);
    expect(await listIds(`reference=${r}`)).toEqual([again.id]);
  });

  it('sessions keep the deleted user summary; later lookups by reference no longer match', async () => {
    const r = ref('bound');
    const u = await createUser({ reference: r });
    const sid = await newSession(t, w, { user: { reference: r } });
    await call('DELETE', `/v1/agents/users/${u.id}`);
    const session = await call('GET', `/v1/agents/sessions/${sid}`);
    expect(session.json<{ user: unknown }>().user).toEqual({ id: u.id, reference: r });
    const res = await call('POST', `/v1/agents/${w.agentId}/sessions`, { user: { reference: r } });
    expect(expectError(res, 422, 'user_not_found').error.context).toEqual({ reference: r });
  });

  it('unknown, malformed and foreign ids → 404; the foreign user survives', async () => {
    const other = await newWorld(t);
    const foreign = await createUser({}, other.key);
    expectError(await call('DELETE', `/v1/agents/users/${MISSING_ID}`), 404, 'not_found');
    expectError(await call('DELETE', '/v1/agents/users/123'), 404, 'not_found');
    expectError(await call('DELETE', `/v1/agents/users/${foreign.id}`), 404, 'not_found');
    expect(await getUser(foreign.id, other.key)).toEqual(foreign);
  });
});

describe('users: credentials', () => {
  const routes = (id: string): Array<[Method, string, unknown?]> => [
    ['POST', '/v1/agents/users', { name: 'x' }],
    ['GET', '/v1/agents/users'],
    ['GET', `/v1/agents/users/${id}`],
    ['PATCH', `/v1/agents/users/${id}`, { name: 'x' }],
    ['DELETE', `/v1/agents/users/${id}`],
  ];

  it('no key → 401 missing_api_key; Authorization alone is ignored', async () => {
    const u = await createUser({ name: 'guarded' });
    for (const [method, url, body] of routes(u.id)) {
      expectError(await call(method, url, body, null), 401, 'missing_api_key');
      const bearerOnly = await t.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${w.key}` },
        ...(body !== undefined && { payload: body as Record<string, unknown> }),
      });
      expectError(bearerOnly, 401, 'missing_api_key');
    }
    expect(await getUser(u.id)).toEqual(u);
  });

  it('malformed, unknown and revoked keys → 401 invalid_api_key, revocation effective at once', async () => {
    const u = await createUser({ name: 'guarded' });
    const k = await newKey(t, w.workspaceId);
    expect((await call('GET', '/v1/agents/users', undefined, k.key)).statusCode).toBe(200);
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/workspaces/${w.workspaceId}/api-keys/${k.id}`,
      headers: operatorHeaders,
    });
    expect(revoke.statusCode).toBe(204);
    for (const key of ['garbage', `papo_sk_${'Z'.repeat(40)}`, k.key]) {
      for (const [method, url, body] of routes(u.id)) {
        expectError(await call(method, url, body, key), 401, 'invalid_api_key');
      }
    }
    expect(await getUser(u.id)).toEqual(u);
  });

  it('a public key → 403 insufficient_scope everywhere, and nothing changes', async () => {
    const u = await createUser({ name: 'guarded' });
    const before = await listIds('limit=100');
    const pub = (await newKey(t, w.workspaceId, { type: 'public', name: 'pk' })).key;
    for (const [method, url, body] of routes(u.id)) {
      const err = expectError(await call(method, url, body, pub), 403, 'insufficient_scope');
      expect(err.error.context).toEqual({ required_scope: 'agent:run' });
    }
    expect(await getUser(u.id)).toEqual(u);
    expect(await listIds('limit=100')).toEqual(before);
  });

  it('admin-only keys and agent-limited keys may manage users (users are not agent-bound)', async () => {
    const admin = (await newKey(t, w.workspaceId, { type: 'secret', name: 'adm', scopes: ['admin'] })).key;
    const limited = (await newKey(t, w.workspaceId, { type: 'secret', name: 'lim', agent_ids: [w.agentId] }))
      .key;
    const a = await createUser({ name: 'by admin' }, admin);
    const b = await createUser({ name: 'by limited' }, limited);
    expect((await getUser(b.id, admin)).id).toBe(b.id);
    expect((await getUser(a.id, limited)).id).toBe(a.id);
  });

  it('the /v1/agent alias serves the same users', async () => {
    const u = await createUser({ name: 'alias' });
    const res = await call('GET', `/v1/agent/users/${u.id}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(u);
  });
});
