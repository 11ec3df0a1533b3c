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
import { bearer, expectError, ISO_MS, MISSING_ID, type Headers } from '../../../test/http.js';
import type { Message } from '../messages/messages.mapper.js';
import { and, eq, isNull } from 'drizzle-orm';
import { conversations } from '../../platform/db/schema/index.js';
import {
  searchConversations,
  type ConversationDetail,
  type ConversationSummary,
} from './conversations.service.js';

const SUMMARY_FIELDS = [
  'agent_id',
  'channel',
  'close_reason',
  'closed_at',
  'created_at',
  'expires_at',
  'external_user_id',
  'id',
  'is_test',
  'kind',
  'last_message_at',
  'messages_count',
  'metadata',
  'status',
  'title',
  'updated_at',
  'user',
];

type Page = { items: ConversationSummary[]; next_offset: number | null };

let t: TestApp;
/** One world shared by the list tests: two agents, a few sessions in known states. */
let w: World;
let agentB: string;
let s: { plain: string; banana: string; closed: string; tagged: string; withUser: string; onB: string };
let userId: string;

beforeAll(async () => {
  t = await createTestApp();
  w = await newWorld(t);
  agentB = await newAgent(t, w.workspaceId, { name: 'Agent B' });
  const user = await t.app.inject({
    method: 'POST',
    url: '/v1/agents/users',
    headers: { 'x-api-key': w.key },
    payload: { reference: 'crm-77', name: 'Zed' },
  });
  userId = user.json<{ id: string }>().id;
  const plain = await newSession(t, w);
  const banana = await newSession(t, w);
  await send(banana, 'I would like a Banana split');
  const closed = await newSession(t, w);
  const term = await t.app.inject({
    method: 'POST',
    url: `/v1/agents/sessions/${closed}/terminate`,
    headers: { 'x-api-key': w.key },
    payload: { reason: 'done' },
  });
  expect(term.statusCode, term.body).toBe(200);
  const tagged = await newSession(t, w, { metadata: { crm: 'deal-9', tier: 2, flag: true } });
  const withUser = await newSession(t, w, { user: { id: userId } });
  const onB = await newSession(t, { ...w, agentId: agentB }, { metadata: { crm: 'deal-9' } });
  s = { plain, banana, closed, tagged, withUser, onB };
});
afterAll(async () => {
  await t?.close();
});

async function send(sessionId: string, content: string, role: 'user' | 'assistant' = 'user', world = w) {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/agents/sessions/${sessionId}/messages`,
    headers: { 'x-api-key': world.key },
    payload: { content, role },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ user_message: Message | null; agent_message: Message }>();
}

function list(query = '', ws = w.workspaceId, headers: Headers = operatorHeaders) {
  return t.app.inject({
    method: 'GET',
    url: `/v1/admin/workspaces/${ws}/conversations${query ? `?${query}` : ''}`,
    headers,
  });
}

async function ids(query = '', ws = w.workspaceId): Promise<string[]> {
  const res = await list(query, ws);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Page>().items.map((c) => c.id);
}

function detail(id: string, ws = w.workspaceId, headers: Headers = operatorHeaders) {
  return t.app.inject({ method: 'GET', url: `/v1/admin/workspaces/${ws}/conversations/${id}`, headers });
}

describe('GET /v1/admin/workspaces/{ws}/conversations', () => {
  it('lists every conversation newest first with the summary shape', async () => {
    const res = await list();
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json<Page>();
    expect(page.next_offset).toBeNull();
    expect(page.items.map((c) => c.id)).toEqual([s.onB, s.withUser, s.tagged, s.closed, s.banana, s.plain]);
    for (const c of page.items) expect(Object.keys(c).sort()).toEqual(SUMMARY_FIELDS);

    const banana = page.items.find((c) => c.id === s.banana)!;
    expect(banana).toMatchObject({
      kind: 'session',
      agent_id: w.agentId,
      status: 'active',
      channel: 'api',
      user: null,
      external_user_id: null,
      title: 'I would like a Banana split',
      is_test: false,
      messages_count: 2,
      closed_at: null,
      close_reason: null,
      metadata: {},
    });
    expect(banana.last_message_at).toMatch(ISO_MS);
    expect(banana.expires_at).toMatch(ISO_MS);

    expect(page.items.find((c) => c.id === s.plain)).toMatchObject({
      title: '',
      messages_count: 0,
      last_message_at: null,
    });
    expect(page.items.find((c) => c.id === s.closed)).toMatchObject({
      status: 'closed',
      close_reason: 'done',
    });
    expect(page.items.find((c) => c.id === s.closed)!.closed_at).toMatch(ISO_MS);
    expect(page.items.find((c) => c.id === s.withUser)).toMatchObject({
      user: { id: userId, reference: 'crm-77' },
      external_user_id: 'crm-77',
    });
    expect(page.items.find((c) => c.id === s.tagged)!.metadata).toEqual({
      crm: 'deal-9',
      tier: 2,
      flag: true,
    });
  });

  it('pages with limit/offset and next_offset', async () => {
    const all = await ids();
    const walked: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const page: Page = (await list(`limit=1&offset=${offset}`)).json<Page>();
      walked.push(...page.items.map((c) => c.id));
      offset = page.next_offset;
    }
    expect(walked).toEqual(all);
    expect((await list('limit=4')).json<Page>().next_offset).toBe(4);
    expect((await list('limit=4&offset=4')).json<Page>()).toMatchObject({ next_offset: null });
  });

  it('filters by agent_id, status and user_id', async () => {
    expect(await ids(`agent_id=${agentB}`)).toEqual([s.onB]);
    expect(await ids(`agent_id=${MISSING_ID}`)).toEqual([]);
    expect(await ids('status=closed')).toEqual([s.closed]);
    expect(await ids('status=active')).toEqual([s.onB, s.withUser, s.tagged, s.banana, s.plain]);
    expect(await ids('status=expired')).toEqual([]);
    expect(await ids(`user_id=${userId}`)).toEqual([s.withUser]);
    expect(await ids(`agent_id=${w.agentId}&status=closed`)).toEqual([s.closed]);
  });

  it('filters by metadata.<key>=<value> (exact, values compared as text)', async () => {
    expect(await ids('metadata.crm=deal-9')).toEqual([s.onB, s.tagged]);
    expect(await ids(`metadata.crm=deal-9&agent_id=${w.agentId}`)).toEqual([s.tagged]);
    expect(await ids('metadata.crm=deal-9&metadata.tier=2')).toEqual([s.tagged]);
    expect(await ids('metadata.flag=true')).toEqual([s.tagged]);
    expect(await ids('metadata.crm=deal')).toEqual([]);
    expect(await ids('metadata.missing=x')).toEqual([]);
  });

  it('is_test=false hides test conversations, true lists only them (Papo extension); A6 marks them', async () => {
    const world = await newWorld(t);
    const real = await newSession(t, world);
    const test = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${world.agentId}/sessions`,
      headers: { 'x-api-key': world.key },
      payload: { is_test: true, metadata: { from: 'playground' } },
    });
    expect(test.statusCode, test.body).toBe(200);
    const session = test.json<{ id: string }>();
    // the Session shape stays quintus.md's; the flag shows in the management API
    expect(test.json()).not.toHaveProperty('is_test');
    const summaries = (await list('', world.workspaceId)).json<Page>().items;
    expect(summaries.map((c) => [c.id, c.is_test])).toEqual([
      [session.id, true],
      [real, false],
    ]);

    expect(await ids('', world.workspaceId)).toEqual([session.id, real]);
    expect(await ids('is_test=false', world.workspaceId)).toEqual([real]);
    expect(await ids('is_test=true', world.workspaceId)).toEqual([session.id]);
    expect(await ids(`is_test=true&search=${session.id}`, world.workspaceId)).toEqual([session.id]);
    expect(await ids(`is_test=false&search=${session.id}`, world.workspaceId)).toEqual([]);
    const bad = expectError(await list('is_test=maybe', world.workspaceId), 422, 'validation_error');
    expect(bad.error.context['issues']).toEqual([
      expect.objectContaining({ location: 'query', path: 'is_test' }),
    ]);
    // a non-boolean is_test on A6 changes nothing
    const badCreate = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${world.agentId}/sessions`,
      headers: { 'x-api-key': world.key },
      payload: { is_test: 'yes please' },
    });
    expectError(badCreate, 422, 'validation_error');
    expect(await ids('', world.workspaceId)).toEqual([session.id, real]);
  });

  it('searches message text, ids and the bound user, case-insensitively', async () => {
    expect(await ids('search=banana')).toEqual([s.banana]);
    expect(await ids('search=BANANA%20SPLIT')).toEqual([s.banana]);
    expect(await ids(`search=${s.plain}`)).toEqual([s.plain]);
    expect(await ids(`search=${userId}`)).toEqual([s.withUser]);
    expect(await ids('search=crm-77')).toEqual([s.withUser]);
    expect(await ids('search=nothing-matches-this')).toEqual([]);
    // JSON structure (keys, block types) is not searchable text
    expect(await ids('search=text')).toEqual([]);
    expect(await ids('search=type')).toEqual([]);
    // LIKE wildcards are literal
    expect(await ids('search=%25')).toEqual([]);
    expect(await ids('search=_')).toEqual([]);
  });

  it('search answers the same pages whether it probes the newest conversations or uses the indexes', async () => {
    const ws = await newWorld(t);
    const user = await t.app.inject({
      method: 'POST',
      url: '/v1/agents/users',
      headers: { 'x-api-key': ws.key },
      payload: { reference: 'Kiwi-Farm' },
    });
    expect(user.statusCode, user.body).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const sid = await newSession(t, ws, i === 5 ? { user: { reference: 'Kiwi-Farm' } } : {});
      if (i % 2 === 0) await send(sid, `order ${i}: kiwi smoothie`, 'user', ws);
      else await send(sid, `order ${i}: mango`, 'user', ws);
      ids.unshift(sid); // newest first
    }
    const expected = ids.filter((_, n) => [0, 2, 4, 5, 6].includes(6 - n)); // kiwi in text or user reference
    const filters = and(eq(conversations.workspaceId, ws.workspaceId), isNull(conversations.deletedAt))!;
    for (const probe of [1, 2, 3, 500]) {
      for (const limit of [1, 2, 5]) {
        const walked: string[] = [];
        for (let offset = 0; offset < 8; offset += limit) {
          const rows = await searchConversations(
            t.db.db,
            ws.workspaceId,
            filters,
            'KIWI',
            { limit, offset },
            probe,
          );
          walked.push(...rows.slice(0, limit).map((r) => r.id));
        }
        expect(walked, `probe ${probe}, limit ${limit}`).toEqual(expected);
      }
    }
    // an id matches exactly on both plans
    for (const probe of [1, 500]) {
      const rows = await searchConversations(
        t.db.db,
        ws.workspaceId,
        filters,
        ids[3]!,
        { limit: 5, offset: 0 },
        probe,
      );
      expect(rows.map((r) => r.id)).toEqual([ids[3]]);
    }
  });

  it('searches assistant replies too', async () => {
    const ws = await newWorld(t);
    const sid = await newSession(t, ws);
    const { agent_message } = await send(sid, 'stored reply: xylophone quartet', 'assistant', ws);
    expect(agent_message.role).toBe('assistant');
    expect(await ids('search=xylophone', ws.workspaceId)).toEqual([sid]);
  });

  it('filters by created_after (inclusive) / created_before (exclusive)', async () => {
    const ws = await newWorld(t);
    const first = await newSession(t, ws);
    t.clock.advance(60_000);
    const second = await newSession(t, ws);
    const created = (await list('', ws.workspaceId)).json<Page>().items;
    const secondAt = created.find((c) => c.id === second)!.created_at;
    expect(await ids(`created_after=${secondAt}`, ws.workspaceId)).toEqual([second]);
    expect(await ids(`created_before=${secondAt}`, ws.workspaceId)).toEqual([first]);
    expect(await ids(`created_after=${secondAt}&created_before=${secondAt}`, ws.workspaceId)).toEqual([]);
  });

  it('shows expired conversations as expired, before and after the sweeper', async () => {
    const ws = await newWorld(t, { idle_ttl_seconds: 300 });
    const sid = await newSession(t, ws);
    t.clock.advance(301_000);
    expect(await ids('status=expired', ws.workspaceId)).toEqual([sid]);
    expect(await ids('status=active', ws.workspaceId)).toEqual([]);
    expect((await list('', ws.workspaceId)).json<Page>().items[0]!.status).toBe('expired');
  });

  it('invalid query values → 422 with the query path', async () => {
    for (const [q, path] of [
      ['agent_id=nope', 'agent_id'],
      ['user_id=nope', 'user_id'],
      ['status=open', 'status'],
      ['created_after=today', 'created_after'],
      ['created_before=2026-02-30T00:00:00Z', 'created_before'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['offset=-1', 'offset'],
      ['search=', 'search'],
    ] as const) {
      const err = expectError(await list(q), 422, 'validation_error');
      for (const i of err.error.context['issues'] as Array<{ location: string; path: string }>) {
        expect(i).toMatchObject({ location: 'query', path });
      }
    }
  });

  it('is scoped to the workspace; admin keys reach only their own; run keys are refused', async () => {
    const other = await newWorld(t);
    await newSession(t, other);
    expect(await ids('', other.workspaceId)).toHaveLength(1);
    expect(await ids(`agent_id=${other.agentId}`)).toEqual([]);

    const admin = (await newKey(t, w.workspaceId, { type: 'secret', name: 'a', scopes: ['admin'] })).key;
    const own = await list('', w.workspaceId, bearer(admin));
    expect(own.statusCode).toBe(200);
    expect(own.json<Page>().items).toHaveLength(6);
    const foreign = expectError(await list('', other.workspaceId, bearer(admin)), 404, 'not_found');
    const missing = expectError(await list('', MISSING_ID, bearer(admin)), 404, 'not_found');
    expect(Object.keys(foreign.error.context)).toEqual(Object.keys(missing.error.context));
    expectError(await list('', w.workspaceId, bearer(w.key)), 403, 'insufficient_scope');
    expectError(await list('', w.workspaceId, {}), 401, 'missing_api_key');
  });

  it('an admin key limited to one agent sees only its conversations; naming another agent → 403', async () => {
    const limited = (
      await newKey(t, w.workspaceId, { type: 'secret', name: 'lim', scopes: ['admin'], agent_ids: [agentB] })
    ).key;
    const res = await list('', w.workspaceId, bearer(limited));
    expect(res.json<Page>().items.map((c) => c.id)).toEqual([s.onB]);
    const err = expectError(
      await list(`agent_id=${w.agentId}`, w.workspaceId, bearer(limited)),
      403,
      'agent_not_allowed',
    );
    expect(err.error.context).toEqual({ agent_id: w.agentId });
    expect(
      (await list(`agent_id=${agentB}`, w.workspaceId, bearer(limited))).json<Page>().items,
    ).toHaveLength(1);
  });
});

describe('GET /v1/admin/workspaces/{ws}/conversations/{id}', () => {
  it('returns the conversation with every message and usage totals', async () => {
    const ws = await newWorld(t);
    const sid = await newSession(t, ws, { context: { page: '/pricing' }, metadata: { crm: 'x' } });
    const r1 = await send(sid, 'hi', 'user', ws);
    const r2 = await send(sid, 'second question please', 'user', ws);
    const r3 = await send(sid, 'a manual assistant turn', 'assistant', ws);
    const run = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${ws.agentId}/run`,
      headers: { 'x-api-key': ws.key },
      payload: { messages: [{ content: 'not stored' }], persist: false },
    });
    expect(run.statusCode).toBe(200);

    const res = await detail(sid, ws.workspaceId);
    expect(res.statusCode, res.body).toBe(200);
    const d = res.json<ConversationDetail>();
    expect(Object.keys(d).sort()).toEqual(
      [...SUMMARY_FIELDS, 'context', 'user_data', 'messages', 'feedback', 'files', 'usage'].sort(),
    );
    expect(d).toMatchObject({
      id: sid,
      kind: 'session',
      agent_id: ws.agentId,
      status: 'active',
      context: { page: '/pricing' },
      metadata: { crm: 'x' },
      user_data: {},
      messages_count: 5,
      title: 'hi',
      feedback: null,
      files: [],
    });
    const expected = [
      r1.user_message!,
      r1.agent_message,
      r2.user_message!,
      r2.agent_message,
      r3.agent_message,
    ];
    expect(d.messages.map((m) => m.id)).toEqual(expected.map((m) => m.id));
    expect(d.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'assistant']);
    expect(d.messages[1]).toEqual(r1.agent_message);
    expect(d.messages[4]!.usage).toBeNull();

    const generated = [r1.agent_message, r2.agent_message];
    expect(d.usage).toEqual({
      input_tokens: generated.reduce((n, m) => n + m.usage!.input_tokens, 0),
      output_tokens: generated.reduce((n, m) => n + m.usage!.output_tokens, 0),
      cached_tokens: generated.reduce((n, m) => n + m.usage!.cached_tokens, 0),
      cost_usd: 0,
    });
    expect(d.usage.input_tokens).toBeGreaterThan(0);

    // the listed summary is the detail's summary part
    const summary = (await list('', ws.workspaceId)).json<Page>().items[0]!;
    expect(summary.id).toBe(sid);
    for (const k of SUMMARY_FIELDS)
      expect(d[k as keyof ConversationDetail]).toEqual(summary[k as keyof ConversationSummary]);
  });

  it('unknown, malformed and foreign ids → identical 404s', async () => {
    const other = await newWorld(t);
    const foreignSession = await newSession(t, other);
    const missing = expectError(await detail(MISSING_ID), 404, 'not_found');
    expect(missing.error.context).toEqual({ resource: 'conversation', id: MISSING_ID });
    const malformed = expectError(await detail('xyz'), 404, 'not_found');
    expect(malformed.error.context).toEqual({ resource: 'conversation', id: 'xyz' });
    const foreign = expectError(await detail(foreignSession), 404, 'not_found');
    expect(foreign.error.context).toEqual({ resource: 'conversation', id: foreignSession });
    expect(foreign.error.message).toBe(missing.error.message.replace(MISSING_ID, foreignSession));
    // an admin key naming the other workspace
    const admin = (await newKey(t, w.workspaceId, { type: 'secret', name: 'a', scopes: ['admin'] })).key;
    expectError(await detail(foreignSession, other.workspaceId, bearer(admin)), 404, 'not_found');
    expect((await detail(foreignSession, other.workspaceId)).statusCode).toBe(200);
  });

  it('security: run keys 403, no credential 401, limited admin keys 403 for other agents', async () => {
    expectError(await detail(s.banana, w.workspaceId, bearer(w.key)), 403, 'insufficient_scope');
    expectError(await detail(s.banana, w.workspaceId, {}), 401, 'missing_api_key');
    const limited = (
      await newKey(t, w.workspaceId, { type: 'secret', name: 'lim', scopes: ['admin'], agent_ids: [agentB] })
    ).key;
    expect((await detail(s.onB, w.workspaceId, bearer(limited))).statusCode).toBe(200);
    const err = expectError(await detail(s.banana, w.workspaceId, bearer(limited)), 403, 'agent_not_allowed');
    expect(err.error.context).toEqual({ agent_id: w.agentId });
  });
});

describe('admin conversation views after workspace changes', () => {
  it('a deleted workspace has no conversations to show', async () => {
    const ws = await newWorkspace(t);
    const agentId = await newAgent(t, ws);
    const { key } = await newKey(t, ws);
    const sid = await newSession(t, { workspaceId: ws, agentId, key });
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/v1/admin/workspaces/${ws}`, headers: operatorHeaders }))
        .statusCode,
    ).toBe(204);
    expectError(await list('', ws), 404, 'not_found');
    expectError(await detail(sid, ws), 404, 'not_found');
  });
});
