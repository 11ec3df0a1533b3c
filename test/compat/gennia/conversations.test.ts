import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '../../../src/platform/db/schema/index.js';
import { newId } from '../../../src/platform/ids.js';
import { newAgent, newKey, newSession, operatorHeaders } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { ISO_MS, MISSING_ID } from '../../http.js';
import { mockRegistry } from '../../mock-model.js';
import {
  CONVERSATION_FIELDS,
  expectGenniaError,
  expectPublicConversation,
  expectPublicMessage,
  fields,
  g,
  genniaWorld,
  type GenniaWorld,
  type Paged,
} from './gennia.js';

// gennia.md §3.3–3.7: conversations, their messages, health, and the same conversations on other surfaces.
let t: TestApp;
const mocks = mockRegistry();
const echo = mocks.register('echo', {
  chunks: (o) => {
    const last = [...o.prompt].reverse().find((m) => m.role === 'user');
    const text = (last?.content as Array<{ type: string; text?: string }>).find(
      (p) => p.type === 'text',
    )?.text;
    return [`re: ${text ?? ''}`];
  },
});

const bold = mocks.register('bold', { chunks: ['**Bold** and _plain_'] });

beforeAll(async () => {
  t = await createTestApp({ providers: { mock: mocks.provider } });
});
afterAll(() => t.close());

type Conv = Record<string, unknown> & { publicId: string };

async function startConversation(
  w: GenniaWorld,
  body: Record<string, unknown>,
  agentId = w.agentId,
): Promise<string> {
  const res = await g(t, 'POST', `/agents/${agentId}/messages`, w.key, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ conversation: Conv }>().conversation.publicId;
}

const list = async (w: GenniaWorld, query = '') => {
  const res = await g(t, 'GET', `/conversations${query}`, w.key);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Paged<Conv>>();
};

describe('§3.3 GET /conversations', () => {
  it('pages newest first with total/totalPages; list items carry a snippet and no metadata', async () => {
    const w = await genniaWorld(t, { model: echo });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await startConversation(w, { content: `conversation ${i} ${'z'.repeat(150)}` }));
    const p1 = await list(w, '?limit=2');
    expect(p1).toMatchObject({ page: 1, limit: 2, total: 5, totalPages: 3 });
    const p2 = await list(w, '?limit=2&page=2');
    const p3 = await list(w, '?limit=2&page=3');
    expect([...p1.items, ...p2.items, ...p3.items].map((c) => c.publicId)).toEqual([...ids].reverse());
    expect(p3.items).toHaveLength(1);
    const past = await list(w, '?limit=2&page=9');
    expect(past).toMatchObject({ items: [], page: 9, limit: 2, total: 5, totalPages: 3 });
    const item = p1.items[0]!;
    expect(Object.keys(item).sort()).toEqual(
      [...CONVERSATION_FIELDS.filter((f) => f !== 'metadata'), 'lastMessageSnippet'].sort(),
    );
    expect(item.lastMessageSnippet).toBe(`re: conversation 4 ${'z'.repeat(150)}`.slice(0, 120));
    expect(item).toMatchObject({
      channel: 'api',
      isEnded: false,
      isPaused: false,
      isTest: false,
      messageCount: 2,
    });
    expect(item['startedAt']).toMatch(ISO_MS);
    // defaults
    expect(await list(w)).toMatchObject({ page: 1, limit: 20, total: 5, totalPages: 1 });
    const empty = await list(await genniaWorld(t, { model: echo }));
    expect(empty).toEqual({ items: [], page: 1, limit: 20, total: 0, totalPages: 0 });
  });

  it("replies are rendered in the agent's output format in snippets and message reads", async () => {
    const w = await genniaWorld(t, { model: bold, output_format: 'plain' });
    const id = await startConversation(w, { content: '**hi**' });
    const item = (await list(w)).items[0]!;
    expect(item.lastMessageSnippet).toBe('Bold and plain');
    const msgs = (await g(t, 'GET', `/conversations/${id}/messages`, w.key)).json<
      Paged<{ content: string }>
    >();
    expect(msgs.items.map((m) => m.content)).toEqual(['**hi**', 'Bold and plain']);
  });

  it('filters: agentPublicId, externalUserId, channel, isTest, isEnded, since, until', async () => {
    const w = await genniaWorld(t, { model: echo });
    const agent2 = await newAgent(t, w.ws, { model: echo });
    const a = await startConversation(w, { content: 'a', externalUserId: 'ext-1' });
    t.clock.advance(60_000);
    const mark = t.clock.now().toISOString();
    t.clock.advance(60_000);
    const b = await startConversation(w, { content: 'b', externalUserId: 'ext-2', isTest: true }, agent2);
    // a Public Chat conversation is listed as web_chat
    const pk = (await newKey(t, w.ws, { type: 'public' })).key;
    const p1 = await t.app.inject({
      method: 'POST',
      url: '/v1/public/agents/conversations',
      headers: { 'x-api-key': pk },
      payload: { agent_id: w.agentId },
    });
    expect(p1.statusCode, p1.body).toBe(200);
    const web = p1.json<{ id: string }>().id;
    await t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${a}/terminate`,
      headers: { 'x-api-key': w.key },
    });

    const ids = async (q: string) => (await list(w, q)).items.map((c) => c.publicId);
    expect(await ids(`?agentPublicId=${agent2}`)).toEqual([b]);
    expect(await ids('?externalUserId=ext-1')).toEqual([a]);
    expect(await ids('?channel=web_chat')).toEqual([web]);
    expect(await ids('?channel=api')).toEqual([b, a]);
    expect(await ids('?channel=whatsapp')).toEqual([]);
    expect(await ids('?isTest=true')).toEqual([b]);
    expect(await ids('?isTest=false')).toEqual([web, a]);
    expect(await ids('?isEnded=true')).toEqual([a]);
    expect(await ids('?isEnded=false')).toEqual([web, b]);
    expect(await ids(`?since=${encodeURIComponent(mark)}`)).toEqual([b]);
    expect(await ids(`?until=${encodeURIComponent(mark)}`)).toEqual([a]);
    // `status` is not part of the contract and is ignored
    expect(await ids('?status=closed')).toEqual([web, b, a]);
  });

  it('bad query values → 400 VALIDATION_ERROR naming the parameter', async () => {
    const w = await genniaWorld(t, { model: echo });
    for (const [q, field] of [
      ['page=0', 'page'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['isTest=maybe', 'isTest'],
      ['isEnded=2', 'isEnded'],
      ['since=yesterday', 'since'],
      ['channel=sms', 'channel'],
      ['agentPublicId=nope', 'agentPublicId'],
    ]) {
      const res = await g(t, 'GET', `/conversations?${q}`, w.key);
      expect(fields(expectGenniaError(res, 400, 'VALIDATION_ERROR')), q).toEqual([field]);
    }
  });
});

describe('§3.4 GET | DELETE /conversations/{id}', () => {
  it('GET answers PublicConversationDTO; missing, malformed and foreign ids are identical 404s', async () => {
    const w = await genniaWorld(t, { model: echo });
    const id = await startConversation(w, { content: 'hi', metadata: { k: 'v' } });
    const res = await g(t, 'GET', `/conversations/${id}`, w.key);
    expect(res.statusCode).toBe(200);
    const c = res.json<Conv>();
    expectPublicConversation(c);
    expect(c).toMatchObject({
      publicId: id,
      agentPublicId: w.agentId,
      metadata: { k: 'v' },
      messageCount: 2,
    });

    const other = await genniaWorld(t, { model: echo });
    const foreign = expectGenniaError(
      await g(t, 'GET', `/conversations/${id}`, other.key),
      404,
      'CONVERSATION_NOT_FOUND',
    );
    const missing = expectGenniaError(
      await g(t, 'GET', `/conversations/${MISSING_ID}`, w.key),
      404,
      'CONVERSATION_NOT_FOUND',
    );
    expect(foreign.details).toEqual(missing.details);
  });

  it('DELETE soft-deletes: 204 without body, then 404 here, natively and in the management API', async () => {
    const w = await genniaWorld(t, { model: echo });
    const id = await startConversation(w, { content: 'bye' });
    const other = await genniaWorld(t, { model: echo });
    expectGenniaError(await g(t, 'DELETE', `/conversations/${id}`, other.key), 404, 'CONVERSATION_NOT_FOUND');
    const del = await g(t, 'DELETE', `/conversations/${id}`, w.key);
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    expectGenniaError(await g(t, 'GET', `/conversations/${id}`, w.key), 404, 'CONVERSATION_NOT_FOUND');
    expectGenniaError(
      await g(t, 'GET', `/conversations/${id}/messages`, w.key),
      404,
      'CONVERSATION_NOT_FOUND',
    );
    expectGenniaError(await g(t, 'DELETE', `/conversations/${id}`, w.key), 404, 'CONVERSATION_NOT_FOUND');
    expectGenniaError(
      await g(t, 'POST', `/agents/${w.agentId}/messages`, w.key, { content: 'x', conversationId: id }),
      404,
      'CONVERSATION_NOT_FOUND',
    );
    expect((await list(w)).total).toBe(0);
    const native = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${id}`,
      headers: { 'x-api-key': w.key },
    });
    expect(native.statusCode).toBe(404);
    const admin = await t.app.inject({
      method: 'GET',
      url: `/v1/admin/workspaces/${w.ws}/conversations/${id}`,
      headers: operatorHeaders,
    });
    expect(admin.statusCode).toBe(404);
  });
});

describe('§3.5 GET /conversations/{id}/messages', () => {
  it('oldest first by default, desc on request, role filter, pages of 50 (max 200), internal roles hidden', async () => {
    const w = await genniaWorld(t, { model: echo });
    const id = await startConversation(w, { content: 'm0' });
    for (let i = 1; i < 3; i++) {
      const res = await g(t, 'POST', `/agents/${w.agentId}/messages`, w.key, {
        content: `m${i}`,
        conversationId: id,
      });
      expect(res.statusCode).toBe(200);
    }
    // an internal tool message is never listed
    await t.db.db.insert(messages).values({
      id: newId(),
      workspaceId: w.ws,
      conversationId: id,
      role: 'tool',
      content: [{ type: 'tool_result', tool_call_id: 'c1', name: 'x', arguments: {}, result: 1 }],
      status: 'completed',
      metadata: {},
      createdAt: t.clock.now(),
    });
    const all = (await g(t, 'GET', `/conversations/${id}/messages`, w.key)).json<
      Paged<Record<string, unknown>>
    >();
    expect(all).toMatchObject({ page: 1, limit: 50, total: 6, totalPages: 1 });
    expect(all.items.map((m) => m['content'])).toEqual(['m0', 're: m0', 'm1', 're: m1', 'm2', 're: m2']);
    all.items.forEach((m, i) => expectPublicMessage(m, i % 2 === 0 ? 'user' : 'agent'));
    expect(all.items.every((m) => m['conversationPublicId'] === id)).toBe(true);

    const desc = (await g(t, 'GET', `/conversations/${id}/messages?order=desc&limit=4`, w.key)).json<
      Paged<{ content: string }>
    >();
    expect(desc).toMatchObject({ total: 6, totalPages: 2, limit: 4 });
    expect(desc.items.map((m) => m.content)).toEqual(['re: m2', 'm2', 're: m1', 'm1']);
    const page2 = (await g(t, 'GET', `/conversations/${id}/messages?order=desc&limit=4&page=2`, w.key)).json<
      Paged<{ content: string }>
    >();
    expect(page2.items.map((m) => m.content)).toEqual(['re: m0', 'm0']);

    const agentOnly = (await g(t, 'GET', `/conversations/${id}/messages?role=agent`, w.key)).json<
      Paged<{ role: string }>
    >();
    expect(agentOnly.total).toBe(3);
    expect(agentOnly.items.every((m) => m.role === 'agent')).toBe(true);
    const userOnly = (await g(t, 'GET', `/conversations/${id}/messages?role=user`, w.key)).json<
      Paged<{ role: string }>
    >();
    expect(userOnly.items.map((m) => m.role)).toEqual(['user', 'user', 'user']);

    expect((await g(t, 'GET', `/conversations/${id}/messages?limit=200`, w.key)).statusCode).toBe(200);
    for (const q of ['limit=201', 'order=up', 'role=assistant', 'page=-1']) {
      expectGenniaError(
        await g(t, 'GET', `/conversations/${id}/messages?${q}`, w.key),
        400,
        'VALIDATION_ERROR',
      );
    }
    expectGenniaError(
      await g(t, 'GET', `/conversations/${MISSING_ID}/messages`, w.key),
      404,
      'CONVERSATION_NOT_FOUND',
    );
  });
});

describe('§2.3 one conversation, every surface', () => {
  it('a Gennia conversation is a native session and a management-API conversation, and vice versa', async () => {
    const w = await genniaWorld(t, { model: echo });
    const id = await startConversation(w, { content: 'cross', externalUserId: 'ext-x', isTest: true });
    const h = { 'x-api-key': w.key };
    const session = await t.app.inject({ method: 'GET', url: `/v1/agents/sessions/${id}`, headers: h });
    expect(session.statusCode, session.body).toBe(200);
    expect(session.json()).toMatchObject({ id, agent_id: w.agentId, status: 'active', messages_count: 2 });
    const msgs = await t.app.inject({ method: 'GET', url: `/v1/agents/sessions/${id}/messages`, headers: h });
    expect(msgs.json<{ items: Array<{ role: string; content: unknown }> }>().items).toMatchObject([
      { role: 'user', content: [{ type: 'text', text: 'cross' }] },
      { role: 'assistant', content: [{ type: 'text', text: 're: cross' }] },
    ]);
    const admin = await t.app.inject({
      method: 'GET',
      url: `/v1/admin/workspaces/${w.ws}/conversations/${id}`,
      headers: operatorHeaders,
    });
    expect(admin.statusCode, admin.body).toBe(200);
    expect(admin.json()).toMatchObject({
      id,
      channel: 'api',
      external_user_id: 'ext-x',
      is_test: true,
      title: 'cross',
      messages_count: 2,
    });

    // a native session shows up here and can be continued through Gennia
    const sid = await newSession(t, { workspaceId: w.ws, key: w.key, agentId: w.agentId });
    const listed = await list(w);
    expect(listed.items.map((c) => c.publicId)).toEqual([sid, id]);
    expect(listed.items[0]).toMatchObject({
      externalUserId: null,
      messageCount: 0,
      lastMessageAt: null,
      lastMessageSnippet: '',
    });
    const cont = await g(t, 'POST', `/agents/${w.agentId}/messages`, w.key, {
      content: 'from gennia',
      conversationId: sid,
    });
    expect(cont.statusCode, cont.body).toBe(200);
  });
});

describe('§3.6 GET /health', () => {
  it('answers ok with the workspace and the key', async () => {
    const w = await genniaWorld(t);
    const res = await g(t, 'GET', '/health', w.key);
    expect(res.json()).toEqual({ status: 'ok', workspacePublicId: w.ws, apiKeyPublicId: w.keyId });
  });
});
