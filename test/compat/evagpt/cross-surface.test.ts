import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorHeaders } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { eva, evaWorld, newEvaConversation } from './eva.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('an EvaGPT conversation is an ordinary Papo conversation', () => {
  it('is visible through the native Agent API and the management API, with its messages and usage', async () => {
    const w = await evaWorld(t, { name: 'Cross bot' });
    const id = await newEvaConversation(t, w, { crm: 'A-9' });
    const sent = await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: 'Olá, tudo bem?' });
    expect(sent.statusCode, sent.body).toBe(200);
    const replyId = sent.json<{ sendMensages: Array<{ id: string; text: string }> }>().sendMensages[0]!.id;

    const session = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${id}`,
      headers: { 'x-api-key': w.key },
    });
    expect(session.statusCode, session.body).toBe(200);
    expect(session.json()).toMatchObject({
      id,
      agent_id: w.agentId,
      status: 'active',
      messages_count: 2,
      metadata: { crm: 'A-9' },
    });
    const native = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${id}/messages`,
      headers: { 'x-api-key': w.key },
    });
    expect(native.statusCode).toBe(200);
    const items = native.json<{
      items: Array<{ id: string; role: string; content: Array<{ text: string }> }>;
    }>().items;
    expect(items.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(items[0]!.content[0]!.text).toBe('Olá, tudo bem?');
    expect(items[1]!.id).toBe(replyId);

    const detail = await t.app.inject({
      method: 'GET',
      url: `/v1/admin/workspaces/${w.ws}/conversations/${id}`,
      headers: operatorHeaders,
    });
    expect(detail.statusCode, detail.body).toBe(200);
    const d = detail.json<{
      id: string;
      channel: string;
      title: string;
      metadata: Record<string, unknown>;
      messages: Array<{ id: string }>;
      usage: { output_tokens: number };
    }>();
    expect(d).toMatchObject({ id, channel: 'api', title: 'Olá, tudo bem?', metadata: { crm: 'A-9' } });
    expect(d.messages.map((m) => m.id)).toContain(replyId);
    expect(d.usage.output_tokens).toBeGreaterThan(0);
  });

  it('a native session and its messages read back on EvaGPT, and feedback given there shows natively', async () => {
    const w = await evaWorld(t);
    const created = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${w.agentId}/sessions`,
      headers: { 'x-api-key': w.key },
      payload: { metadata: { from: 'native' } },
    });
    const sid = created.json<{ id: string }>().id;
    const sent = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${sid}/messages`,
      headers: { 'x-api-key': w.key },
      payload: { content: 'Pergunta nativa' },
    });
    expect(sent.statusCode, sent.body).toBe(200);
    const reply = sent.json<{ agent_message: { id: string } }>().agent_message;

    const conv = await eva(t, 'GET', `/conversation/${sid}`, w.h);
    expect(conv.json()).toMatchObject({ id: sid, meta: { from: 'native' }, description: 'Pergunta nativa' });
    const msgs = await eva(t, 'GET', `/conversation/message/${sid}`, w.h);
    expect(msgs.json<{ messages: Array<{ text: string }> }>().messages[0]!.text).toBe('Pergunta nativa');

    await eva(t, 'POST', `/conversation/message/feedback/${reply.id}`, w.h, { feedback: 'dislike' });
    const list = await eva(t, 'GET', '/conversation', w.h);
    expect(list.json<{ conversations: Array<{ id: string }> }>().conversations.map((c) => c.id)).toContain(
      sid,
    );
    // the management API lists it too
    const admin = await t.app.inject({
      method: 'GET',
      url: `/v1/admin/workspaces/${w.ws}/conversations?metadata.from=native`,
      headers: operatorHeaders,
    });
    expect(admin.json<{ items: Array<{ id: string }> }>().items.map((c) => c.id)).toEqual([sid]);
  });
});
