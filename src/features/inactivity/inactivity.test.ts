import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversations, messages as messagesTable } from '../../platform/db/schema/index.js';
import { newPublicConversation, operatorHeaders, setAgentStatus } from '../../../test/factories.js';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import { bearer, call, expectError, ISO_MS, type Headers } from '../../../test/http.js';
import { mockRegistry, scriptedModel } from '../../../test/mock-model.js';
import { BUILT_IN_INACTIVITY_INSTRUCTIONS, SILENCE_MARKER } from './inactivity.service.js';

let t: TestApp;
let slow: TestApp;
const hanging = scriptedModel({ chunks: ['Are you '], fail: 'hang' });

const mocks = mockRegistry();
const { calls, register } = mocks;

beforeAll(async () => {
  t = await createTestApp({
    providers: { mock: mocks.provider },
  });
  // the server model timeout has a 10 s floor: only the 504 test uses this app
  slow = await createTestApp({
    env: { PAPO_MODEL_TIMEOUT_SECONDS: '10' },
    providers: { mock: () => hanging.model },
  });
});
afterAll(async () => {
  await t.close();
  await slow.close();
});

const P = '/v1/public/agents';

interface Conv {
  id: string;
  ws: string;
  agentId: string;
  sk: string;
  h: Headers;
}

interface Message {
  id: string;
  role: string;
  content: Array<{ type: string; text?: string }>;
  created_at: string;
  metadata: Record<string, unknown>;
  status: string;
  usage: Record<string, number> | null;
  model: string | null;
  cost_usd: number | null;
}

const conversation = (agent: Record<string, unknown> = {}, app: TestApp = t): Promise<Conv> =>
  newPublicConversation(app, agent);

const inactivity = (c: { id: string; h: Headers }, body?: unknown, h: Headers = c.h, app: TestApp = t) =>
  call(app.app, 'POST', `${P}/conversations/${c.id}/inactivity`, h, body);

const send = (c: Conv, content: string) =>
  call(t.app, 'POST', `${P}/conversations/${c.id}/messages`, c.h, { content });

const state = (c: Conv) =>
  call(t.app, 'GET', `${P}/conversations/${c.id}`, c.h).then((r) =>
    r.json<{
      status: string;
      messages_count: number;
      expires_at: string;
      updated_at: string;
      closed_at: string | null;
    }>(),
  );

const allMessages = async (c: Conv): Promise<Message[]> =>
  (
    await call(
      t.app,
      'GET',
      `${P}/conversations/${c.id}/messages?roles=user,assistant,system,tool&limit=100`,
      c.h,
    )
  ).json().items;

const detail = (c: Conv) =>
  call(t.app, 'GET', `/v1/admin/workspaces/${c.ws}/conversations/${c.id}`, operatorHeaders).then((r) =>
    r.json<{ close_reason: string | null; usage: { input_tokens: number; output_tokens: number } }>(),
  );

const systemOf = (id: string, i = -1) => {
  const prompt = calls.get(id)!.at(i)!.prompt;
  const system = prompt.find((m) => m.role === 'system');
  return system && system.role === 'system' ? system.content : '';
};

describe('P5 with a fixed text', () => {
  it('warning: stores the fixed message as is, without the model, and keeps the conversation active', async () => {
    const model = register('fixed-warning');
    const c = await conversation({ model, inactivity: { warning_message: 'Ainda está aí? 👀' } });
    const res = await inactivity(c, { step: 'warning' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ step: string; message: Message; conversation_status: string }>();
    expect(Object.keys(body).sort()).toEqual(['conversation_status', 'message', 'step']);
    expect(body).toEqual({
      step: 'warning',
      message: {
        id: expect.any(String),
        role: 'assistant',
        content: [{ type: 'text', text: 'Ainda está aí? 👀' }],
        created_at: expect.stringMatching(ISO_MS),
        metadata: {},
        status: 'completed',
        usage: null,
        model: null,
        cost_usd: null,
      },
      conversation_status: 'active',
    });
    expect(calls.get('fixed-warning')).toHaveLength(0);
    // a normal assistant message: listed, counted, readable by id
    expect(await allMessages(c)).toEqual([body.message]);
    expect((await state(c)).messages_count).toBe(1);
    const one = await call(t.app, 'GET', `${P}/conversations/${c.id}/messages/${body.message.id}`, c.h);
    expect(one.json()).toEqual(body.message);
  });

  it('counts as activity: expires_at = message time + idle TTL', async () => {
    const c = await conversation({ idle_ttl_seconds: 600, inactivity: { warning_message: 'Oi?' } });
    t.clock.advance(550_000);
    const res = await inactivity(c, { step: 'warning' });
    expect(res.statusCode, res.body).toBe(200);
    const at = new Date(res.json().message.created_at).getTime();
    const s = await state(c);
    expect(new Date(s.expires_at).getTime()).toBe(at + 600_000);
    t.clock.advance(550_000);
    expect((await state(c)).status).toBe('active');
  });

  it('final: stores the closing message and closes the conversation with reason inactivity', async () => {
    const c = await conversation({ inactivity: { final_message: 'Até logo!' } });
    const res = await inactivity(c, { step: 'final' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      step: 'final',
      message: { role: 'assistant', content: [{ type: 'text', text: 'Até logo!' }] },
      conversation_status: 'closed',
    });
    const s = await state(c);
    expect(s.status).toBe('closed');
    expect(s.closed_at).toEqual(expect.stringMatching(ISO_MS));
    expect((await detail(c)).close_reason).toBe('inactivity');
    // P4 afterwards returns the stored closing
    const term = await call(t.app, 'POST', `${P}/conversations/${c.id}/terminate`, c.h, { reason: 'later' });
    expect(term.json()).toMatchObject({ status: 'closed', reason: 'inactivity', closed_at: s.closed_at });
    expectError(await send(c, 'hello?'), 409, 'conversation_closed');
  });

  it('final with close_on_final off leaves the conversation active', async () => {
    const c = await conversation({ inactivity: { final_message: 'Bye for now', close_on_final: false } });
    const res = await inactivity(c, { step: 'final' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ step: 'final', conversation_status: 'active' });
    expect((await state(c)).status).toBe('active');
    expect((await send(c, 'still here')).statusCode).toBe(200);
  });

  it('renders the fixed text in the agent’s output format', async () => {
    const c = await conversation({
      output_format: 'plain',
      inactivity: { warning_message: '**Still** there?' },
    });
    const res = await inactivity(c, { step: 'warning' });
    expect(res.json().message.content).toEqual([{ type: 'text', text: 'Still there?' }]);
  });
});

describe('P5 written by the model', () => {
  it('follows the agent’s instructions in the system context, which are never stored', async () => {
    const model = register('nudge', {
      chunks: ['Posso ', 'ajudar ', 'em algo mais?'],
      usage: { input: 40, output: 6 },
    });
    const c = await conversation({
      model,
      instructions: 'You are the pricing assistant.',
      inactivity: { warning_instructions: 'Ask whether they still want the pricing table.' },
    });
    const sent = await send(c, 'Quanto custa?');
    expect(sent.statusCode, sent.body).toBe(200);
    const usageBefore = (await detail(c)).usage;

    const res = await inactivity(c, { step: 'warning' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ message: Message; conversation_status: string }>();
    expect(body.conversation_status).toBe('active');
    expect(body.message).toMatchObject({
      role: 'assistant',
      content: [{ type: 'text', text: 'Posso ajudar em algo mais?' }],
      status: 'completed',
      usage: { input_tokens: 40, output_tokens: 6, cached_tokens: 0, total_tokens: 46 },
      model,
    });

    // the model saw the agent's instructions plus the inactivity instruction, and the history
    const system = systemOf('nudge');
    expect(system).toContain('You are the pricing assistant.');
    expect(system).toContain('Ask whether they still want the pricing table.');
    expect(system).not.toContain(BUILT_IN_INACTIVITY_INSTRUCTIONS.warning);
    const turns = calls
      .get('nudge')!
      .at(-1)!
      .prompt.filter((m) => m.role !== 'system');
    expect(turns.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(turns[0])).toContain('Quanto custa?');
    expect(JSON.stringify(turns[2])).toContain(SILENCE_MARKER);

    // stored: the exchange and the nudge, nothing else (no instruction, no marker)
    const stored = await allMessages(c);
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant', 'assistant']);
    expect(stored.at(-1)).toEqual(body.message);
    const raw = JSON.stringify(
      await t.db.db.select().from(messagesTable).where(eq(messagesTable.conversationId, c.id)),
    );
    expect(raw).not.toContain('pricing table');
    expect(raw).not.toContain(SILENCE_MARKER);
    expect((await state(c)).messages_count).toBe(3);

    // usage is counted
    const usageAfter = (await detail(c)).usage;
    expect(usageAfter.input_tokens - usageBefore.input_tokens).toBe(40);
    expect(usageAfter.output_tokens - usageBefore.output_tokens).toBe(6);
  });

  it('uses the built-in instruction without settings, works on an empty conversation and closes on final', async () => {
    const model = register('builtin', { chunks: ['Obrigado, até mais!'] });
    const c = await conversation({ model });
    const res = await inactivity(c, { step: 'final' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      step: 'final',
      message: { content: [{ type: 'text', text: 'Obrigado, até mais!' }] },
      conversation_status: 'closed',
    });
    expect(systemOf('builtin')).toContain(BUILT_IN_INACTIVITY_INSTRUCTIONS.final);
    const turns = calls
      .get('builtin')!
      .at(-1)!
      .prompt.filter((m) => m.role !== 'system');
    expect(turns).toHaveLength(1);
    expect(JSON.stringify(turns[0])).toContain(SILENCE_MARKER);
    expect((await allMessages(c)).map((m) => m.role)).toEqual(['assistant']);
    expect((await detail(c)).close_reason).toBe('inactivity');

    // a warning without instructions uses the built-in warning one
    const w = await conversation({ model });
    expect((await inactivity(w, { step: 'warning' })).statusCode).toBe(200);
    expect(systemOf('builtin')).toContain(BUILT_IN_INACTIVITY_INSTRUCTIONS.warning);
  });

  it('uses final_instructions for final and the fixed text only for its own step', async () => {
    const model = register('mixed', { chunks: ['Encerrando.'] });
    const c = await conversation({
      model,
      inactivity: {
        warning_message: 'Oi?',
        final_instructions: 'Say goodbye in one word.',
        close_on_final: false,
      },
    });
    const warning = await inactivity(c, { step: 'warning' });
    expect(warning.json().message.content).toEqual([{ type: 'text', text: 'Oi?' }]);
    expect(calls.get('mixed')).toHaveLength(0);
    const final = await inactivity(c, { step: 'final' });
    expect(final.json()).toMatchObject({
      message: { content: [{ type: 'text', text: 'Encerrando.' }] },
      conversation_status: 'active',
    });
    expect(systemOf('mixed')).toContain('Say goodbye in one word.');
    // history ended with the assistant's warning, so the silence marker closes the prompt
    const turns = calls
      .get('mixed')!
      .at(-1)!
      .prompt.filter((m) => m.role !== 'system');
    expect(turns.map((m) => m.role)).toEqual(['assistant', 'user']);
  });

  it('waits its turn behind a generation in flight (FIFO with sends)', async () => {
    const model = register('slow-send', { chunks: ['a', 'b', 'c'], delayMs: 40 });
    const c = await conversation({ model, inactivity: { warning_message: 'Still there?' } });
    const pendingSend = send(c, 'first');
    await new Promise((r) => setTimeout(r, 20));
    const nudge = await inactivity(c, { step: 'warning' });
    const sent = await pendingSend;
    expect(sent.statusCode).toBe(200);
    expect(nudge.statusCode).toBe(200);
    expect(nudge.json().message.id > sent.json().agent_message.id).toBe(true);
    expect((await allMessages(c)).map((m) => m.content[0]?.text)).toEqual(['first', 'abc', 'Still there?']);
  });

  it('answers 502 model_error with the failed message and does not close on final', async () => {
    const model = register('boom', { chunks: ['Até '], fail: 'error', failAfter: 1 });
    const c = await conversation({ model });
    const res = await inactivity(c, { step: 'final' });
    const err = expectError(res, 502, 'model_error');
    const messageId = err.error.context['message_id'] as string;
    expect(err.error.message).not.toContain('secret-internal-detail');
    const failed = await call(t.app, 'GET', `${P}/conversations/${c.id}/messages/${messageId}`, c.h);
    expect(failed.json()).toMatchObject({ role: 'assistant', status: 'failed', usage: null });
    expect((await state(c)).status).toBe('active');
  });
});

describe('P5 errors', () => {
  it('needs step (400), a known step (422), and changes nothing when refusing', async () => {
    const c = await conversation({ inactivity: { warning_message: 'x' } });
    const before = await state(c);
    t.clock.advance(1_000);
    for (const body of [{}, { stp: 'warning' }, undefined, [1]]) {
      expectError(await inactivity(c, body), 400, 'invalid_request');
    }
    const notJson = await t.app.inject({
      method: 'POST',
      url: `${P}/conversations/${c.id}/inactivity`,
      headers: { ...c.h, 'content-type': 'application/json' },
      payload: '{"step":',
    });
    expectError(notJson, 400, 'invalid_request');
    for (const step of ['WARNING', 'close', '', 1, null]) {
      const err = expectError(await inactivity(c, { step }), 422, 'validation_error');
      expect((err.error.context['issues'] as Array<{ path: string }>).map((i) => i.path)).toContain('step');
    }
    expectError(
      await inactivity(c, { step: 'warning', pad: 'x'.repeat(1024 * 1024) }),
      413,
      'request_too_large',
    );
    const after = await state(c);
    expect(after).toEqual(before);
    expect(await allMessages(c)).toEqual([]);
  });

  it('refuses missing, invalid, expired and foreign tokens', async () => {
    const c = await conversation({ session_token_ttl_seconds: 60, inactivity: { warning_message: 'x' } });
    const other = await conversation({ inactivity: { warning_message: 'x' } });
    const body = { step: 'warning' };
    expectError(await inactivity(c, body, {}), 401, 'missing_session_token');
    expectError(await inactivity(c, body, bearer('not.a.jwt')), 401, 'invalid_session_token');
    expectError(await inactivity(c, body, { 'x-api-key': c.sk }), 401, 'missing_session_token');
    expectError(await inactivity(c, body, other.h), 403, 'session_token_scope_mismatch');
    t.clock.advance(60_000);
    expectError(await inactivity(c, body), 401, 'session_token_expired');
    expect(await t.db.db.select().from(messagesTable).where(eq(messagesTable.conversationId, c.id))).toEqual(
      [],
    );
  });

  it('answers 404 for a deleted conversation', async () => {
    const c = await conversation({ inactivity: { warning_message: 'x' } });
    await t.db.db.update(conversations).set({ deletedAt: t.clock.now() }).where(eq(conversations.id, c.id));
    const err = expectError(await inactivity(c, { step: 'warning' }), 404, 'not_found');
    expect(err.error.context).toEqual({ resource: 'conversation', id: c.id });
  });

  it('answers 409 conversation_closed on closed and expired conversations', async () => {
    const model = register('never-closed');
    const closed = await conversation({ model });
    await call(t.app, 'POST', `${P}/conversations/${closed.id}/terminate`, closed.h);
    const err = expectError(await inactivity(closed, { step: 'warning' }), 409, 'conversation_closed');
    expect(err.error.context).toEqual({ conversation_id: closed.id, status: 'closed' });

    const idle = await conversation({ model, idle_ttl_seconds: 300 });
    t.clock.advance(300_000);
    const exp = expectError(await inactivity(idle, { step: 'final' }), 409, 'conversation_closed');
    expect(exp.error.context).toEqual({ conversation_id: idle.id, status: 'expired' });
    expect(calls.get('never-closed')).toHaveLength(0);
    expect(await allMessages(closed)).toEqual([]);
    expect(await allMessages(idle)).toEqual([]);
  });

  it('answers 409 agent_unavailable when the agent is not runnable, even with a fixed text', async () => {
    const c = await conversation({ inactivity: { warning_message: 'x' } });
    await setAgentStatus(t, c.ws, c.agentId, 'inactive');
    const err = expectError(await inactivity(c, { step: 'warning' }), 409, 'agent_unavailable');
    expect(err.error.context).toEqual({ agent_id: c.agentId, status: 'inactive' });
    expect(await allMessages(c)).toEqual([]);
    await setAgentStatus(t, c.ws, c.agentId, 'active');
    expect((await inactivity(c, { step: 'warning' })).statusCode).toBe(200);
  });

  it('answers 504 model_timeout at the server timeout and stores the failed message', async () => {
    const c = await conversation({ model: 'mock:hang' }, slow);
    const res = await inactivity(c, { step: 'warning' }, c.h, slow);
    const err = expectError(res, 504, 'model_timeout');
    expect(err.error.context).toEqual({ timeout_s: 10, message_id: expect.any(String) });
    const rows = await slow.db.db.select().from(messagesTable).where(eq(messagesTable.conversationId, c.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: err.error.context['message_id'],
      status: 'failed',
      content: [{ type: 'text', text: 'Are you ' }],
    });
    expect(hanging.calls[0]?.abortSignal?.aborted).toBe(true);
  }, 20_000);
});
