import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import { newAgent, newKey, newWorkspace, operatorHeaders } from '../../../test/factories.js';
import {
  bearer,
  call as callApp,
  comparable,
  expectError,
  issuePaths,
  ISO_MS,
  MISSING_ID,
  type Headers,
  type Method,
} from '../../../test/http.js';
import { agentVersions, messages } from '../../platform/db/schema/index.js';
import { isUuidV7 } from '../../platform/ids.js';
import type { Agent } from './agents.service.js';

const AGENT_FIELDS = [
  'created_at',
  'description',
  'greeting',
  'history_limit',
  'id',
  'idle_ttl_seconds',
  'inactivity',
  'instructions',
  'max_output_tokens',
  'metadata',
  'model',
  'name',
  'output_format',
  'published_version',
  'rate_limits',
  'session_token_ttl_seconds',
  'status',
  'temperature',
  'updated_at',
  'workspace_id',
];

type Page = { items: Agent[]; next_offset: number | null };

let t: TestApp;
let ws: string;

beforeAll(async () => {
  t = await createTestApp();
  ws = await newWorkspace(t);
});
afterAll(async () => {
  await t?.close();
});

const agentsUrl = (w: string) => `/v1/admin/workspaces/${w}/agents`;

function call(method: Method, url: string, payload?: unknown, headers: Headers = operatorHeaders) {
  return callApp(t.app, method, url, headers, payload);
}

async function create(body: Record<string, unknown>, w = ws): Promise<Agent> {
  const res = await call('POST', agentsUrl(w), body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Agent>();
}

async function getAgent(id: string, w = ws): Promise<Agent> {
  const res = await call('GET', `${agentsUrl(w)}/${id}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Agent>();
}

async function patch(id: string, body: unknown, w = ws) {
  return call('PATCH', `${agentsUrl(w)}/${id}`, body);
}

async function versions(agentId: string) {
  return t.db.db
    .select()
    .from(agentVersions)
    .where(eq(agentVersions.agentId, agentId))
    .orderBy(asc(agentVersions.version));
}

let n = 0;
const uniqueName = (p = 'agent') => `${p}-${++n}-${Date.now().toString(36)}`;

describe('POST /v1/admin/workspaces/{ws}/agents', () => {
  it('applies the AgentInput defaults and publishes version 1', async () => {
    const name = uniqueName();
    const a = await create({ name, instructions: 'Be kind.' });
    expect(Object.keys(a).sort()).toEqual(AGENT_FIELDS);
    expect(isUuidV7(a.id)).toBe(true);
    expect(a).toEqual({
      id: a.id,
      workspace_id: ws,
      name,
      description: null,
      instructions: 'Be kind.',
      model: 'demo:papo-demo',
      temperature: null,
      max_output_tokens: null,
      greeting: null,
      history_limit: 40,
      idle_ttl_seconds: 86_400,
      session_token_ttl_seconds: 3600,
      inactivity: { close_on_final: true },
      output_format: 'markdown',
      rate_limits: {},
      metadata: {},
      status: 'active',
      published_version: 1,
      created_at: a.created_at,
      updated_at: a.created_at,
    });
    expect(a.created_at).toMatch(ISO_MS);
    expect(await getAgent(a.id)).toEqual(a);
    const v = await versions(a.id);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({
      version: 1,
      workspaceId: ws,
      instructions: 'Be kind.',
      model: 'demo:papo-demo',
      temperature: null,
      maxOutputTokens: null,
    });
  });

  it('stores and echoes every field', async () => {
    const input = {
      name: uniqueName('full'),
      description: 'A complete agent',
      instructions: 'Answer in Portuguese.',
      model: 'openai:gpt-4o-mini',
      temperature: 0.5,
      max_output_tokens: 256,
      greeting: 'Olá!',
      history_limit: 200,
      idle_ttl_seconds: 300,
      session_token_ttl_seconds: 60,
      inactivity: {
        warning_message: 'Still there?',
        final_instructions: 'Say goodbye.',
        close_on_final: false,
      },
      output_format: 'whatsapp',
      rate_limits: { requests_per_minute: 10, messages_per_minute_per_conversation: 3 },
      metadata: { team: 'sales', nested: { tier: 2 } },
      status: 'active',
    };
    const a = await create(input);
    expect(a).toMatchObject({ ...input, published_version: 1 });
    expect(await getAgent(a.id)).toEqual(a);
    expect((await versions(a.id))[0]).toMatchObject({
      model: 'openai:gpt-4o-mini',
      temperature: 0.5,
      maxOutputTokens: 256,
    });
  });

  it('inactivity without close_on_final defaults it to true', async () => {
    const a = await create({ name: uniqueName(), instructions: 'x', inactivity: { final_message: 'Bye' } });
    expect(a.inactivity).toEqual({ final_message: 'Bye', close_on_final: true });
  });

  it('malformed JSON → 400; missing name or instructions → 400 naming the field', async () => {
    const before = await listIds();
    const bad = await t.app.inject({
      method: 'POST',
      url: agentsUrl(ws),
      headers: { ...operatorHeaders, 'content-type': 'application/json' },
      payload: '{"name":"x"',
    });
    expectError(bad, 400, 'invalid_request');
    expect(
      issuePaths(expectError(await call('POST', agentsUrl(ws), { name: 'x' }), 400, 'invalid_request')),
    ).toEqual(['instructions']);
    expect(
      issuePaths(
        expectError(await call('POST', agentsUrl(ws), { instructions: 'x' }), 400, 'invalid_request'),
      ),
    ).toEqual(['name']);
    expect(await listIds()).toEqual(before);
  });

  it('out-of-range and wrongly typed fields → 422 with the path; nothing is created', async () => {
    const before = await listIds();
    const ok = { name: 'valid', instructions: 'x' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: '' }, 'name'],
      [{ name: 'n'.repeat(151) }, 'name'],
      [{ name: 12 }, 'name'],
      [{ description: 'd'.repeat(2001) }, 'description'],
      [{ instructions: 'i'.repeat(200_001) }, 'instructions'],
      [{ instructions: null }, 'instructions'],
      [{ model: 'papo-demo' }, 'model'],
      [{ model: 'acme:gpt' }, 'model'],
      [{ temperature: 2.5 }, 'temperature'],
      [{ temperature: -0.1 }, 'temperature'],
      [{ temperature: '1' }, 'temperature'],
      [{ max_output_tokens: 1.5 }, 'max_output_tokens'],
      [{ max_output_tokens: 0 }, 'max_output_tokens'],
      [{ history_limit: 0 }, 'history_limit'],
      [{ history_limit: 201 }, 'history_limit'],
      [{ idle_ttl_seconds: 299 }, 'idle_ttl_seconds'],
      [{ idle_ttl_seconds: 2_592_001 }, 'idle_ttl_seconds'],
      [{ session_token_ttl_seconds: 59 }, 'session_token_ttl_seconds'],
      [{ session_token_ttl_seconds: 86_401 }, 'session_token_ttl_seconds'],
      [{ inactivity: { close_on_final: 'yes' } }, 'inactivity.close_on_final'],
      [{ output_format: 'html' }, 'output_format'],
      [{ rate_limits: { requests_per_minute: 0 } }, 'rate_limits.requests_per_minute'],
      [{ metadata: [] }, 'metadata'],
      [{ metadata: { big: 'x'.repeat(16 * 1024) } }, 'metadata'],
      [{ status: 'paused' }, 'status'],
    ];
    for (const [override, path] of cases) {
      const res = await call('POST', agentsUrl(ws), { ...ok, ...override });
      const err = expectError(res, 422, 'validation_error');
      expect(issuePaths(err), JSON.stringify(override).slice(0, 80)).toContain(path);
    }
    expect(await listIds()).toEqual(before);
  });

  it('names are unique per workspace, case-insensitively (422), free again after delete, independent across workspaces', async () => {
    const name = uniqueName('Support');
    const first = await create({ name, instructions: 'x' });
    const dup = expectError(
      await call('POST', agentsUrl(ws), { name: name.toUpperCase(), instructions: 'y' }),
      422,
      'validation_error',
    );
    expect(issuePaths(dup)).toEqual(['name']);
    // another workspace may use the same name
    const other = await newWorkspace(t);
    await create({ name, instructions: 'x' }, other);
    // deleting frees the name
    expect((await call('DELETE', `${agentsUrl(ws)}/${first.id}`)).statusCode).toBe(204);
    const again = await create({ name: name.toLowerCase(), instructions: 'x' });
    expect(again.id).not.toBe(first.id);
  });

  it('concurrent creates with one name: one wins, the others get 422', async () => {
    const name = uniqueName('Race');
    const results = await Promise.all(
      [name, name.toUpperCase(), name.toLowerCase()].map((nm) =>
        call('POST', agentsUrl(ws), { name: nm, instructions: 'x' }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 422, 422]);
    for (const r of results.filter((x) => x.statusCode === 422)) {
      expect(issuePaths(expectError(r, 422, 'validation_error'))).toEqual(['name']);
    }
  });

  it('unknown and malformed workspace → 404', async () => {
    expectError(
      await call('POST', agentsUrl(MISSING_ID), { name: 'x', instructions: 'x' }),
      404,
      'not_found',
    );
    expectError(await call('POST', agentsUrl('nope'), { name: 'x', instructions: 'x' }), 404, 'not_found');
  });

  it('an admin key creates agents in its own workspace only; run keys are refused', async () => {
    const mine = await newWorkspace(t);
    const other = await newWorkspace(t);
    const admin = (await newKey(t, mine, { type: 'secret', name: 'a', scopes: ['admin'] })).key;
    const ok = await call('POST', agentsUrl(mine), { name: uniqueName(), instructions: 'x' }, bearer(admin));
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json<Agent>().workspace_id).toBe(mine);
    const foreign = expectError(
      await call('POST', agentsUrl(other), { name: 'x', instructions: 'x' }, bearer(admin)),
      404,
      'not_found',
    );
    const missing = expectError(
      await call('POST', agentsUrl(MISSING_ID), { name: 'x', instructions: 'x' }, bearer(admin)),
      404,
      'not_found',
    );
    expect(comparable(foreign)).toEqual(comparable(missing));
    expect((await listIds(other)).length).toBe(0);
    const run = (await newKey(t, mine)).key;
    expectError(
      await call('POST', agentsUrl(mine), { name: 'x', instructions: 'x' }, bearer(run)),
      403,
      'insufficient_scope',
    );
    expectError(
      await call('POST', agentsUrl(mine), { name: 'x', instructions: 'x' }, {}),
      401,
      'missing_api_key',
    );
  });
});

async function listIds(w = ws, query = 'limit=100'): Promise<string[]> {
  const res = await call('GET', `${agentsUrl(w)}?${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Page>().items.map((a) => a.id);
}

describe('GET /v1/admin/workspaces/{ws}/agents', () => {
  it('lists newest first, pages, searches by name case-insensitively and hides deleted agents', async () => {
    const w = await newWorkspace(t);
    const a = await create({ name: 'Alpha Sales', instructions: 'x' }, w);
    const b = await create({ name: 'Beta support', instructions: 'x' }, w);
    const c = await create({ name: 'Gamma SALES 100%', instructions: 'x' }, w);
    const d = await create({ name: 'gone sales', instructions: 'x' }, w);
    expect((await call('DELETE', `${agentsUrl(w)}/${d.id}`)).statusCode).toBe(204);

    const res = await call('GET', agentsUrl(w));
    const page = res.json<Page>();
    expect(page.items.map((x) => x.id)).toEqual([c.id, b.id, a.id]);
    expect(page.next_offset).toBeNull();
    expect(page.items[0]).toEqual(c);

    expect(await listIds(w, 'search=sales')).toEqual([c.id, a.id]);
    expect(await listIds(w, 'search=SUPPORT')).toEqual([b.id]);
    expect(await listIds(w, 'search=100%25')).toEqual([c.id]);
    expect(await listIds(w, 'search=%25')).toEqual([c.id]);
    expect(await listIds(w, 'search=_')).toEqual([]);

    const p1 = (await call('GET', `${agentsUrl(w)}?limit=2`)).json<Page>();
    expect(p1.items.map((x) => x.id)).toEqual([c.id, b.id]);
    expect(p1.next_offset).toBe(2);
    const p2 = (await call('GET', `${agentsUrl(w)}?limit=2&offset=2`)).json<Page>();
    expect(p2.items.map((x) => x.id)).toEqual([a.id]);
    expect(p2.next_offset).toBeNull();
  });

  it('limit/offset out of range and an over-long search → 422', async () => {
    for (const q of ['limit=0', 'limit=101', 'offset=-1', 'limit=x', `search=${'s'.repeat(151)}`]) {
      expectError(await call('GET', `${agentsUrl(ws)}?${q}`), 422, 'validation_error');
    }
  });

  it("shows only the workspace's own agents", async () => {
    const w1 = await newWorkspace(t);
    const w2 = await newWorkspace(t);
    const a1 = await newAgent(t, w1);
    await newAgent(t, w2);
    expect(await listIds(w1)).toEqual([a1]);
  });
});

describe('GET /v1/admin/workspaces/{ws}/agents/{id}', () => {
  it('unknown, malformed, deleted and foreign agents → identical 404s', async () => {
    const missing = expectError(await call('GET', `${agentsUrl(ws)}/${MISSING_ID}`), 404, 'not_found');
    expect(missing.error.context).toEqual({ resource: 'agent', id: MISSING_ID });
    const malformed = expectError(await call('GET', `${agentsUrl(ws)}/not-an-id`), 404, 'not_found');
    expect(malformed.error.context).toEqual({ resource: 'agent', id: 'not-an-id' });
    const other = await newWorkspace(t);
    const foreignAgent = await newAgent(t, other);
    // another workspace's agent under this workspace's path
    const foreign = expectError(await call('GET', `${agentsUrl(ws)}/${foreignAgent}`), 404, 'not_found');
    expect(foreign.error.context).toEqual({ resource: 'agent', id: foreignAgent });
    expect(comparable(foreign)).toEqual(comparable(missing));
    expect(comparable(malformed)).toEqual(comparable(missing));
  });

  it('an admin key cannot reach another workspace (404) but the operator can', async () => {
    const mine = await newWorkspace(t);
    const other = await newWorkspace(t);
    const otherAgent = await newAgent(t, other);
    const admin = (await newKey(t, mine, { type: 'secret', name: 'a', scopes: ['admin'] })).key;
    const res = expectError(
      await call('GET', `${agentsUrl(other)}/${otherAgent}`, undefined, bearer(admin)),
      404,
      'not_found',
    );
    expect(res.error.context).toEqual({ resource: 'workspace', id: other });
    expect((await call('GET', `${agentsUrl(other)}/${otherAgent}`)).statusCode).toBe(200);
  });
});

describe('PATCH /v1/admin/workspaces/{ws}/agents/{id}', () => {
  it('runtime changes publish a new version; other changes do not', async () => {
    const a = await create({ name: uniqueName(), instructions: 'v1' });
    t.clock.advance(1000);

    let res = await patch(a.id, { instructions: 'v2' });
    expect(res.statusCode, res.body).toBe(200);
    let cur = res.json<Agent>();
    expect(cur.instructions).toBe('v2');
    expect(cur.published_version).toBe(2);
    expect(Date.parse(cur.updated_at)).toBeGreaterThan(Date.parse(a.updated_at));
    expect(cur.created_at).toBe(a.created_at);

    res = await patch(a.id, {
      name: `${a.name}-renamed`,
      greeting: 'Hi',
      metadata: { x: 1 },
      history_limit: 5,
    });
    cur = res.json<Agent>();
    expect(cur).toMatchObject({
      name: `${a.name}-renamed`,
      greeting: 'Hi',
      metadata: { x: 1 },
      history_limit: 5,
    });
    expect(cur.published_version).toBe(2);

    cur = (await patch(a.id, { temperature: 0.25 })).json<Agent>();
    expect(cur.published_version).toBe(3);
    cur = (await patch(a.id, { max_output_tokens: 100, model: 'anthropic:claude-haiku-4-5' })).json<Agent>();
    expect(cur.published_version).toBe(4);
    expect(cur).toMatchObject({
      max_output_tokens: 100,
      model: 'anthropic:claude-haiku-4-5',
      temperature: 0.25,
    });

    // setting a runtime field to its current value publishes nothing
    cur = (await patch(a.id, { instructions: 'v2', temperature: 0.25 })).json<Agent>();
    expect(cur.published_version).toBe(4);
    // null clears a nullable runtime field (a change → new version)
    cur = (await patch(a.id, { temperature: null })).json<Agent>();
    expect(cur).toMatchObject({ temperature: null, published_version: 5 });

    const v = await versions(a.id);
    expect(v.map((r) => r.version)).toEqual([1, 2, 3, 4, 5]);
    expect(v.map((r) => r.instructions)).toEqual(['v1', 'v2', 'v2', 'v2', 'v2']);
    expect(v[2]).toMatchObject({ temperature: 0.25, model: 'demo:papo-demo', maxOutputTokens: null });
    expect(v[3]).toMatchObject({
      temperature: 0.25,
      model: 'anthropic:claude-haiku-4-5',
      maxOutputTokens: 100,
    });
    expect(v[4]).toMatchObject({
      temperature: null,
      model: 'anthropic:claude-haiku-4-5',
      maxOutputTokens: 100,
    });
    expect(await getAgent(a.id)).toEqual(cur);
  });

  it('concurrent runtime PATCHes each publish their own version', async () => {
    const a = await create({ name: uniqueName(), instructions: 'start' });
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => patch(a.id, { instructions: `parallel ${i}` })),
    );
    for (const r of results) expect(r.statusCode, r.body).toBe(200);
    expect(results.map((r) => r.json<Agent>().published_version).sort()).toEqual([2, 3, 4, 5, 6]);
    const v = await versions(a.id);
    expect(v.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6]);
    const latest = await getAgent(a.id);
    expect(latest.published_version).toBe(6);
    expect(latest.instructions).toBe(v[5]!.instructions);
  });

  it('{} is a no-op', async () => {
    const a = await create({ name: uniqueName(), instructions: 'x' });
    t.clock.advance(1000);
    const res = await patch(a.id, {});
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(a);
    expect(await versions(a.id)).toHaveLength(1);
  });

  it('inactivity and rate_limits are replaced whole', async () => {
    const a = await create({
      name: uniqueName(),
      instructions: 'x',
      inactivity: { warning_message: 'w', close_on_final: false },
      rate_limits: { requests_per_minute: 5 },
    });
    const cur = (
      await patch(a.id, {
        inactivity: { final_message: 'bye' },
        rate_limits: { messages_per_minute_per_conversation: 2 },
      })
    ).json<Agent>();
    expect(cur.inactivity).toEqual({ final_message: 'bye', close_on_final: true });
    expect(cur.rate_limits).toEqual({ messages_per_minute_per_conversation: 2 });
  });

  it('invalid patches are refused and change nothing', async () => {
    const a = await create({ name: uniqueName(), instructions: 'keep' });
    const taken = await create({ name: uniqueName('Taken'), instructions: 'x' });
    const bad = await t.app.inject({
      method: 'PATCH',
      url: `${agentsUrl(ws)}/${a.id}`,
      headers: { ...operatorHeaders, 'content-type': 'application/json' },
      payload: '{"name": }',
    });
    expectError(bad, 400, 'invalid_request');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: '' }, 'name'],
      [{ name: null }, 'name'],
      [{ instructions: null }, 'instructions'],
      [{ model: 'nope' }, 'model'],
      [{ model: 'acme:x', instructions: 'changed' }, 'model'],
      [{ temperature: 3, instructions: 'changed' }, 'temperature'],
      [{ history_limit: 0 }, 'history_limit'],
      [{ output_format: 'rtf' }, 'output_format'],
      [{ metadata: { big: 'x'.repeat(16 * 1024) } }, 'metadata'],
      [{ name: taken.name.toLowerCase() }, 'name'],
    ];
    for (const [body, path] of cases) {
      const err = expectError(await patch(a.id, body), 422, 'validation_error');
      expect(issuePaths(err), JSON.stringify(body).slice(0, 80)).toContain(path);
    }
    expect(await getAgent(a.id)).toEqual(a);
    expect(await versions(a.id)).toHaveLength(1);
  });

  it('unknown, malformed, foreign and deleted agents → 404', async () => {
    expectError(await patch(MISSING_ID, { name: 'x' }), 404, 'not_found');
    expectError(await patch('bad', { name: 'x' }), 404, 'not_found');
    const other = await newWorkspace(t);
    const foreign = await newAgent(t, other);
    expectError(await patch(foreign, { name: 'stolen' }), 404, 'not_found');
    expect((await getAgent(foreign, other)).name).not.toBe('stolen');
  });
});

describe('GET /v1/admin/workspaces/{ws}/agents/{id}/versions', () => {
  type VersionPage = {
    items: Array<{
      version: number;
      instructions: string;
      model: string;
      temperature: number | null;
      max_output_tokens: number | null;
      notes: string | null;
      created_at: string;
    }>;
    next_offset: number | null;
  };
  const versionsUrl = (id: string, w = ws) => `${agentsUrl(w)}/${id}/versions`;

  it('lists published versions newest first, paged with limit/offset', async () => {
    const a = await create({ name: uniqueName(), instructions: 'v1', temperature: 0.7 });
    await patch(a.id, { instructions: 'v2', max_output_tokens: 50 });
    await patch(a.id, { instructions: 'v3', model: 'anthropic:claude-haiku-4-5' });
    const res = await call('GET', versionsUrl(a.id));
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json<VersionPage>();
    expect(page.next_offset).toBeNull();
    expect(page.items.map((v) => [v.version, v.instructions])).toEqual([
      [3, 'v3'],
      [2, 'v2'],
      [1, 'v1'],
    ]);
    expect(Object.keys(page.items[0]!).sort()).toEqual([
      'created_at',
      'instructions',
      'max_output_tokens',
      'model',
      'notes',
      'temperature',
      'version',
    ]);
    expect(page.items[0]).toMatchObject({
      model: 'anthropic:claude-haiku-4-5',
      temperature: 0.7,
      max_output_tokens: 50,
    });
    expect(page.items[2]).toMatchObject({
      model: 'demo:papo-demo',
      temperature: 0.7,
      max_output_tokens: null,
    });
    expect(page.items[2]!.created_at).toMatch(ISO_MS);

    const first = (await call('GET', `${versionsUrl(a.id)}?limit=2`)).json<VersionPage>();
    expect(first.items.map((v) => v.version)).toEqual([3, 2]);
    expect(first.next_offset).toBe(2);
    const second = (await call('GET', `${versionsUrl(a.id)}?limit=2&offset=2`)).json<VersionPage>();
    expect(second).toEqual({ items: [expect.objectContaining({ version: 1 })], next_offset: null });
    expectError(await call('GET', `${versionsUrl(a.id)}?limit=0`), 422, 'validation_error');
  });

  it('same auth and allow-list rules as GET agent; unknown, foreign and deleted agents → 404', async () => {
    const a = await create({ name: uniqueName(), instructions: 'x' });
    const b = await create({ name: uniqueName(), instructions: 'y' });
    const limited = (await newKey(t, ws, { type: 'secret', name: 'l', scopes: ['admin'], agent_ids: [a.id] }))
      .key;
    expect((await call('GET', versionsUrl(a.id), undefined, bearer(limited))).statusCode).toBe(200);
    expectError(await call('GET', versionsUrl(b.id), undefined, bearer(limited)), 403, 'agent_not_allowed');
    const run = (await newKey(t, ws)).key;
    expectError(await call('GET', versionsUrl(a.id), undefined, bearer(run)), 403, 'insufficient_scope');
    expectError(await call('GET', versionsUrl(a.id), undefined, {}), 401, 'missing_api_key');
    expectError(await call('GET', versionsUrl(MISSING_ID)), 404, 'not_found');
    expectError(await call('GET', versionsUrl('nope')), 404, 'not_found');
    const other = await newWorkspace(t);
    expectError(await call('GET', versionsUrl(a.id, other)), 404, 'not_found');
    expect((await call('DELETE', `${agentsUrl(ws)}/${b.id}`)).statusCode).toBe(204);
    expectError(await call('GET', versionsUrl(b.id)), 404, 'not_found');
  });
});

describe('POST /v1/admin/workspaces/{ws}/agents/{id}/versions/{n}/restore', () => {
  const restoreUrl = (id: string, n: number | string, w = ws) =>
    `${agentsUrl(w)}/${id}/versions/${n}/restore`;
  type VersionItem = { version: number; instructions: string; model: string; notes: string | null };
  const listVersions = async (id: string) =>
    (await call('GET', `${agentsUrl(ws)}/${id}/versions`)).json<{ items: VersionItem[] }>().items;

  it("publishes the old version's settings as a new version; history and other fields stay", async () => {
    const a = await create({ name: uniqueName(), instructions: 'first', temperature: 0.3, greeting: 'Hi' });
    await patch(a.id, { instructions: 'second', model: 'anthropic:claude-haiku-4-5', max_output_tokens: 80 });
    await patch(a.id, { greeting: 'Hello' });
    const res = await call('POST', restoreUrl(a.id, 1));
    expect(res.statusCode, res.body).toBe(200);
    const back = res.json<Agent>();
    expect(Object.keys(back).sort()).toEqual(AGENT_FIELDS);
    expect(back).toMatchObject({
      instructions: 'first',
      model: 'demo:papo-demo',
      temperature: 0.3,
      max_output_tokens: null,
      greeting: 'Hello', // not versioned: untouched
      published_version: 3,
    });
    expect(await getAgent(a.id)).toEqual(back);
    expect((await listVersions(a.id)).map((v) => [v.version, v.instructions, v.notes])).toEqual([
      [3, 'first', 'Restored from version 1'],
      [2, 'second', null],
      [1, 'first', null],
    ]);
  });

  it('discards draft changes not yet published (made through Gennia)', async () => {
    const a = await create({ name: uniqueName(), instructions: 'one' });
    await patch(a.id, { instructions: 'two' });
    const edited = await t.services.agents.editAgentDraft(ws, a.id, (cur) => ({
      draft: { ...cur.draft, instructions: 'unpublished' },
    }));
    expect(edited.hasUnpublishedChanges).toBe(true);
    const res = await call('POST', restoreUrl(a.id, 1));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Agent>()).toMatchObject({ instructions: 'one', published_version: 3 });
    const state = await t.services.agents.getAgentState(ws, a.id);
    expect(state).toMatchObject({ hasUnpublishedChanges: false, publishedVersion: 3 });
    expect(state.draft.instructions).toBe('one');
  });

  it('new conversations run the restored version', async () => {
    const w = await newWorkspace(t);
    const { key } = await newKey(t, w);
    const a = await create({ name: uniqueName(), instructions: 'old' }, w);
    await patch(a.id, { instructions: 'new' }, w);
    expect((await call('POST', restoreUrl(a.id, 1, w))).statusCode).toBe(200);
    const session = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${a.id}/sessions`,
      headers: { 'x-api-key': key },
      payload: {},
    });
    expect(session.statusCode, session.body).toBe(200);
    const sessionId = session.json<{ id: string }>().id;
    const sent = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${sessionId}/messages`,
      headers: { 'x-api-key': key },
      payload: { content: 'hi' },
    });
    expect(sent.statusCode, sent.body).toBe(200);
    const rows = await t.db.db.select().from(messages).where(eq(messages.conversationId, sessionId));
    expect(rows.find((r) => r.role === 'assistant')!.agentVersion).toBe(3);
  });

  it('publishes nothing when the live version already holds those settings', async () => {
    const a = await create({ name: uniqueName(), instructions: 'same' });
    await patch(a.id, { instructions: 'other' });
    await patch(a.id, { instructions: 'same' }); // v3 = v1's settings
    const res = await call('POST', restoreUrl(a.id, 1));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Agent>().published_version).toBe(3);
    expect(await versions(a.id)).toHaveLength(3);
    expect((await call('POST', restoreUrl(a.id, 3))).json<Agent>().published_version).toBe(3);
    expect(await versions(a.id)).toHaveLength(3);
  });

  it('unknown or malformed versions and agents → 404, wrong keys → 401/403; nothing changes', async () => {
    const a = await create({ name: uniqueName(), instructions: 'keep' });
    const b = await create({ name: uniqueName(), instructions: 'other agent' });
    await patch(a.id, { instructions: 'keep 2' });
    const before = await getAgent(a.id);
    expect(expectError(await call('POST', restoreUrl(a.id, 9)), 404, 'not_found').error.context).toEqual({
      resource: 'version',
      id: '9',
    });
    expectError(await call('POST', restoreUrl(a.id, 0)), 404, 'not_found'); // malformed path ids are 404s
    expectError(await call('POST', restoreUrl(a.id, 'x')), 404, 'not_found');
    expectError(await call('POST', restoreUrl(a.id, 3_000_000_000)), 404, 'not_found'); // past int32
    expectError(await call('POST', restoreUrl(MISSING_ID, 1)), 404, 'not_found');
    const other = await newWorkspace(t);
    expectError(await call('POST', restoreUrl(a.id, 1, other)), 404, 'not_found');
    const limited = (await newKey(t, ws, { type: 'secret', name: 'l', scopes: ['admin'], agent_ids: [b.id] }))
      .key;
    expectError(
      await call('POST', restoreUrl(a.id, 1), undefined, bearer(limited)),
      403,
      'agent_not_allowed',
    );
    const run = (await newKey(t, ws)).key;
    expectError(await call('POST', restoreUrl(a.id, 1), undefined, bearer(run)), 403, 'insufficient_scope');
    expectError(await call('POST', restoreUrl(a.id, 1), undefined, {}), 401, 'missing_api_key');
    expect(await getAgent(a.id)).toEqual(before);
    expect(await versions(a.id)).toHaveLength(2);
  });
});

describe('DELETE /v1/admin/workspaces/{ws}/agents/{id}', () => {
  it('soft-deletes: 204, then 404 on every route and for sessions', async () => {
    const w = await newWorkspace(t);
    const { key } = await newKey(t, w);
    const a = await create({ name: uniqueName(), instructions: 'x' }, w);
    const res = await call('DELETE', `${agentsUrl(w)}/${a.id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expectError(await call('GET', `${agentsUrl(w)}/${a.id}`), 404, 'not_found');
    expectError(await patch(a.id, { name: 'x' }, w), 404, 'not_found');
    expectError(await call('DELETE', `${agentsUrl(w)}/${a.id}`), 404, 'not_found');
    expect(await listIds(w)).toEqual([]);
    const session = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${a.id}/sessions`,
      headers: { 'x-api-key': key },
      payload: {},
    });
    expect(expectError(session, 404, 'not_found').error.context).toEqual({ resource: 'agent', id: a.id });
  });

  it('unknown, malformed and foreign ids → 404; run keys → 403; the agent survives', async () => {
    expectError(await call('DELETE', `${agentsUrl(ws)}/${MISSING_ID}`), 404, 'not_found');
    expectError(await call('DELETE', `${agentsUrl(ws)}/zz`), 404, 'not_found');
    const other = await newWorkspace(t);
    const foreign = await newAgent(t, other);
    expectError(await call('DELETE', `${agentsUrl(ws)}/${foreign}`), 404, 'not_found');
    const run = (await newKey(t, other)).key;
    expectError(
      await call('DELETE', `${agentsUrl(other)}/${foreign}`, undefined, bearer(run)),
      403,
      'insufficient_scope',
    );
    expect((await getAgent(foreign, other)).id).toBe(foreign);
  });
});

describe('agent status and runnability', () => {
  async function createSession(key: string, agentId: string) {
    return t.app.inject({
      method: 'POST',
      url: `/v1/agents/${agentId}/sessions`,
      headers: { 'x-api-key': key },
      payload: {},
    });
  }

  it('inactive, archived and draft agents answer 409 agent_unavailable; active again works', async () => {
    const w = await newWorkspace(t);
    const { key } = await newKey(t, w);
    const a = await create({ name: uniqueName(), instructions: 'x' }, w);
    expect((await createSession(key, a.id)).statusCode).toBe(200);

    for (const status of ['inactive', 'archived', 'draft'] as const) {
      const cur = (await patch(a.id, { status }, w)).json<Agent>();
      expect(cur.status).toBe(status);
      expect(cur.published_version).toBe(1);
      const err = expectError(await createSession(key, a.id), 409, 'agent_unavailable');
      expect(err.error.context).toEqual({ agent_id: a.id, status });
      const run = await t.app.inject({
        method: 'POST',
        url: `/v1/agents/${a.id}/run`,
        headers: { 'x-api-key': key },
        payload: { messages: [{ content: 'hi' }], persist: false },
      });
      expectError(run, 409, 'agent_unavailable');
    }
    await patch(a.id, { status: 'active' }, w);
    expect((await createSession(key, a.id)).statusCode).toBe(200);
  });

  function sendTo(key: string, sessionId: string) {
    return t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${sessionId}/messages`,
      headers: { 'x-api-key': key },
      payload: { content: 'hi' },
    });
  }

  it('an existing session of an agent made inactive refuses messages with 409, and accepts them again', async () => {
    const w = await newWorkspace(t);
    const { key } = await newKey(t, w);
    const a = await create({ name: uniqueName(), instructions: 'x' }, w);
    const session = (await createSession(key, a.id)).json<{ id: string }>().id;
    await patch(a.id, { status: 'inactive' }, w);
    const err = expectError(await sendTo(key, session), 409, 'agent_unavailable');
    expect(err.error.context).toEqual({ agent_id: a.id, status: 'inactive' });
    await patch(a.id, { status: 'active' }, w);
    expect((await sendTo(key, session)).statusCode).toBe(200);
  });

  it('an existing session of a deleted agent refuses messages with 409 agent_unavailable', async () => {
    const w = await newWorkspace(t);
    const { key } = await newKey(t, w);
    const a = await create({ name: uniqueName(), instructions: 'x' }, w);
    const session = (await createSession(key, a.id)).json<{ id: string }>().id;
    expect((await call('DELETE', `${agentsUrl(w)}/${a.id}`)).statusCode).toBe(204);
    const err = expectError(await sendTo(key, session), 409, 'agent_unavailable');
    expect(err.error.context).toEqual({ agent_id: a.id, status: 'deleted' });
  });

  it('an agent created inactive is not runnable', async () => {
    const w = await newWorkspace(t);
    const { key } = await newKey(t, w);
    const a = await create({ name: uniqueName(), instructions: 'x', status: 'inactive' }, w);
    expect(a.status).toBe('inactive');
    expectError(await createSession(key, a.id), 409, 'agent_unavailable');
  });

  it('sessions run the latest published version', async () => {
    const w = await newWorkspace(t);
    const { key } = await newKey(t, w);
    const a = await create({ name: uniqueName(), instructions: 'first' }, w);
    await patch(a.id, { instructions: 'second' }, w);
    const session = (await createSession(key, a.id)).json<{ id: string }>().id;
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${session}/messages`,
      headers: { 'x-api-key': key },
      payload: { content: 'hi' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const rows = await t.db.db.select().from(messages).where(eq(messages.conversationId, session));
    expect(rows.find((r) => r.role === 'assistant')!.agentVersion).toBe(2);
  });
});
