import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAgent, newKey, newWorkspace } from '../factories.js';
import { createTestApp, type TestApp } from '../harness.js';
import { bearer, eva } from './evagpt/eva.js';
import { g } from './gennia/gennia.js';
import { rd } from './rdstation/rd.js';

// README §2.3: one conversation, every surface of the workspace.
let t: TestApp;
let ws: string;
let agentId: string;
let otherAgent: string;
let key: string;
beforeAll(async () => {
  t = await createTestApp();
  ws = await newWorkspace(t);
  agentId = await newAgent(t, ws, { name: 'Everywhere' });
  otherAgent = await newAgent(t, ws, { name: 'Elsewhere' });
  key = (await newKey(t, ws)).key;
});
afterAll(() => t.close());

describe('one conversation across Gennia, RD Station, EvaGPT and the native API', () => {
  let conversationId: string;

  it('is started on Gennia, read on RD Station, continued on EvaGPT and read back everywhere', async () => {
    const started = await g(t, 'POST', `/agents/${agentId}/messages`, key, { content: 'hello from gennia' });
    expect(started.statusCode, started.body).toBe(200);
    conversationId = started.json<{ conversation: { publicId: string } }>().conversation.publicId;

    const onRd = await rd(t, 'GET', `/rest/conversations/${conversationId}`, key);
    expect(onRd.statusCode, onRd.body).toBe(200);
    const rdBody = onRd.json<{ id: string; messages: Array<{ from: string; text: string }> }>();
    expect(rdBody.id).toBe(conversationId);
    expect(rdBody.messages.map((m) => m.from)).toEqual(['lead', 'agent']);
    expect(rdBody.messages[0]!.text).toBe('hello from gennia');

    const onEva = await eva(t, 'POST', `/conversation/complete/${conversationId}`, bearer(key), {
      text: 'and now from evagpt',
    });
    expect(onEva.statusCode, onEva.body).toBe(200);
    const evaMessages = await eva(t, 'GET', `/conversation/message/${conversationId}`, bearer(key));
    expect(evaMessages.statusCode, evaMessages.body).toBe(200);
    expect(evaMessages.json<{ messages: unknown[] }>().messages).toHaveLength(4);

    const onGennia = await g(t, 'GET', `/conversations/${conversationId}/messages?limit=10`, key);
    expect(onGennia.statusCode, onGennia.body).toBe(200);
    expect(onGennia.json<{ total: number }>().total).toBe(4);

    const native = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${conversationId}/messages`,
      headers: { 'x-api-key': key },
    });
    expect(native.statusCode, native.body).toBe(200);
    const texts = native
      .json<{ items: Array<{ role: string; content: Array<{ text: string }> }> }>()
      .items.filter((m) => m.role === 'user')
      .map((m) => m.content[0]!.text);
    expect(texts).toEqual(['hello from gennia', 'and now from evagpt']);
  });

  it('a key limited to another agent is refused on every surface, and nothing changes', async () => {
    const limited = (await newKey(t, ws, { type: 'secret', agent_ids: [otherAgent] })).key;
    const gSend = await g(t, 'POST', `/agents/${agentId}/messages`, limited, {
      content: 'x',
      conversationId,
    });
    expect(gSend.statusCode, gSend.body).toBe(403);
    const gRead = await g(t, 'GET', `/conversations/${conversationId}`, limited);
    expect(gRead.statusCode, gRead.body).toBe(403);
    const rdRead = await rd(t, 'GET', `/rest/conversations/${conversationId}`, limited);
    expect(rdRead.statusCode, rdRead.body).toBe(403);
    const rdSend = await rd(t, 'POST', `/api/${agentId}`, limited, { message: 'x', id: conversationId });
    expect(rdSend.statusCode, rdSend.body).toBe(403);
    const evaRead = await eva(t, 'GET', `/conversation/${conversationId}`, bearer(limited));
    expect(evaRead.statusCode, evaRead.body).toBe(403);
    const evaSend = await eva(t, 'POST', `/conversation/complete/${conversationId}`, bearer(limited), {
      text: 'x',
    });
    expect(evaSend.statusCode, evaSend.body).toBe(403);
    const native = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${conversationId}`,
      headers: { 'x-api-key': limited },
    });
    expect(native.statusCode, native.body).toBe(403);

    const after = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${conversationId}`,
      headers: { 'x-api-key': key },
    });
    expect(after.json<{ messages_count: number }>().messages_count).toBe(4);
  });
});
