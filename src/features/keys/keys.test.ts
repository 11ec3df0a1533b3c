import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import { newAgent, newKey, newWorkspace, operatorHeaders } from '../../../test/factories.js';
import {
  bearer,
  call,
  comparable,
  expectError,
  issuePaths,
  ISO_MS,
  MISSING_ID,
  type Headers,
} from '../../../test/http.js';
import { apiKeys } from '../../platform/db/schema/index.js';
import { isUuidV7 } from '../../platform/ids.js';
import type { ApiKey } from './keys.service.js';

const KEY_FIELDS = [
  'agent_ids',
  'allowed_origins',
  'created_at',
  'id',
  'last_used_at',
  'name',
  'prefix',
  'rate_limit_per_minute',
  'revoked_at',
  'scopes',
  'type',
];

type Created = ApiKey & { key: string };

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function createKey(ws: string, body: unknown, headers: Headers = operatorHeaders) {
  return call(t.app, 'POST', `/v1/admin/workspaces/${ws}/api-keys`, headers, body);
}

async function listKeys(ws: string, headers: Headers = operatorHeaders): Promise<ApiKey[]> {
  const res = await call(t.app, 'GET', `/v1/admin/workspaces/${ws}/api-keys?limit=100`, headers);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: ApiKey[] }>().items;
}

/** A cheap agent-key request: 200 when the key works. */
function useRunKey(key: string) {
  return t.app.inject({ method: 'GET', url: '/v1/agents/users', headers: { 'x-api-key': key } });
}

async function adminKey(ws: string, extra: Record<string, unknown> = {}) {
  return (await newKey(t, ws, { type: 'secret', name: 'admin', scopes: ['admin'], ...extra })).key;
}

describe('POST /v1/admin/workspaces/{ws}/api-keys', () => {
  it('creates a secret key with the default scope; the plaintext is returned once', async () => {
    const ws = await newWorkspace(t);
    const res = await createKey(ws, { type: 'secret', name: 'backend' });
    expect(res.statusCode, res.body).toBe(200);
    const k = res.json<Created>();
    expect(Object.keys(k).sort()).toEqual([...KEY_FIELDS, 'key'].sort());
    expect(k.key).toMatch(/^papo_sk_[A-Za-z0-9]{40}$/);
    expect(isUuidV7(k.id)).toBe(true);
    expect(k).toMatchObject({
      name: 'backend',
      type: 'secret',
      prefix: k.key.slice(0, 12),
      scopes: ['agent:run'],
      agent_ids: null,
      allowed_origins: null,
      rate_limit_per_minute: null,
      last_used_at: null,
      revoked_at: null,
    });
    expect(k.prefix).toMatch(/^papo_sk_[A-Za-z0-9]{4}$/);
    expect(k.created_at).toMatch(ISO_MS);
    expect((await useRunKey(k.key)).statusCode).toBe(200);
  });

  it('stores only the SHA-256 of the key; the plaintext is nowhere in the database', async () => {
    const ws = await newWorkspace(t);
    const k = (await createKey(ws, { type: 'secret', name: 'hashed' })).json<Created>();
    const [row] = await t.db.db.select().from(apiKeys).where(eq(apiKeys.id, k.id));
    expect(row).toBeDefined();
    expect(row!.hash).toBe(sha256(k.key));
    expect(row!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.prefix).toBe(k.key.slice(0, 12));
    const secretPart = k.key.slice(12);
    const everyRow = JSON.stringify(await t.db.db.select().from(apiKeys));
    expect(everyRow).not.toContain(k.key);
    expect(everyRow).not.toContain(secretPart);
  });

  it('the list never returns the plaintext', async () => {
    const ws = await newWorkspace(t);
    const k = (await createKey(ws, { type: 'secret', name: 'listed' })).json<Created>();
    const res = await call(t.app, 'GET', `/v1/admin/workspaces/${ws}/api-keys`, operatorHeaders);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(k.key);
    expect(res.body).not.toContain(k.key.slice(12));
    const page = res.json<{ items: ApiKey[]; next_offset: number | null }>();
    expect(page.next_offset).toBeNull();
    expect(page.items).toHaveLength(1);
    expect(Object.keys(page.items[0]!).sort()).toEqual(KEY_FIELDS);
    const { key: _key, ...withoutKey } = k;
    expect(page.items[0]).toEqual(withoutKey);
  });

  it('public keys: papo_pk_, no scopes, optional allowed origins', async () => {
    const ws = await newWorkspace(t);
    const res = await createKey(ws, {
      type: 'public',
      name: 'widget',
      allowed_origins: ['https://acme.com', 'https://*.acme.com', 'http://localhost:3000'],
    });
    expect(res.statusCode, res.body).toBe(200);
    const k = res.json<Created>();
    expect(k.key).toMatch(/^papo_pk_[A-Za-z0-9]{40}$/);
    expect(k.prefix).toBe(k.key.slice(0, 12));
    expect(k.scopes).toEqual([]);
    expect(k.allowed_origins).toEqual(['https://acme.com', 'https://*.acme.com', 'http://localhost:3000']);
    // a public key is refused on the Agent API and on the admin API
    expectError(await useRunKey(k.key), 403, 'insufficient_scope');
    expectError(
      await call(t.app, 'GET', `/v1/admin/workspaces/${ws}`, bearer(k.key)),
      403,
      'insufficient_scope',
    );
  });

  it('explicit scopes: admin, both, deduplicated', async () => {
    const ws = await newWorkspace(t);
    const a = (await createKey(ws, { type: 'secret', name: 'a', scopes: ['admin'] })).json<Created>();
    expect(a.scopes).toEqual(['admin']);
    const b = (
      await createKey(ws, { type: 'secret', name: 'b', scopes: ['agent:run', 'admin'] })
    ).json<Created>();
    expect(b.scopes).toEqual(['agent:run', 'admin']);
    const c = (
      await createKey(ws, { type: 'secret', name: 'c', scopes: ['admin', 'admin'] })
    ).json<Created>();
    expect(c.scopes).toEqual(['admin']);
    // an admin-only key can also run agents (admin includes agent:run)
    expect((await useRunKey(a.key)).statusCode).toBe(200);
    expect((await call(t.app, 'GET', `/v1/admin/workspaces/${ws}`, bearer(a.key))).statusCode).toBe(200);
  });

  it('rate_limit_per_minute is stored', async () => {
    const ws = await newWorkspace(t);
    const k = (await createKey(ws, { type: 'secret', name: 'rl', rate_limit_per_minute: 5 })).json<Created>();
    expect(k.rate_limit_per_minute).toBe(5);
    const res = await useRunKey(k.key);
    expect(res.headers['ratelimit-limit']).toBe('5');
  });

  it('malformed JSON → 400; missing type or name → 400', async () => {
    const ws = await newWorkspace(t);
    const bad = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/workspaces/${ws}/api-keys`,
      headers: { ...operatorHeaders, 'content-type': 'application/json' },
      payload: '{"type":"secret",',
    });
    expectError(bad, 400, 'invalid_request');
    expect(issuePaths(expectError(await createKey(ws, { name: 'x' }), 400, 'invalid_request'))).toEqual([
      'type',
    ]);
    expect(issuePaths(expectError(await createKey(ws, { type: 'secret' }), 400, 'invalid_request'))).toEqual([
      'name',
    ]);
    expect(await listKeys(ws)).toEqual([]);
  });

  it('invalid values → 422 with the path, and nothing is created', async () => {
    const ws = await newWorkspace(t);
    const other = await newWorkspace(t);
    const foreignAgent = await newAgent(t, other);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'master', name: 'x' }, 'type'],
      [{ type: 'secret', name: '' }, 'name'],
      [{ type: 'secret', name: 'x'.repeat(151) }, 'name'],
      [{ type: 'secret', name: 5 }, 'name'],
      [{ type: 'secret', name: 'x', scopes: ['root'] }, 'scopes[0]'],
      [{ type: 'secret', name: 'x', scopes: 'admin' }, 'scopes'],
      [{ type: 'public', name: 'x', scopes: ['agent:run'] }, 'scopes'],
      [{ type: 'secret', name: 'x', allowed_origins: ['https://a.com'] }, 'allowed_origins'],
      [{ type: 'public', name: 'x', allowed_origins: ['acme.com'] }, 'allowed_origins[0]'],
      [
        { type: 'public', name: 'x', allowed_origins: ['https://a.com', 'ftp://b.com'] },
        'allowed_origins[1]',
      ],
      [{ type: 'secret', name: 'x', agent_ids: ['nope'] }, 'agent_ids[0]'],
      [{ type: 'secret', name: 'x', agent_ids: [foreignAgent] }, 'agent_ids[0]'],
      [{ type: 'secret', name: 'x', agent_ids: [MISSING_ID] }, 'agent_ids[0]'],
      [{ type: 'secret', name: 'x', rate_limit_per_minute: 0 }, 'rate_limit_per_minute'],
      [{ type: 'secret', name: 'x', rate_limit_per_minute: 'many' }, 'rate_limit_per_minute'],
    ];
    for (const [body, path] of cases) {
      const err = expectError(await createKey(ws, body), 422, 'validation_error');
      expect(issuePaths(err), JSON.stringify(body)).toContain(path);
    }
    expect(await listKeys(ws)).toEqual([]);
  });

  it('unknown or malformed workspace → 404', async () => {
    expectError(await createKey(MISSING_ID, { type: 'secret', name: 'x' }), 404, 'not_found');
    expectError(await createKey('bad-id', { type: 'secret', name: 'x' }), 404, 'not_found');
  });

  it('an admin key creates keys in its own workspace only; another workspace → 404 like a missing one', async () => {
    const ws = await newWorkspace(t);
    const other = await newWorkspace(t);
    const admin = await adminKey(ws);
    const ok = await createKey(ws, { type: 'secret', name: 'made by key' }, bearer(admin));
    expect(ok.statusCode, ok.body).toBe(200);
    const foreign = expectError(
      await createKey(other, { type: 'secret', name: 'x' }, bearer(admin)),
      404,
      'not_found',
    );
    const missing = expectError(
      await createKey(MISSING_ID, { type: 'secret', name: 'x' }, bearer(admin)),
      404,
      'not_found',
    );
    expect(comparable(foreign)).toEqual(comparable(missing));
    expect(await listKeys(other)).toEqual([]);
  });

  it('a secret key without admin → 403 and creates nothing', async () => {
    const ws = await newWorkspace(t);
    const { key } = await newKey(t, ws);
    const before = (await listKeys(ws)).map((k) => k.id);
    const err = expectError(
      await createKey(ws, { type: 'secret', name: 'x' }, bearer(key)),
      403,
      'insufficient_scope',
    );
    expect(err.error.context).toEqual({ required_scope: 'admin' });
    expect((await listKeys(ws)).map((k) => k.id)).toEqual(before);
  });
});

describe('GET /v1/admin/workspaces/{ws}/api-keys', () => {
  it('lists newest first, including revoked keys, and pages', async () => {
    const ws = await newWorkspace(t);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await newKey(t, ws, { type: 'secret', name: `k${i}` })).id);
    expect(
      (await call(t.app, 'DELETE', `/v1/admin/workspaces/${ws}/api-keys/${ids[0]}`, operatorHeaders))
        .statusCode,
    ).toBe(204);
    const all = await listKeys(ws);
    expect(all.map((k) => k.id)).toEqual([...ids].reverse());
    expect(all[2]!.revoked_at).toMatch(ISO_MS);
    expect(all[0]!.revoked_at).toBeNull();

    const walked: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const res = await call(
        t.app,
        'GET',
        `/v1/admin/workspaces/${ws}/api-keys?limit=1&offset=${offset}`,
        operatorHeaders,
      );
      const page = res.json<{ items: ApiKey[]; next_offset: number | null }>();
      walked.push(...page.items.map((k) => k.id));
      offset = page.next_offset;
    }
    expect(walked).toEqual(all.map((k) => k.id));
  });

  it('shows only that workspace', async () => {
    const a = await newWorkspace(t);
    const b = await newWorkspace(t);
    const ka = await newKey(t, a);
    await newKey(t, b);
    expect((await listKeys(a)).map((k) => k.id)).toEqual([ka.id]);
  });

  it('limit/offset out of range → 422', async () => {
    const ws = await newWorkspace(t);
    for (const q of ['limit=0', 'limit=101', 'offset=-1', 'limit=2.5']) {
      expectError(
        await call(t.app, 'GET', `/v1/admin/workspaces/${ws}/api-keys?${q}`, operatorHeaders),
        422,
        'validation_error',
      );
    }
  });

  it('records last_used_at after a key is used', async () => {
    const ws = await newWorkspace(t);
    const k = await newKey(t, ws);
    expect((await listKeys(ws))[0]!.last_used_at).toBeNull();
    expect((await useRunKey(k.key)).statusCode).toBe(200);
    let lastUsed: string | null = null;
    for (let i = 0; i < 50 && lastUsed === null; i++) {
      lastUsed = (await listKeys(ws))[0]!.last_used_at;
      if (lastUsed === null) await new Promise((r) => setTimeout(r, 20));
    }
    expect(lastUsed).toMatch(ISO_MS);
  });

  it('another workspace via an admin key → 404; unknown workspace → 404', async () => {
    const ws = await newWorkspace(t);
    const other = await newWorkspace(t);
    const admin = await adminKey(ws);
    expectError(
      await call(t.app, 'GET', `/v1/admin/workspaces/${other}/api-keys`, bearer(admin)),
      404,
      'not_found',
    );
    expectError(
      await call(t.app, 'GET', `/v1/admin/workspaces/${MISSING_ID}/api-keys`, operatorHeaders),
      404,
      'not_found',
    );
  });
});

describe('DELETE /v1/admin/workspaces/{ws}/api-keys/{key_id}', () => {
  it('revokes: 204, refused from the very next request, shown as revoked', async () => {
    const ws = await newWorkspace(t);
    const k = await newKey(t, ws);
    expect((await useRunKey(k.key)).statusCode).toBe(200);
    t.clock.advance(5);
    const res = await call(t.app, 'DELETE', `/v1/admin/workspaces/${ws}/api-keys/${k.id}`, operatorHeaders);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const err = expectError(await useRunKey(k.key), 401, 'invalid_api_key');
    expect(err.error.context).toEqual({});
    const listed = (await listKeys(ws)).find((x) => x.id === k.id)!;
    expect(listed.revoked_at).toMatch(ISO_MS);
    // revoking again, unknown and malformed ids → 404
    const again = expectError(
      await call(t.app, 'DELETE', `/v1/admin/workspaces/${ws}/api-keys/${k.id}`, operatorHeaders),
      404,
      'not_found',
    );
    expect(again.error.context).toEqual({ resource: 'api_key', id: k.id });
    const missing = expectError(
      await call(t.app, 'DELETE', `/v1/admin/workspaces/${ws}/api-keys/${MISSING_ID}`, operatorHeaders),
      404,
      'not_found',
    );
    const malformed = expectError(
      await call(t.app, 'DELETE', `/v1/admin/workspaces/${ws}/api-keys/zzz`, operatorHeaders),
      404,
      'not_found',
    );
    expect(comparable(malformed)).toEqual(comparable(missing));
    expect(malformed.error.context).toEqual({ resource: 'api_key', id: 'zzz' });
  });

  it('a revoked admin key is refused on the admin API at once, even when it revoked itself', async () => {
    const ws = await newWorkspace(t);
    const admin = await newKey(t, ws, { type: 'secret', name: 'self', scopes: ['admin'] });
    const res = await call(
      t.app,
      'DELETE',
      `/v1/admin/workspaces/${ws}/api-keys/${admin.id}`,
      bearer(admin.key),
    );
    expect(res.statusCode, res.body).toBe(204);
    expectError(
      await call(t.app, 'GET', `/v1/admin/workspaces/${ws}`, bearer(admin.key)),
      401,
      'invalid_api_key',
    );
  });

  it("another workspace's key → 404 and stays valid", async () => {
    const ws = await newWorkspace(t);
    const other = await newWorkspace(t);
    const foreign = await newKey(t, other);
    const admin = await adminKey(ws);
    // the key id under this workspace's path
    const viaOperator = expectError(
      await call(t.app, 'DELETE', `/v1/admin/workspaces/${ws}/api-keys/${foreign.id}`, operatorHeaders),
      404,
      'not_found',
    );
    const missing = expectError(
      await call(t.app, 'DELETE', `/v1/admin/workspaces/${ws}/api-keys/${MISSING_ID}`, operatorHeaders),
      404,
      'not_found',
    );
    expect(comparable(viaOperator)).toEqual(comparable(missing));
    // an admin key naming the other workspace
    expectError(
      await call(t.app, 'DELETE', `/v1/admin/workspaces/${other}/api-keys/${foreign.id}`, bearer(admin)),
      404,
      'not_found',
    );
    expect((await useRunKey(foreign.key)).statusCode).toBe(200);
    expect((await listKeys(other))[0]!.revoked_at).toBeNull();
  });

  it('a secret key without admin cannot revoke', async () => {
    const ws = await newWorkspace(t);
    const runner = await newKey(t, ws);
    const victim = await newKey(t, ws);
    expectError(
      await call(t.app, 'DELETE', `/v1/admin/workspaces/${ws}/api-keys/${victim.id}`, bearer(runner.key)),
      403,
      'insufficient_scope',
    );
    expect((await useRunKey(victim.key)).statusCode).toBe(200);
  });

  it('no credential → 401 missing_api_key; a revoked key stays revoked', async () => {
    const ws = await newWorkspace(t);
    const k = await newKey(t, ws);
    expectError(
      await call(t.app, 'DELETE', `/v1/admin/workspaces/${ws}/api-keys/${k.id}`, {}),
      401,
      'missing_api_key',
    );
    expect((await useRunKey(k.key)).statusCode).toBe(200);
  });
});

describe('agent allow-lists', () => {
  it('a run key limited to one agent: other agents → 403 agent_not_allowed', async () => {
    const ws = await newWorkspace(t);
    const allowed = await newAgent(t, ws);
    const other = await newAgent(t, ws);
    const k = (
      await createKey(ws, { type: 'secret', name: 'limited', agent_ids: [allowed, allowed] })
    ).json<Created>();
    expect(k.agent_ids).toEqual([allowed]);
    const ok = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${allowed}/sessions`,
      headers: { 'x-api-key': k.key },
      payload: {},
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${other}/sessions`,
      headers: { 'x-api-key': k.key },
      payload: {},
    });
    expect(expectError(res, 403, 'agent_not_allowed').error.context).toEqual({ agent_id: other });
  });

  it('an admin key limited to one agent: agent list filtered, others 403, cannot create agents or keys', async () => {
    const ws = await newWorkspace(t);
    const allowed = await newAgent(t, ws);
    const other = await newAgent(t, ws);
    const admin = await adminKey(ws, { agent_ids: [allowed] });
    const h = bearer(admin);

    const list = await call(t.app, 'GET', `/v1/admin/workspaces/${ws}/agents`, h);
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json<{ items: Array<{ id: string }> }>().items.map((a) => a.id)).toEqual([allowed]);

    expect((await call(t.app, 'GET', `/v1/admin/workspaces/${ws}/agents/${allowed}`, h)).statusCode).toBe(
      200,
    );
    for (const [method, payload] of [
      ['GET', undefined],
      ['PATCH', { name: 'renamed' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await call(t.app, method, `/v1/admin/workspaces/${ws}/agents/${other}`, h, payload);
      expect(expectError(res, 403, 'agent_not_allowed').error.context).toEqual({ agent_id: other });
    }
    const created = await call(t.app, 'POST', `/v1/admin/workspaces/${ws}/agents`, h, {
      name: 'new',
      instructions: 'x',
    });
    expectError(created, 403, 'agent_not_allowed');
    const escalate = expectError(
      await createKey(ws, { type: 'secret', name: 'escalate' }, h),
      403,
      'agent_not_allowed',
    );
    expect(escalate.error.context).toEqual({ agent_id: null });
    expect(expectError(created, 403, 'agent_not_allowed').error.context).toEqual({ agent_id: null });
    // nor list or revoke keys (it could revoke keys wider than itself)
    const wide = await newKey(t, ws);
    expectError(await call(t.app, 'GET', `/v1/admin/workspaces/${ws}/api-keys`, h), 403, 'agent_not_allowed');
    expectError(
      await call(t.app, 'DELETE', `/v1/admin/workspaces/${ws}/api-keys/${wide.id}`, h),
      403,
      'agent_not_allowed',
    );
    const stillWorks = await t.app.inject({
      method: 'GET',
      url: '/v1/agents/sessions',
      headers: { 'x-api-key': wide.key },
    });
    expect(stillWorks.statusCode).toBe(200);

    // nothing changed
    const agents = await call(t.app, 'GET', `/v1/admin/workspaces/${ws}/agents`, operatorHeaders);
    const items = agents.json<{ items: Array<{ id: string; name: string }> }>().items;
    expect(items.map((a) => a.id).sort()).toEqual([allowed, other].sort());
    expect(items.find((a) => a.id === other)!.name).not.toBe('renamed');
  });

  it('an empty allow-list reaches no agent', async () => {
    const ws = await newWorkspace(t);
    const agent = await newAgent(t, ws);
    const k = (await createKey(ws, { type: 'secret', name: 'none', agent_ids: [] })).json<Created>();
    expect(k.agent_ids).toEqual([]);
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${agent}/sessions`,
      headers: { 'x-api-key': k.key },
      payload: {},
    });
    expectError(res, 403, 'agent_not_allowed');
    // users are not agent-bound
    expect((await useRunKey(k.key)).statusCode).toBe(200);
  });
});
