import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversations, messages as messagesTable } from '../../../src/platform/db/schema/index.js';
import { isUuidV7 } from '../../../src/platform/ids.js';
import { PNG } from '../../fixtures.js';
import { operatorHeaders } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { startHttpsServer, type TestHttpsServer } from '../../https-server.js';
import { mockRegistry } from '../../mock-model.js';
import { expectRdError, ISO_MS, leadModel, patchAgent, rd, rdAgent, rdWorld, type RdWorld } from './rd.js';

/** rdstation.md §4: R1 send message (and its R1′ alias), R2 feedback. */

let t: TestApp;
let w: RdWorld;
let site: TestHttpsServer;
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const mocks = mockRegistry();
const lead = leadModel();

beforeAll(async () => {
  site = await startHttpsServer({
    '/docs/terms.pdf': (res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(PDF);
    },
  });
  t = await createTestApp({
    providers: { mock: (id) => (id === 'lead' ? lead.model : mocks.provider(id)) },
    // the test site is on 127.0.0.1 with its own CA
    env: { PAPO_FETCH_ALLOW_PRIVATE_NETWORKS: 'true', PAPO_FETCH_CA_FILE: site.caFile },
  });
  w = await rdWorld(t);
});
afterAll(async () => {
  await t.close();
  await site.close();
});

const send = (agentId: string, body: unknown, key = w.key) => rd(t, 'POST', `/api/${agentId}`, key, body);

function expectMessageShape(m: Record<string, unknown>) {
  expect(Object.keys(m).sort()).toEqual(
    [
      'attachments',
      'content',
      'conversationId',
      'createdAt',
      'feedback',
      'id',
      'metadata',
      'name',
      'role',
      'toolCallId',
      'toolCalls',
      'updatedAt',
      'usage',
    ].sort(),
  );
  expect(isUuidV7(m['id'] as string)).toBe(true);
  expect(m['createdAt']).toMatch(ISO_MS);
  expect(m['updatedAt']).toMatch(ISO_MS);
  expect(m['toolCallId']).toBeNull();
  expect(m['toolCalls']).toBeNull();
  expect(Array.isArray(m['attachments'])).toBe(true);
}

async function rowsOf(conversationId: string) {
  return t.db.db.select().from(messagesTable).where(eq(messagesTable.conversationId, conversationId));
}

describe('R1 send message', () => {
  it('opens a conversation, stores the message and returns the reply with usage (cached tokens)', async () => {
    const agentId = await rdAgent(t, w);
    await patchAgent(t, w, agentId, { model: 'mock:lead' });
    const res = await send(agentId, {
      message: { role: 'user', content: 'Oi, tudo bem?', name: 'Maria', metadata: { page: '/pricing' } },
      platformUserIdentifier: 'crm-42',
      utm: {
        source: 'google',
        medium: 'cpc',
        campaign: 'spring',
        content: 'ad1',
        term: 'papo',
        extra: 'ignored',
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-request-id']).toBeDefined();
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['id', 'lead', 'messages', 'status']);
    expect(isUuidV7(body.id)).toBe(true);
    expect(body.status).toBe('active');
    expect(body.lead).toBeNull();
    expect(body.messages).toHaveLength(2);
    for (const m of body.messages) expectMessageShape(m);
    const [user, reply] = body.messages;
    expect(user).toMatchObject({
      conversationId: body.id,
      role: 'user',
      content: 'Oi, tudo bem?',
      name: 'Maria',
      metadata: { page: '/pricing' },
      usage: null,
      feedback: null,
      attachments: [],
    });
    expect(reply).toMatchObject({
      conversationId: body.id,
      role: 'assistant',
      content: 'Hello **there**',
      name: null,
      usage: { promptTokens: 12, completionTokens: 3, cachedTokens: 4 },
      feedback: null,
      metadata: {},
    });
    const [conv] = await t.db.db.select().from(conversations).where(eq(conversations.id, body.id));
    expect(conv).toMatchObject({
      externalUserId: 'crm-42',
      isTest: false,
      channel: 'api',
      title: 'Oi, tudo bem?',
      utm: { source: 'google', medium: 'cpc', campaign: 'spring', content: 'ad1', term: 'papo' },
    });
  });

  it('continues a conversation (id), renders the reply in `format`, keeps the stored Markdown', async () => {
    const agentId = await rdAgent(t, w);
    await patchAgent(t, w, agentId, { model: 'mock:lead' });
    const first = (await send(agentId, { message: { content: 'one' } })).json();
    for (const [format, text] of [
      ['plain', 'Hello there'],
      ['whatsapp', 'Hello *there*'],
      ['slack', 'Hello *there*'],
      ['markdown', 'Hello **there**'],
    ] as const) {
      const res = await send(agentId, { id: first.id, format, message: { content: `in ${format}` } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().id).toBe(first.id);
      expect(res.json().messages.at(-1).content).toBe(text);
    }
    const stored = await rowsOf(first.id);
    expect(
      stored
        .filter((r) => r.role === 'assistant')
        .every((r) => JSON.stringify(r.content).includes('**there**')),
    ).toBe(true);
    // the alias path R1′
    const alias = await rd(t, 'POST', `/rest/api/${agentId}`, w.key, {
      id: first.id,
      message: { content: 'alias' },
    });
    expect(alias.statusCode, alias.body).toBe(200);
    expect(alias.json().id).toBe(first.id);
  });

  it('the agent output_format is the default format', async () => {
    const agentId = await rdAgent(t, w);
    await patchAgent(t, w, agentId, { model: 'mock:lead', output_format: 'plain' });
    const res = await send(agentId, { message: { content: 'x' } });
    expect(res.json().messages.at(-1).content).toBe('Hello there');
  });

  it('messages[] then message, in order; system messages join the model context; no reply unless last is user', async () => {
    const model = mocks.register('sys');
    const agentId = await rdAgent(t, w);
    await patchAgent(t, w, agentId, { model });
    const res = await send(agentId, {
      messages: [
        { role: 'system', content: 'Always answer in Portuguese.' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'an earlier answer' },
      ],
      message: { content: 'second' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['system', 'Always answer in Portuguese.'],
      ['user', 'first'],
      ['assistant', 'an earlier answer'],
      ['user', 'second'],
      ['assistant', 'Hello from the mock.'],
    ]);
    const call = mocks.calls.get('sys')!.at(-1)!;
    const system = call.prompt.find((p) => p.role === 'system');
    expect(JSON.stringify(system)).toContain('Always answer in Portuguese.');
    // the system message is internal: not in native listings, and not counted as visible
    const native = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${body.id}/messages`,
      headers: { 'x-api-key': w.key },
    });
    expect(native.json().items.map((m: { role: string }) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
    ]);

    const calls = mocks.calls.get('sys')!.length;
    const noReply = await send(agentId, {
      id: body.id,
      messages: [{ role: 'assistant', content: 'operator note' }],
    });
    expect(noReply.statusCode, noReply.body).toBe(200);
    expect(noReply.json().messages.map((m: { role: string }) => m.role)).toEqual(['assistant']);
    expect(mocks.calls.get('sys')!.length).toBe(calls);
  });

  it('leadId links an existing lead; unknown → 400 and nothing is created', async () => {
    const agentId = await rdAgent(t, w);
    const created = (
      await rd(t, 'POST', '/rest/leads', w.key, { name: 'Ana', email: 'ana@example.com' })
    ).json();
    const res = await send(agentId, { leadId: created.id, message: { content: 'hi' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().lead).toMatchObject({ id: created.id, name: 'Ana', capture: 'completed' });
    const before = await t.db.db.select().from(conversations);
    const bad = await send(agentId, {
      leadId: '01900000-0000-7000-8000-000000000000',
      message: { content: 'hi' },
    });
    expectRdError(bad, 400, 'BAD_REQUEST');
    expect(await t.db.db.select().from(conversations)).toHaveLength(before.length);
  });

  it('on an existing conversation: leadId replaces the link, platformUserIdentifier is set only once', async () => {
    const agentId = await rdAgent(t, w);
    const l1 = (await rd(t, 'POST', '/rest/leads', w.key, { name: 'One' })).json();
    const l2 = (await rd(t, 'POST', '/rest/leads', w.key, { name: 'Two' })).json();
    const c = (await send(agentId, { leadId: l1.id, message: { content: 'a' } })).json();
    expect(c.lead.id).toBe(l1.id);
    const r2 = (
      await send(agentId, {
        id: c.id,
        leadId: l2.id,
        platformUserIdentifier: 'later',
        message: { content: 'b' },
      })
    ).json();
    expect(r2.lead).toMatchObject({ id: l2.id, name: 'Two' });
    await send(agentId, { id: c.id, platformUserIdentifier: 'other', message: { content: 'c' } });
    const item = (await rd(t, 'GET', `/rest/conversations/list/${agentId}`, w.key)).json().data[0];
    expect(item).toMatchObject({ id: c.id, leadId: l2.id, platformUserIdentifier: 'later' });
  });

  it('bad input → 400 and changes nothing', async () => {
    const agentId = await rdAgent(t, w);
    const before = (await t.db.db.select().from(conversations)).length;
    for (const body of [
      {},
      { messages: [] },
      { message: { role: 'tool', content: 'x' } },
      { message: { content: 'x'.repeat(32_001) } },
      { message: { content: null } },
      { message: { content: '' } },
      { message: { content: 'x' }, format: 'html' },
      { message: { content: 'x' }, messages: Array.from({ length: 51 }, () => ({ content: 'y' })) },
      { message: { content: 'x', attachments: [{ url: 'http://example.com/a.png' }] } },
      { message: { content: 'x' }, platformUserIdentifier: 'x'.repeat(256) },
      { message: { content: 'x' }, utm: { source: 'x'.repeat(256) } },
    ]) {
      expectRdError(await send(agentId, body), 400, 'BAD_REQUEST');
    }
    expect((await t.db.db.select().from(conversations)).length).toBe(before);
  });

  it('404 for a missing agent or conversation, or a conversation of another agent', async () => {
    const agentId = await rdAgent(t, w);
    const other = await rdAgent(t, w);
    expectRdError(
      await send('01900000-0000-7000-8000-000000000000', { message: { content: 'x' } }),
      404,
      'NOT_FOUND',
    );
    expectRdError(await send('nope', { message: { content: 'x' } }), 404, 'NOT_FOUND');
    const c = (await send(agentId, { message: { content: 'x' } })).json();
    expectRdError(await send(other, { id: c.id, message: { content: 'x' } }), 404, 'NOT_FOUND');
    expectRdError(
      await send(agentId, { id: '01900000-0000-7000-8000-000000000000', message: { content: 'x' } }),
      404,
      'NOT_FOUND',
    );
  });

  it('a finished conversation → 409 CONFLICT; status finished', async () => {
    const agentId = await rdAgent(t, w);
    const c = (await send(agentId, { message: { content: 'x' } })).json();
    const end = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${c.id}/terminate`,
      headers: { 'x-api-key': w.key },
      payload: {},
    });
    expect(end.statusCode, end.body).toBe(200);
    expectRdError(await send(agentId, { id: c.id, message: { content: 'again' } }), 409, 'CONFLICT');
    const list = await rd(t, 'GET', `/rest/conversations/list/${agentId}`, w.key);
    expect(list.json().data[0].status).toBe('finished');
  });

  it('an agent that is not runnable → 412 PRECONDITION_FAILED (offline or draft)', async () => {
    const offline = await rdAgent(t, w, { status: 'offline' });
    const draft = await rdAgent(t, w, { status: 'draft' });
    expectRdError(await send(offline, { message: { content: 'x' } }), 412, 'PRECONDITION_FAILED');
    expectRdError(await send(draft, { message: { content: 'x' } }), 412, 'PRECONDITION_FAILED');
  });

  it('preview runs the draft (even of a draft agent), marks the conversation as test, and stays preview', async () => {
    const model = mocks.register('draft');
    const agentId = await rdAgent(t, w, { status: 'draft', description: 'published-or-not' });
    await t.services.agents.editAgentDraft(w.workspaceId, agentId, (a) => ({
      draft: { ...a.draft, instructions: 'DRAFT INSTRUCTIONS', model },
    }));
    const res = await send(agentId, { preview: true, message: { content: 'try it' } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.messages.at(-1).content).toBe('Hello from the mock.');
    expect(JSON.stringify(mocks.calls.get('draft')!.at(-1)!.prompt[0])).toContain('DRAFT INSTRUCTIONS');
    const item = (await rd(t, 'GET', `/rest/conversations/list/${agentId}`, w.key)).json().data[0];
    expect(item).toMatchObject({ id: body.id, preview: true });
    // later sends to it run the draft too, without repeating preview
    const again = await send(agentId, { id: body.id, message: { content: 'again' } });
    expect(again.statusCode, again.body).toBe(200);
    expect(mocks.calls.get('draft')).toHaveLength(2);
    // the management API sees it as a test conversation
    const admin = await t.app.inject({
      method: 'GET',
      url: `/v1/admin/workspaces/${w.workspaceId}/conversations/${body.id}`,
      headers: operatorHeaders,
    });
    expect(admin.json().is_test).toBe(true);
  });

  it('preview without a usable draft model → 412', async () => {
    const agentId = await rdAgent(t, w, { status: 'draft' });
    await t.services.agents.editAgentDraft(w.workspaceId, agentId, (a) => ({
      draft: { ...a.draft, model: 'openai:gpt-4o-mini' },
    }));
    expectRdError(
      await send(agentId, { preview: true, message: { content: 'x' } }),
      412,
      'PRECONDITION_FAILED',
    );
  });

  it('concurrent sends to one conversation run one at a time, in arrival order', async () => {
    const model = mocks.register('slow', { chunks: ['one ', 'two ', 'three'], delayMs: 20 });
    const agentId = await rdAgent(t, w);
    await patchAgent(t, w, agentId, { model });
    const c = (await send(agentId, { message: { content: 'start' } })).json();
    const [a, b] = await Promise.all([
      send(agentId, { id: c.id, message: { content: 'first' } }),
      send(agentId, { id: c.id, message: { content: 'second' } }),
    ]);
    expect(a.statusCode, a.body).toBe(200);
    expect(b.statusCode, b.body).toBe(200);
    const rows = (await rowsOf(c.id)).sort((x, y) => (x.id < y.id ? -1 : 1));
    const text = (r: (typeof rows)[number]) =>
      r.content.map((x) => (x.type === 'text' ? x.text : '')).join('');
    expect(rows.map((r) => `${r.role}:${text(r)}`)).toEqual([
      'user:start',
      'assistant:one two three',
      'user:first',
      'assistant:one two three',
      'user:second',
      'assistant:one two three',
    ]);
  });

  it('a model failure → 502 BAD_GATEWAY, the failed reply is stored', async () => {
    const model = mocks.register('boom', { fail: 'error' });
    const agentId = await rdAgent(t, w);
    await patchAgent(t, w, agentId, { model });
    const res = await send(agentId, { message: { content: 'x' } });
    expectRdError(res, 502, 'BAD_GATEWAY');
    const list = (await rd(t, 'GET', `/rest/conversations/list/${agentId}`, w.key)).json();
    const stored = await rowsOf(list.data[0].id);
    expect(stored.map((r) => [r.role, r.status]).sort()).toEqual([
      ['assistant', 'failed'],
      ['user', 'completed'],
    ]);
  });

  it('attachments: base64 data becomes a file (type from the bytes); bad data is refused', async () => {
    const agentId = await rdAgent(t, w);
    const res = await send(agentId, {
      message: {
        content: 'see image',
        attachments: [{ data: PNG.toString('base64'), name: 'dot.txt', contentType: 'text/plain' }],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const [att] = res.json().messages[0].attachments;
    expect(att).toMatchObject({ name: 'dot.txt', contentType: 'image/png', size: PNG.length, url: null });
    expect(isUuidV7(att.id)).toBe(true);
    const onlyFile = await send(agentId, {
      message: { content: null, attachments: [{ data: Buffer.from('{"a":1}').toString('base64') }] },
    });
    expect(onlyFile.statusCode, onlyFile.body).toBe(200);
    expect(onlyFile.json().messages[0]).toMatchObject({ content: null });
    expect(onlyFile.json().messages[0].attachments[0].contentType).toBe('application/json');
    const byUrl = await send(agentId, {
      message: { content: 'read this', attachments: [{ url: `${site.url}/docs/terms.pdf` }] },
    });
    expect(byUrl.statusCode, byUrl.body).toBe(200);
    expect(byUrl.json().messages[0].attachments[0]).toMatchObject({
      name: 'terms.pdf',
      contentType: 'application/pdf',
      size: PDF.length,
      url: `${site.url}/docs/terms.pdf`,
    });
    expectRdError(
      await send(agentId, { message: { content: 'x', attachments: [{ url: `${site.url}/missing.pdf` }] } }),
      400,
      'BAD_REQUEST',
    );
    expectRdError(
      await send(agentId, {
        message: { content: 'x', attachments: [{ url: `${site.url}/docs/terms.pdf`, data: 'AAAA' }] },
      }),
      400,
      'BAD_REQUEST',
    );
    // the send body may exceed 1 MiB (base64 attachments; 40 MiB limit)
    const big = Buffer.from('a'.repeat(1_500_000)).toString('base64');
    const large = await send(agentId, {
      message: { content: 'big', attachments: [{ data: big, name: 'big.txt' }] },
    });
    expect(large.statusCode, large.body.slice(0, 200)).toBe(200);
    expect(large.json().messages[0].attachments[0]).toMatchObject({
      contentType: 'text/plain',
      size: 1_500_000,
    });
    const binary = Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe]).toString('base64');
    expectRdError(
      await send(agentId, { message: { content: 'x', attachments: [{ data: binary }] } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });
});

describe('cross-surface: an RD conversation is an ordinary Papo conversation', () => {
  it('is visible through the native Agent API and the management API', async () => {
    const agentId = await rdAgent(t, w);
    const c = (
      await send(agentId, { message: { content: 'hello from RD' }, platformUserIdentifier: 'u-1' })
    ).json();
    const session = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${c.id}`,
      headers: { 'x-api-key': w.key },
    });
    expect(session.statusCode, session.body).toBe(200);
    expect(session.json()).toMatchObject({
      id: c.id,
      agent_id: agentId,
      status: 'active',
      messages_count: 2,
    });
    const msgs = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${c.id}/messages`,
      headers: { 'x-api-key': w.key },
    });
    expect(msgs.json().items.map((m: { id: string }) => m.id)).toEqual(
      c.messages.map((m: { id: string }) => m.id),
    );
    const admin = await t.app.inject({
      method: 'GET',
      url: `/v1/admin/workspaces/${w.workspaceId}/conversations/${c.id}`,
      headers: operatorHeaders,
    });
    expect(admin.statusCode, admin.body).toBe(200);
    expect(admin.json()).toMatchObject({
      id: c.id,
      channel: 'api',
      external_user_id: 'u-1',
      is_test: false,
      title: 'hello from RD',
    });
    expect(admin.json().usage.input_tokens).toBeGreaterThan(0);
    // and a native send continues it, seen back through RD
    const nat = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${c.id}/messages`,
      headers: { 'x-api-key': w.key },
      payload: { content: 'native turn' },
    });
    expect(nat.statusCode, nat.body).toBe(200);
    const legacy = (await rd(t, 'GET', `/rest/conversations/${c.id}`, w.key)).json();
    expect(legacy.messages.map((m: { from: string }) => m.from)).toEqual(['lead', 'agent', 'lead', 'agent']);
  });
});

describe('R2 message feedback (no credential)', () => {
  it('sets, changes, clears feedback on an agent message; updatedAt follows; same value is a no-op', async () => {
    const agentId = await rdAgent(t, w);
    await patchAgent(t, w, agentId, { model: 'mock:lead' });
    const c = (await send(agentId, { message: { content: 'x' } })).json();
    const replyId = c.messages[1].id;
    const path = `/rest/${w.workspaceId}/${agentId}/message/feedback`;
    // an Authorization header is ignored, even an invalid one
    const res = await rd(t, 'POST', path, 'garbage', { id: replyId, feedback: 'positive' });
    expect(res.statusCode, res.body).toBe(200);
    const m = res.json();
    expectMessageShape(m);
    expect(m).toMatchObject({
      id: replyId,
      role: 'assistant',
      feedback: 'positive',
      content: 'Hello **there**',
    });
    expect(m.updatedAt >= m.createdAt).toBe(true);
    expect(res.headers['ratelimit-limit']).toBe('60');
    const same = (await rd(t, 'POST', path, undefined, { id: replyId, feedback: 'positive' })).json();
    expect(same.updatedAt).toBe(m.updatedAt);
    const neg = (await rd(t, 'POST', path, undefined, { id: replyId, feedback: 'negative' })).json();
    expect(neg.feedback).toBe('negative');
    const cleared = (await rd(t, 'POST', path, undefined, { id: replyId, feedback: null })).json();
    expect(cleared.feedback).toBeNull();
    const [row] = await t.db.db.select().from(messagesTable).where(eq(messagesTable.id, replyId));
    expect(row!.feedback).toBeNull();
    // the conversation list filter sees feedback
    await rd(t, 'POST', path, undefined, { id: replyId, feedback: 'positive' });
    const withFb = (await rd(t, 'GET', `/rest/conversations/list/${agentId}?feedback=true`, w.key)).json();
    expect(withFb.data.map((d: { id: string }) => d.id)).toEqual([c.id]);
    const without = (await rd(t, 'GET', `/rest/conversations/list/${agentId}?feedback=false`, w.key)).json();
    expect(without.data).toEqual([]);
  });

  it('400 for a user message; 404 for another agent, another workspace, missing ids; bad body 400', async () => {
    const agentId = await rdAgent(t, w);
    const other = await rdAgent(t, w);
    const c = (await send(agentId, { message: { content: 'x' } })).json();
    const [userMsg, reply] = c.messages;
    const path = (ws: string, a: string) => `/rest/${ws}/${a}/message/feedback`;
    expectRdError(
      await rd(t, 'POST', path(w.workspaceId, agentId), undefined, { id: userMsg.id, feedback: 'positive' }),
      400,
      'BAD_REQUEST',
    );
    const w2 = await rdWorld(t);
    for (const [ws, a, id] of [
      [w.workspaceId, other, reply.id],
      [w2.workspaceId, agentId, reply.id],
      [w.workspaceId, agentId, '01900000-0000-7000-8000-000000000000'],
      ['not-a-uuid', agentId, reply.id],
    ]) {
      expectRdError(
        await rd(t, 'POST', path(ws!, a!), undefined, { id: id, feedback: 'positive' }),
        404,
        'NOT_FOUND',
      );
    }
    expectRdError(
      await rd(t, 'POST', path(w.workspaceId, agentId), undefined, { id: reply.id, feedback: 'like' }),
      400,
      'BAD_REQUEST',
    );
    expectRdError(
      await rd(t, 'POST', path(w.workspaceId, agentId), undefined, { id: reply.id }),
      400,
      'BAD_REQUEST',
    );
    // a malformed id in the body is a validation error (README §2.1)
    expectRdError(
      await rd(t, 'POST', path(w.workspaceId, agentId), undefined, { id: 'nope', feedback: 'positive' }),
      400,
      'BAD_REQUEST',
    );
    const [row] = await t.db.db.select().from(messagesTable).where(eq(messagesTable.id, reply.id));
    expect(row!.feedback).toBeNull();
  });
});
