import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, OPERATOR_TOKEN, type TestApp } from '../../../test/harness.js';
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
import { isUuidV7 } from '../../platform/ids.js';
import type { Workspace } from './workspaces.service.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

function raw(method: 'POST' | 'PATCH', url: string, body: string, contentType = 'application/json') {
  return t.app.inject({
    method,
    url,
    headers: { ...operatorHeaders, 'content-type': contentType },
    payload: body,
  });
}

async function getWs(id: string, headers: Headers = operatorHeaders) {
  return call(t.app, 'GET', `/v1/admin/workspaces/${id}`, headers);
}

async function listAll(): Promise<Workspace[]> {
  const res = await call(t.app, 'GET', '/v1/admin/workspaces?limit=100', operatorHeaders);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: Workspace[] }>().items;
}

async function adminKey(workspaceId: string) {
  return (await newKey(t, workspaceId, { type: 'secret', name: 'admin', scopes: ['admin'] })).key;
}

describe('admin authentication (shared by every /v1/admin route)', () => {
  it('no credential → 401 missing_api_key', async () => {
    const res = await call(t.app, 'GET', '/v1/admin/workspaces', {});
    const body = expectError(res, 401, 'missing_api_key');
    expect(body.error.name).toBe('MissingApiKeyError');
    expect(body.error.context).toEqual({});
  });

  it('an empty Bearer or an Authorization without a token → 401 missing_api_key', async () => {
    expectError(
      await call(t.app, 'GET', '/v1/admin/workspaces', { authorization: 'Bearer ' }),
      401,
      'missing_api_key',
    );
    expectError(
      await call(t.app, 'GET', '/v1/admin/workspaces', { authorization: 'Basic abc' }),
      401,
      'missing_api_key',
    );
  });

  it('a wrong operator token → 401 invalid_api_key', async () => {
    const res = await call(t.app, 'GET', '/v1/admin/workspaces', bearer(`${OPERATOR_TOKEN}x`));
    expect(expectError(res, 401, 'invalid_api_key').error.name).toBe('InvalidApiKeyError');
  });

  it('a malformed or unknown papo key → 401 invalid_api_key', async () => {
    expectError(
      await call(t.app, 'GET', '/v1/admin/workspaces', bearer('papo_sk_short')),
      401,
      'invalid_api_key',
    );
    expectError(
      await call(t.app, 'GET', '/v1/admin/workspaces', bearer(`papo_sk_${'A'.repeat(40)}`)),
      401,
      'invalid_api_key',
    );
  });

  it('the operator token works with any case of the Bearer word', async () => {
    const res = await call(t.app, 'GET', '/v1/admin/workspaces', {
      authorization: `bEaReR ${OPERATOR_TOKEN}`,
    });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('a secret key without the admin scope → 403 insufficient_scope, on every admin route', async () => {
    const ws = await newWorkspace(t);
    const { key } = await newKey(t, ws);
    const agentId = await newAgent(t, ws);
    const urls: Array<['GET' | 'POST' | 'PATCH' | 'DELETE', string, unknown?]> = [
      ['GET', '/v1/admin/workspaces'],
      ['POST', '/v1/admin/workspaces', { name: 'x' }],
      ['GET', `/v1/admin/workspaces/${ws}`],
      ['PATCH', `/v1/admin/workspaces/${ws}`, { name: 'x' }],
      ['DELETE', `/v1/admin/workspaces/${ws}`],
      ['GET', `/v1/admin/workspaces/${ws}/api-keys`],
      ['POST', `/v1/admin/workspaces/${ws}/api-keys`, { type: 'secret', name: 'x' }],
      ['GET', `/v1/admin/workspaces/${ws}/agents`],
      ['GET', `/v1/admin/workspaces/${ws}/agents/${agentId}`],
      ['GET', `/v1/admin/workspaces/${ws}/conversations`],
      ['GET', `/v1/admin/workspaces/${ws}/usage`],
      ['GET', '/v1/admin/models'],
    ];
    for (const [method, url, payload] of urls) {
      for (const headers of [bearer(key), { 'x-api-key': key }]) {
        const body = expectError(await call(t.app, method, url, headers, payload), 403, 'insufficient_scope');
        expect(body.error.context).toEqual({ required_scope: 'admin' });
      }
    }
    // nothing was changed by the refused writes
    expect((await getWs(ws)).json<Workspace>().name).not.toBe('x');
  });

  it('a public key → 403 insufficient_scope', async () => {
    const ws = await newWorkspace(t);
    const { key } = await newKey(t, ws, { type: 'public', name: 'pk' });
    expectError(
      await call(t.app, 'GET', `/v1/admin/workspaces/${ws}`, bearer(key)),
      403,
      'insufficient_scope',
    );
  });

  it('an admin key works as Bearer and as X-API-Key; every response carries X-Request-Id', async () => {
    const ws = await newWorkspace(t);
    const key = await adminKey(ws);
    for (const headers of [bearer(key), { 'x-api-key': key }]) {
      const res = await getWs(ws, headers);
      expect(res.statusCode, res.body).toBe(200);
      expect(isUuidV7(String(res.headers['x-request-id']))).toBe(true);
    }
  });

  it('unknown admin routes → 404, wrong methods → 405 with Allow, before authentication', async () => {
    const nf = expectError(await call(t.app, 'GET', '/v1/admin/nope', {}), 404, 'not_found');
    expect(nf.error.context).toEqual({});
    const res = await call(t.app, 'PUT', '/v1/admin/workspaces', {});
    const body = expectError(res, 405, 'method_not_allowed');
    expect(res.headers['allow']).toBe('GET, POST');
    expect(body.error.context).toEqual({ allow: ['GET', 'POST'] });
  });
});

describe('POST /v1/admin/workspaces', () => {
  it('creates a workspace', async () => {
    const res = await call(t.app, 'POST', '/v1/admin/workspaces', operatorHeaders, { name: 'Acme' });
    expect(res.statusCode, res.body).toBe(200);
    const ws = res.json<Workspace>();
    expect(Object.keys(ws).sort()).toEqual(['created_at', 'id', 'name', 'updated_at']);
    expect(isUuidV7(ws.id)).toBe(true);
    expect(ws.name).toBe('Acme');
    expect(ws.created_at).toMatch(ISO_MS);
    expect(ws.updated_at).toBe(ws.created_at);
    expect((await getWs(ws.id)).json()).toEqual(ws);
  });

  it('malformed JSON → 400 invalid_request; wrong content type → 400', async () => {
    const before = (await listAll()).length;
    expectError(await raw('POST', '/v1/admin/workspaces', '{"name": '), 400, 'invalid_request');
    expectError(await raw('POST', '/v1/admin/workspaces', 'name=x', 'text/plain'), 400, 'invalid_request');
    expectError(await raw('POST', '/v1/admin/workspaces', ''), 400, 'invalid_request');
    // a JSON value that is not an object is treated as a missing body
    expectError(await raw('POST', '/v1/admin/workspaces', '[]'), 400, 'invalid_request');
    expect((await listAll()).length).toBe(before);
  });

  it('missing name → 400 invalid_request naming the field', async () => {
    const body = expectError(
      await call(t.app, 'POST', '/v1/admin/workspaces', operatorHeaders, {}),
      400,
      'invalid_request',
    );
    expect(issuePaths(body)).toEqual(['name']);
  });

  it('wrong type or length → 422 validation_error with the path', async () => {
    const before = (await listAll()).length;
    for (const name of [42, '', 'x'.repeat(151), null]) {
      const body = expectError(
        await call(t.app, 'POST', '/v1/admin/workspaces', operatorHeaders, { name }),
        422,
        'validation_error',
      );
      expect(body.error.name).toBe('ValidationError');
      expect(issuePaths(body)).toContain('name');
      expect((body.error.context['issues'] as Array<{ location: string }>)[0]!.location).toBe('body');
    }
    expect((await listAll()).length).toBe(before);
  });

  it('unknown body fields are ignored; 150 characters are accepted', async () => {
    const res = await call(t.app, 'POST', '/v1/admin/workspaces', operatorHeaders, {
      name: 'y'.repeat(150),
      extra: 1,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Workspace>().name).toBe('y'.repeat(150));
  });

  it('an admin key cannot create workspaces (operator only)', async () => {
    const ws = await newWorkspace(t);
    const before = (await listAll()).length;
    const res = await call(t.app, 'POST', '/v1/admin/workspaces', bearer(await adminKey(ws)), {
      name: 'sneaky',
    });
    expectError(res, 403, 'insufficient_scope');
    expect((await listAll()).length).toBe(before);
  });
});

describe('GET /v1/admin/workspaces', () => {
  it('lists newest first and pages with next_offset', async () => {
    const a = await newWorkspace(t);
    const b = await newWorkspace(t);
    const c = await newWorkspace(t);
    const all = await listAll();
    const ids = all.map((w) => w.id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(ids.slice(0, 3)).toEqual([c, b, a]);

    const walked: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const res = await call(t.app, 'GET', `/v1/admin/workspaces?limit=1&offset=${offset}`, operatorHeaders);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json<{ items: Workspace[]; next_offset: number | null }>();
      expect(Object.keys(page).sort()).toEqual(['items', 'next_offset']);
      expect(page.items.length).toBeLessThanOrEqual(1);
      walked.push(...page.items.map((w) => w.id));
      if (page.next_offset !== null) expect(page.next_offset).toBe(offset + 1);
      offset = page.next_offset;
    }
    expect(walked).toEqual(ids);
  });

  it('defaults to 20 per page', async () => {
    while ((await listAll()).length < 21) await newWorkspace(t);
    const res = await call(t.app, 'GET', '/v1/admin/workspaces', operatorHeaders);
    const page = res.json<{ items: Workspace[]; next_offset: number | null }>();
    expect(page.items).toHaveLength(20);
    expect(page.next_offset).toBe(20);
  });

  it('limit 0 / 101 / non-integer, offset -1 → 422 with the query path', async () => {
    for (const [q, path] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=abc', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=x', 'offset'],
    ] as const) {
      const body = expectError(
        await call(t.app, 'GET', `/v1/admin/workspaces?${q}`, operatorHeaders),
        422,
        'validation_error',
      );
      const issues = body.error.context['issues'] as Array<{ path: string; location: string }>;
      expect(issues[0]).toMatchObject({ path, location: 'query' });
    }
  });

  it('an admin key sees only its own workspace', async () => {
    const ws = await newWorkspace(t);
    await newWorkspace(t);
    const key = await adminKey(ws);
    const res = await call(t.app, 'GET', '/v1/admin/workspaces', bearer(key));
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json<{ items: Workspace[]; next_offset: number | null }>();
    expect(page.items.map((w) => w.id)).toEqual([ws]);
    expect(page.next_offset).toBeNull();
    const second = await call(t.app, 'GET', '/v1/admin/workspaces?offset=1', bearer(key));
    expect(second.json()).toEqual({ items: [], next_offset: null });
  });
});

describe('GET /v1/admin/workspaces/{id}', () => {
  it('returns the workspace', async () => {
    const id = await newWorkspace(t, 'single');
    const res = await getWs(id);
    expect(res.statusCode).toBe(200);
    expect(res.json<Workspace>()).toMatchObject({ id, name: 'single' });
  });

  it('unknown and malformed ids → 404 with the same body shape', async () => {
    const missing = expectError(await getWs(MISSING_ID), 404, 'not_found');
    expect(missing.error.context).toEqual({ resource: 'workspace', id: MISSING_ID });
    const malformed = expectError(await getWs('not-a-uuid'), 404, 'not_found');
    expect(malformed.error.context).toEqual({ resource: 'workspace', id: 'not-a-uuid' });
    const upper = expectError(await getWs(MISSING_ID.toUpperCase()), 404, 'not_found');
    expect(comparable(upper)).toEqual(comparable(missing));
  });

  it('an admin key reaching another workspace → 404 exactly like a missing one', async () => {
    const mine = await newWorkspace(t);
    const other = await newWorkspace(t);
    const key = await adminKey(mine);
    const foreign = expectError(await getWs(other, bearer(key)), 404, 'not_found');
    const missing = expectError(await getWs(MISSING_ID, bearer(key)), 404, 'not_found');
    expect(comparable(foreign)).toEqual(comparable(missing));
    expect(foreign.error.context).toEqual({ resource: 'workspace', id: other });
    expect(foreign.error.message).toBe(missing.error.message.replace(MISSING_ID, other));
  });

  it('the operator token reaches every workspace', async () => {
    const a = await newWorkspace(t);
    const b = await newWorkspace(t);
    expect((await getWs(a)).statusCode).toBe(200);
    expect((await getWs(b)).statusCode).toBe(200);
  });
});

describe('PATCH /v1/admin/workspaces/{id}', () => {
  it('renames; updated_at moves, created_at stays', async () => {
    const id = await newWorkspace(t, 'before');
    const created = (await getWs(id)).json<Workspace>();
    t.clock.advance(1000);
    const res = await call(t.app, 'PATCH', `/v1/admin/workspaces/${id}`, operatorHeaders, { name: 'after' });
    expect(res.statusCode, res.body).toBe(200);
    const ws = res.json<Workspace>();
    expect(ws).toMatchObject({ id, name: 'after', created_at: created.created_at });
    expect(Date.parse(ws.updated_at)).toBeGreaterThan(Date.parse(created.updated_at));
    expect((await getWs(id)).json()).toEqual(ws);
  });

  it('{} changes nothing', async () => {
    const id = await newWorkspace(t, 'same');
    const before = (await getWs(id)).json<Workspace>();
    t.clock.advance(1000);
    const res = await call(t.app, 'PATCH', `/v1/admin/workspaces/${id}`, operatorHeaders, {});
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(before);
  });

  it('invalid bodies are refused and change nothing', async () => {
    const id = await newWorkspace(t, 'stable');
    const before = (await getWs(id)).json<Workspace>();
    expectError(await raw('PATCH', `/v1/admin/workspaces/${id}`, '{oops'), 400, 'invalid_request');
    for (const name of ['', 7, null, 'z'.repeat(151)]) {
      const body = expectError(
        await call(t.app, 'PATCH', `/v1/admin/workspaces/${id}`, operatorHeaders, { name }),
        422,
        'validation_error',
      );
      expect(issuePaths(body)).toContain('name');
    }
    expect((await getWs(id)).json()).toEqual(before);
  });

  it('an admin key renames its own workspace but not another one (404)', async () => {
    const mine = await newWorkspace(t, 'mine');
    const other = await newWorkspace(t, 'other');
    const key = await adminKey(mine);
    const ok = await call(t.app, 'PATCH', `/v1/admin/workspaces/${mine}`, bearer(key), { name: 'mine2' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json<Workspace>().name).toBe('mine2');
    const res = await call(t.app, 'PATCH', `/v1/admin/workspaces/${other}`, bearer(key), {
      name: 'hijacked',
    });
    expect(expectError(res, 404, 'not_found').error.context).toEqual({ resource: 'workspace', id: other });
    expect((await getWs(other)).json<Workspace>().name).toBe('other');
  });

  it('unknown, malformed and deleted ids → 404', async () => {
    expectError(
      await call(t.app, 'PATCH', `/v1/admin/workspaces/${MISSING_ID}`, operatorHeaders, { name: 'a' }),
      404,
      'not_found',
    );
    expectError(
      await call(t.app, 'PATCH', '/v1/admin/workspaces/bad', operatorHeaders, { name: 'a' }),
      404,
      'not_found',
    );
    const id = await newWorkspace(t);
    expect((await call(t.app, 'DELETE', `/v1/admin/workspaces/${id}`, operatorHeaders)).statusCode).toBe(204);
    expectError(
      await call(t.app, 'PATCH', `/v1/admin/workspaces/${id}`, operatorHeaders, { name: 'a' }),
      404,
      'not_found',
    );
  });
});

describe('DELETE /v1/admin/workspaces/{id}', () => {
  it('soft-deletes: 204 without body, then 404 everywhere, and its keys fail at once', async () => {
    const id = await newWorkspace(t);
    const agentId = await newAgent(t, id);
    const { key: runKey } = await newKey(t, id);
    const admin = await adminKey(id);
    // both keys work before
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/agents/users', headers: { 'x-api-key': runKey } }))
        .statusCode,
    ).toBe(200);
    expect((await getWs(id, bearer(admin))).statusCode).toBe(200);

    const res = await call(t.app, 'DELETE', `/v1/admin/workspaces/${id}`, operatorHeaders);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(res.headers['x-request-id']).toBeTruthy();

    expectError(await getWs(id), 404, 'not_found');
    expect((await listAll()).map((w) => w.id)).not.toContain(id);
    expectError(
      await t.app.inject({ method: 'GET', url: '/v1/agents/users', headers: { 'x-api-key': runKey } }),
      401,
      'invalid_api_key',
    );
    expectError(
      await t.app.inject({
        method: 'POST',
        url: `/v1/agents/${agentId}/sessions`,
        headers: { 'x-api-key': runKey },
        payload: {},
      }),
      401,
      'invalid_api_key',
    );
    expectError(await getWs(id, bearer(admin)), 401, 'invalid_api_key');
    // its sub-resources are gone for the operator too
    for (const url of [
      `/v1/admin/workspaces/${id}/agents`,
      `/v1/admin/workspaces/${id}/agents/${agentId}`,
      `/v1/admin/workspaces/${id}/api-keys`,
      `/v1/admin/workspaces/${id}/conversations`,
      `/v1/admin/workspaces/${id}/usage`,
    ]) {
      expectError(await call(t.app, 'GET', url, operatorHeaders), 404, 'not_found');
    }
    expectError(
      await call(t.app, 'POST', `/v1/admin/workspaces/${id}/agents`, operatorHeaders, {
        name: 'n',
        instructions: 'i',
      }),
      404,
      'not_found',
    );
    expectError(
      await call(t.app, 'PATCH', `/v1/admin/workspaces/${id}/agents/${agentId}`, operatorHeaders, {
        name: 'n',
      }),
      404,
      'not_found',
    );
    expectError(
      await call(t.app, 'DELETE', `/v1/admin/workspaces/${id}/agents/${agentId}`, operatorHeaders),
      404,
      'not_found',
    );
    expectError(
      await call(t.app, 'POST', `/v1/admin/workspaces/${id}/api-keys`, operatorHeaders, {
        type: 'secret',
        name: 'k',
      }),
      404,
      'not_found',
    );
    // deleting again → 404
    expectError(await call(t.app, 'DELETE', `/v1/admin/workspaces/${id}`, operatorHeaders), 404, 'not_found');
  });

  it('unknown and malformed ids → 404', async () => {
    expectError(
      await call(t.app, 'DELETE', `/v1/admin/workspaces/${MISSING_ID}`, operatorHeaders),
      404,
      'not_found',
    );
    expectError(await call(t.app, 'DELETE', '/v1/admin/workspaces/xyz', operatorHeaders), 404, 'not_found');
  });

  it('an admin key cannot delete workspaces, not even its own', async () => {
    const id = await newWorkspace(t);
    const key = await adminKey(id);
    expectError(
      await call(t.app, 'DELETE', `/v1/admin/workspaces/${id}`, bearer(key)),
      403,
      'insufficient_scope',
    );
    expect((await getWs(id)).statusCode).toBe(200);
    expect((await getWs(id, bearer(key))).statusCode).toBe(200);
  });
});
