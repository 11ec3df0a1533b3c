import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../harness.js';
import { newSession } from '../../factories.js';
import { expectRdError, ISO_MS, rd, rdAgent, rdWorld, type RdWorld } from './rd.js';

/** rdstation.md §5: R3 list conversations, R4 get (legacy), R5 delete (legacy). */

let t: TestApp;
let w: RdWorld;

beforeAll(async () => {
  t = await createTestApp();
  w = await rdWorld(t);
});
afterAll(() => t.close());

const send = (agentId: string, body: unknown) => rd(t, 'POST', `/api/${agentId}`, w.key, body);

describe('R3 list conversations', () => {
  it("lists one agent's conversations newest first with every ConversationItem field, across pages", async () => {
    const agentId = await rdAgent(t, w, { fields: ['name', 'email'] });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await send(agentId, {
        message: { content: `conversation ${i}` },
        platformUserIdentifier: `u${i}`,
      });
      ids.push(res.json().id);
    }
    // a conversation started on the native Agent API is listed too
    const native = await newSession(t, { workspaceId: w.workspaceId, key: w.key, agentId });
    ids.push(native);
    const expected = [...ids].reverse();

    const p1 = await rd(t, 'GET', `/rest/conversations/list/${agentId}?page=1&size=4`, w.key);
    expect(p1.statusCode, p1.body).toBe(200);
    const b1 = p1.json();
    expect(Object.keys(b1).sort()).toEqual(['data', 'meta']);
    expect(b1.meta).toEqual({ total: 6, page: 1, size: 4, first: 1, last: 2, next: 2, previous: null });
    const p2 = (await rd(t, 'GET', `/rest/conversations/list/${agentId}?page=2&size=4`, w.key)).json();
    expect(p2.meta).toEqual({ total: 6, page: 2, size: 4, first: 1, last: 2, next: null, previous: 1 });
    expect([...b1.data, ...p2.data].map((c: { id: string }) => c.id)).toEqual(expected);
    const past = (await rd(t, 'GET', `/rest/conversations/list/${agentId}?page=3&size=4`, w.key)).json();
    expect(past.data).toEqual([]);
    expect(past.meta).toMatchObject({ total: 6, page: 3, next: null, previous: 2 });

    const item = b1.data.find((c: { id: string }) => c.id === ids[4]);
    expect(Object.keys(item).sort()).toEqual(
      [
        'agentId',
        'channelId',
        'context',
        'createdAt',
        'id',
        'lead',
        'leadId',
        'platform',
        'platformUserIdentifier',
        'preview',
        'stage',
        'status',
        'summary',
        'title',
        'updatedAt',
        'workspaceId',
      ].sort(),
    );
    expect(item).toMatchObject({
      agentId,
      workspaceId: w.workspaceId,
      title: 'conversation 4',
      channelId: null,
      platform: 'api',
      platformUserIdentifier: 'u4',
      context: {},
      leadId: null,
      stage: 'identify',
      preview: false,
      summary: null,
      status: 'active',
      lead: null,
    });
    expect(item.createdAt).toMatch(ISO_MS);
    expect(item.updatedAt).toMatch(ISO_MS);
    const defaults = (await rd(t, 'GET', `/rest/conversations/list/${agentId}`, w.key)).json();
    expect(defaults.meta).toMatchObject({ page: 1, size: 20, last: 1, next: null });
  });

  it('filters by createdAtStart; stage is operational for agents without lead fields', async () => {
    const agentId = await rdAgent(t, w);
    const first = (await send(agentId, { message: { content: 'a' } })).json();
    const cut = new Date(t.clock.now().getTime() + 500).toISOString();
    t.clock.advance(1000);
    const second = (await send(agentId, { message: { content: 'b' } })).json();
    const res = (
      await rd(
        t,
        'GET',
        `/rest/conversations/list/${agentId}?createdAtStart=${encodeURIComponent(cut)}`,
        w.key,
      )
    ).json();
    expect(res.data.map((c: { id: string }) => c.id)).toEqual([second.id]);
    const all = (await rd(t, 'GET', `/rest/conversations/list/${agentId}`, w.key)).json();
    expect(all.data.map((c: { stage: string }) => c.stage)).toEqual(['operational', 'operational']);
    expect(all.data.map((c: { id: string }) => c.id)).toContain(first.id);
    expectRdError(
      await rd(t, 'GET', `/rest/conversations/list/${agentId}?createdAtStart=yesterday`, w.key),
      400,
      'BAD_REQUEST',
    );
  });

  it('404 for a missing agent', async () => {
    expectRdError(
      await rd(t, 'GET', '/rest/conversations/list/01900000-0000-7000-8000-000000000000', w.key),
      404,
      'NOT_FOUND',
    );
  });
});

describe('R4 get conversation (legacy)', () => {
  it('returns id, title, createdAt, the agent and the visible messages in the legacy shape', async () => {
    const agentId = await rdAgent(t, w);
    const c = (
      await send(agentId, {
        messages: [{ role: 'system', content: 'hidden' }],
        message: { content: 'hello' },
      })
    ).json();
    const res = await rd(t, 'GET', `/rest/conversations/${c.id}`, w.key);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['agent', 'createdAt', 'id', 'messages', 'title']);
    expect(body).toMatchObject({ id: c.id, title: 'hello' });
    expect(body.createdAt).toMatch(ISO_MS);
    expect(body.agent).toMatchObject({ id: agentId, status: 'online' });
    expect(body.messages).toHaveLength(2);
    const [lead, agent] = body.messages;
    expect(Object.keys(lead).sort()).toEqual(
      ['conversationId', 'createdAt', 'from', 'id', 'intent', 'metadata', 'text', 'updatedAt'].sort(),
    );
    expect(lead).toMatchObject({
      conversationId: c.id,
      from: 'lead',
      text: 'hello',
      intent: null,
      metadata: {},
    });
    expect(agent).toMatchObject({ from: 'agent', intent: null });
    expect(agent.text.length).toBeGreaterThan(0);
  });

  it("404 for missing, malformed or another workspace's ids", async () => {
    const agentId = await rdAgent(t, w);
    const c = (await send(agentId, { message: { content: 'x' } })).json();
    const other = await rdWorld(t);
    expectRdError(await rd(t, 'GET', `/rest/conversations/${c.id}`, other.key), 404, 'NOT_FOUND');
    expectRdError(await rd(t, 'GET', '/rest/conversations/nope', w.key), 404, 'NOT_FOUND');
  });
});

describe('R5 delete conversation (legacy)', () => {
  it('soft-deletes: 200 {}, then 404 everywhere and gone from lists', async () => {
    const agentId = await rdAgent(t, w);
    const c = (await send(agentId, { message: { content: 'x' } })).json();
    const other = await rdWorld(t);
    expectRdError(await rd(t, 'DELETE', `/rest/conversations/${c.id}`, other.key), 404, 'NOT_FOUND');
    const res = await rd(t, 'DELETE', `/rest/conversations/${c.id}`, w.key);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({});
    expectRdError(await rd(t, 'DELETE', `/rest/conversations/${c.id}`, w.key), 404, 'NOT_FOUND');
    expectRdError(await rd(t, 'GET', `/rest/conversations/${c.id}`, w.key), 404, 'NOT_FOUND');
    expectRdError(await send(agentId, { id: c.id, message: { content: 'x' } }), 404, 'NOT_FOUND');
    const list = (await rd(t, 'GET', `/rest/conversations/list/${agentId}`, w.key)).json();
    expect(list.data).toEqual([]);
    const native = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${c.id}`,
      headers: { 'x-api-key': w.key },
    });
    expect(native.statusCode).toBe(404);
  });
});
