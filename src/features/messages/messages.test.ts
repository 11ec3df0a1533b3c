import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages as messagesTable } from '../../platform/db/schema/index.js';
import {
  newAgent,
  newKey,
  newSession,
  newWorld,
  operatorHeaders,
  type World,
} from '../../../test/factories.js';
import { PNG } from '../../../test/fixtures.js';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import { mockRegistry } from '../../../test/mock-model.js';
import { multipartBody } from '../../../test/multipart.js';
import { makeDocx } from '../../../test/docx.js';

let t: TestApp;
const mocks = mockRegistry();
const { calls, register } = mocks;

beforeAll(async () => {
  t = await createTestApp({
    providers: { mock: mocks.provider },
  });
});
afterAll(() => t.close());

const send = (w: World, sessionId: string, payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: `/v1/agents/sessions/${sessionId}/messages`,
    headers: { 'x-api-key': w.key, ...headers },
    payload: payload as object,
  });

const list = (w: World, sessionId: string, query = '') =>
  t.app.inject({
    method: 'GET',
    url: `/v1/agents/sessions/${sessionId}/messages${query}`,
    headers: { 'x-api-key': w.key },
  });

async function messageRows(sessionId: string) {
  return t.db.db.select().from(messagesTable).where(eq(messagesTable.conversationId, sessionId));
}

function expectEnvelope(body: string, code: string) {
  const parsed = JSON.parse(body);
  expect(parsed.error.code).toBe(code);
  expect(Object.keys(parsed).sort()).toEqual(['error', 'request_id', 'timestamp']);
  expect(Object.keys(parsed.error).sort()).toEqual(['code', 'context', 'message', 'name']);
  expect(body).not.toMatch(/at .*\.ts:\d+|secret-internal-detail|stack/);
  return parsed as { error: { code: string; context: Record<string, unknown>; message: string } };
}

describe('A10 send message (sync)', () => {
  it('stores the user message and the demo reply with usage, model and cost', async () => {
    const w = await newWorld(t);
    const sid = await newSession(t, w);
    const res = await send(w, sid, { content: 'Hello there', metadata: { source: 'crm' } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.user_message).toMatchObject({
      role: 'user',
      content: [{ type: 'text', text: 'Hello there' }],
      metadata: { source: 'crm' },
      status: 'completed',
      usage: null,
      model: null,
      cost_usd: null,
    });
    expect(body.agent_message.role).toBe('assistant');
    expect(body.agent_message.status).toBe('completed');
    expect(body.agent_message.model).toBe('demo:papo-demo');
    expect(body.agent_message.content[0].text).toContain('Hello there');
    const u = body.agent_message.usage;
    expect(u.input_tokens).toBeGreaterThan(0);
    expect(u.output_tokens).toBeGreaterThan(0);
    expect(u.total_tokens).toBe(u.input_tokens + u.output_tokens);
    expect(body.agent_message.cost_usd).toBe(0);
    expect(body.user_message.id < body.agent_message.id).toBe(true);

    const session = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${sid}`,
      headers: { 'x-api-key': w.key },
    });
    expect(session.json().messages_count).toBe(2);
    expect(session.json().last_message_at).not.toBeNull();

    const read = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${sid}/messages/${body.agent_message.id}`,
      headers: { 'x-api-key': w.key },
    });
    expect(read.json()).toEqual(body.agent_message);
  });

  it('stores role assistant input without calling the model', async () => {
    const model = register('assistant-input', {});
    const w = await newWorld(t, { model });
    const sid = await newSession(t, w);
    const res = await send(w, sid, { content: 'Operator says hi', role: 'assistant' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().user_message).toBeNull();
    expect(res.json().agent_message).toMatchObject({
      role: 'assistant',
      usage: null,
      model: null,
      status: 'completed',
    });
    expect(calls.get('assistant-input')).toHaveLength(0);
  });

  it('marks a reply cut by the output-token cap as incomplete', async () => {
    const w = await newWorld(t, { max_output_tokens: 3 });
    const sid = await newSession(t, w);
    const res = await send(w, sid, { content: 'Tell me a long story' });
    expect(res.json().agent_message.status).toBe('incomplete');
    expect(res.json().agent_message.usage.output_tokens).toBe(3);
  });

  it('renders the reply in the agent output format but stores Markdown', async () => {
    const model = register('fmt', { chunks: ['**Bold** and ', '[link](https://x.io)'] });
    const w = await newWorld(t, { model, output_format: 'plain' });
    const sid = await newSession(t, w);
    const res = await send(w, sid, { content: 'hi' });
    expect(res.json().agent_message.content[0].text).toBe('Bold and link (https://x.io)');
    const stored = (await messageRows(sid)).find((m) => m.role === 'assistant');
    expect(stored?.content).toEqual([{ type: 'text', text: '**Bold** and [link](https://x.io)' }]);
  });

  it('gives the model its instructions, <context>, <user_info> and a bounded history', async () => {
    const model = register('ctx', { chunks: ['ok'] });
    const w = await newWorld(t, { model, instructions: 'Be terse.', history_limit: 3 });
    const user = await t.app.inject({
      method: 'POST',
      url: '/v1/agents/users',
      headers: { 'x-api-key': w.key },
      payload: {
        reference: `u-${Date.now()}`,
        name: 'Alice',
        email: 'alice@acme.com',
        info: { plan: 'gold' },
      },
    });
    const sid = await newSession(t, w, { user: { id: user.json().id }, context: { page: '/pricing' } });
    for (const text of ['one', 'two', 'three'])
      expect((await send(w, sid, { content: text })).statusCode).toBe(200);
    const last = calls.get('ctx')!.at(-1)!;
    const system = last.prompt.find((m) => m.role === 'system');
    expect(system?.content).toContain('Be terse.');
    expect(system?.content).toContain('<context>\n{"page":"/pricing"}\n</context>');
    expect(system?.content).toContain('"name":"Alice"');
    expect(system?.content).toContain('"plan":"gold"');
    const turns = last.prompt.filter((m) => m.role !== 'system');
    expect(turns.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(turns.at(-1))).toContain('three');
  });

  it('sends images and PDFs to the model as real multimodal parts', async () => {
    const model = register('mm', { chunks: ['seen'] });
    const w = await newWorld(t, { model });
    const up = async (name: string, data: Buffer) => {
      const mp = multipartBody([{ name: 'file', filename: name, data }]);
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/agents/files',
        headers: { 'x-api-key': w.key, ...mp.headers },
        payload: mp.payload,
      });
      expect(r.statusCode, r.body).toBe(200);
      return r.json().id as string;
    };
    const img = await up('pixel.png', PNG);
    const pdf = await up('doc.pdf', Buffer.from('%PDF-1.4\n%%EOF\n'));
    const txt = await up('notes.md', Buffer.from('# Notes\nremember the milk'));
    const doc = await up(
      'contract.docx',
      await makeDocx(['Clause one: pay on time.', 'Clause two: be nice.']),
    );
    const sid = await newSession(t, w);
    const res = await send(w, sid, {
      content: [
        { type: 'text', text: 'Look at these' },
        { type: 'image', file_id: img },
        { type: 'file', file_id: pdf },
        { type: 'file', file_id: txt },
        { type: 'file', file_id: doc },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().user_message.content).toEqual([
      { type: 'text', text: 'Look at these' },
      { type: 'image', file_id: img },
      { type: 'file', file_id: pdf },
      { type: 'file', file_id: txt },
      { type: 'file', file_id: doc },
    ]);
    const user = calls
      .get('mm')!
      .at(-1)!
      .prompt.find((m) => m.role === 'user')!;
    const parts = user.content as Array<{ type: string; mediaType?: string; text?: string; data?: unknown }>;
    expect(parts.map((p) => p.type)).toEqual(['text', 'file', 'file', 'text', 'text']);
    expect(parts[1]?.mediaType).toBe('image/png');
    expect(parts[2]?.mediaType).toBe('application/pdf');
    expect(parts[3]?.text).toContain('remember the milk');
    expect(parts[4]?.text).toBe('[file contract.docx]\nClause one: pay on time.\n\nClause two: be nice.');

    // a deleted file reaches the model as "[file removed]" on the next turn
    await t.app.inject({ method: 'DELETE', url: `/v1/agents/files/${img}`, headers: { 'x-api-key': w.key } });
    await send(w, sid, { content: 'again' });
    const first = calls
      .get('mm')!
      .at(-1)!
      .prompt.find((m) => m.role === 'user')!;
    expect(JSON.stringify(first.content)).toContain('[file removed]');
  });

  it('answers 502 with the stored failed reply; the user message is kept and failed replies leave the history', async () => {
    const model = register('boom', { chunks: ['partial ', 'text'], fail: 'error', failAfter: 1 });
    const w = await newWorld(t, { model });
    const sid = await newSession(t, w);
    const res = await send(w, sid, { content: 'will fail' });
    expect(res.statusCode).toBe(502);
    const err = expectEnvelope(res.body, 'model_error');
    const failedId = err.error.context['message_id'] as string;
    const rows = await messageRows(sid);
    expect(rows.map((r) => [r.role, r.status])).toEqual([
      ['user', 'completed'],
      ['assistant', 'failed'],
    ]);
    expect(rows[1]?.id).toBe(failedId);
    expect(rows[1]?.content).toEqual([{ type: 'text', text: 'partial ' }]);

    const ok = register('boom-then-ok', { chunks: ['fine'] });
    await t.app.inject({
      method: 'PATCH',
      url: `/v1/admin/workspaces/${w.workspaceId}/agents/${w.agentId}`,
      headers: operatorHeaders,
      payload: { model: ok },
    });
    expect((await send(w, sid, { content: 'second try' })).statusCode).toBe(200);
    const prompt = calls.get('boom-then-ok')!.at(-1)!.prompt;
    expect(JSON.stringify(prompt)).not.toContain('partial');
    expect(prompt.filter((m) => m.role === 'user')).toHaveLength(2);
  });

  it('answers 502 naming the missing variable when the provider is not configured', async () => {
    const w = await newWorld(t, { model: 'openai:gpt-4o-mini' });
    const sid = await newSession(t, w);
    const res = await send(w, sid, { content: 'hi' });
    expect(res.statusCode).toBe(502);
    expect(expectEnvelope(res.body, 'model_error').error.message).toContain('OPENAI_API_KEY');
  });

  it('runs one generation at a time per conversation, in arrival order', async () => {
    const model = register('fifo', {
      delayMs: 40,
      chunks: (o) => {
        const last = JSON.stringify(o.prompt.at(-1));
        return [`reply-to-${last.includes('first') ? 'first' : 'second'}`];
      },
    });
    const w = await newWorld(t, { model });
    const sid = await newSession(t, w);
    const [a, b] = await Promise.all([
      send(w, sid, { content: 'first' }),
      send(w, sid, { content: 'second' }),
    ]);
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    const rows = (await messageRows(sid)).sort((x, y) => (x.id < y.id ? -1 : 1));
    expect(rows.map((r) => (r.content[0] as { text: string }).text)).toEqual([
      'first',
      'reply-to-first',
      'second',
      'reply-to-second',
    ]);
    // the second generation saw the first exchange
    expect(JSON.stringify(calls.get('fifo')![1]!.prompt)).toContain('reply-to-first');
  });

  it('rejects bad input with the contract status and stores nothing', async () => {
    const w = await newWorld(t);
    const sid = await newSession(t, w);
    const cases: Array<[unknown, number, string]> = [
      [{}, 400, 'invalid_request'],
      [{ content: '' }, 422, 'validation_error'],
      [{ content: 'x'.repeat(32_001) }, 422, 'validation_error'],
      [{ content: 42 }, 422, 'validation_error'],
      [{ content: 'hi', role: 'system' }, 422, 'validation_error'],
      [{ content: [] }, 422, 'validation_error'],
      [{ content: Array.from({ length: 21 }, () => ({ type: 'text', text: 'a' })) }, 422, 'validation_error'],
      [
        {
          content: [
            { type: 'text', text: 'x'.repeat(16_001) },
            { type: 'text', text: 'y'.repeat(16_000) },
          ],
        },
        422,
        'validation_error',
      ],
      [{ content: [{ type: 'image' }] }, 422, 'validation_error'],
      [
        { content: [{ type: 'file', file_id: '01a1fd41-0000-7000-8000-000000000000' }] },
        422,
        'file_not_found',
      ],
      [{ content: [{ type: 'file', file_id: 'not-a-uuid' }] }, 422, 'file_not_found'],
      [{ content: 'hi', metadata: { big: 'x'.repeat(17_000) } }, 422, 'validation_error'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await send(w, sid, payload);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(status);
      expectEnvelope(res.body, code);
    }
    const issues = expectEnvelope((await send(w, sid, { content: 42 })).body, 'validation_error').error
      .context['issues'];
    expect(JSON.stringify(issues)).toContain('content');
    expect(await messageRows(sid)).toHaveLength(0);
  });

  it('answers malformed JSON, wrong content type and oversize bodies before touching anything', async () => {
    const w = await newWorld(t);
    const sid = await newSession(t, w);
    const url = `/v1/agents/sessions/${sid}/messages`;
    const bad = await t.app.inject({
      method: 'POST',
      url,
      headers: { 'x-api-key': w.key, 'content-type': 'application/json' },
      payload: '{"content":',
    });
    expect(bad.statusCode).toBe(400);
    expectEnvelope(bad.body, 'invalid_request');
    const text = await t.app.inject({
      method: 'POST',
      url,
      headers: { 'x-api-key': w.key, 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expect(text.statusCode).toBe(400);
    expectEnvelope(text.body, 'invalid_request');
    const big = await t.app.inject({
      method: 'POST',
      url,
      headers: { 'x-api-key': w.key, 'content-type': 'application/json' },
      payload: JSON.stringify({ content: 'x'.repeat(1024 * 1024) }),
    });
    expect(big.statusCode).toBe(413);
    expect(expectEnvelope(big.body, 'request_too_large').error.context).toEqual({ limit_bytes: 1048576 });
    // credentials are checked before the body: no key + oversize body → 401
    const noKey = await t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ content: 'x'.repeat(1024 * 1024) }),
    });
    expect(noKey.statusCode).toBe(401);
    expect(await messageRows(sid)).toHaveLength(0);
  });

  it('hides other workspaces and enforces keys, scopes and allow-lists', async () => {
    const w = await newWorld(t);
    const other = await newWorld(t);
    const sid = await newSession(t, w);
    const missing = await send(w, '01a1fd41-0000-7000-8000-00000000abcd', { content: 'x' });
    const foreign = await send(other, sid, { content: 'x' });
    const malformed = await send(w, 'nope', { content: 'x' });
    expect([missing.statusCode, foreign.statusCode, malformed.statusCode]).toEqual([404, 404, 404]);
    expect(Object.keys(foreign.json().error.context)).toEqual(['resource', 'id']);
    expect(foreign.json().error.context.resource).toBe('session');

    const noKey = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${sid}/messages`,
      payload: { content: 'x' },
    });
    expectEnvelope(noKey.body, 'missing_api_key');
    expect(noKey.statusCode).toBe(401);
    const badKey = await send({ ...w, key: 'papo_sk_' + 'a'.repeat(40) }, sid, { content: 'x' });
    expect(badKey.statusCode).toBe(401);
    expectEnvelope(badKey.body, 'invalid_api_key');
    const pub = await newKey(t, w.workspaceId, { type: 'public', name: 'pk' });
    const pubRes = await send({ ...w, key: pub.key }, sid, { content: 'x' });
    expect(pubRes.statusCode).toBe(403);
    expect(expectEnvelope(pubRes.body, 'insufficient_scope').error.context).toEqual({
      required_scope: 'agent:run',
    });
    const otherAgent = await newAgent(t, w.workspaceId);
    const limited = await newKey(t, w.workspaceId, { type: 'secret', agent_ids: [otherAgent] });
    const denied = await send({ ...w, key: limited.key }, sid, { content: 'x' });
    expect(denied.statusCode).toBe(403);
    expect(expectEnvelope(denied.body, 'agent_not_allowed').error.context).toEqual({ agent_id: w.agentId });
    expect(await messageRows(sid)).toHaveLength(0);
  });

  it('refuses sends to closed sessions and to agents no longer runnable', async () => {
    const w = await newWorld(t);
    const sid = await newSession(t, w);
    await t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${sid}/terminate`,
      headers: { 'x-api-key': w.key },
    });
    const closed = await send(w, sid, { content: 'x' });
    expect(closed.statusCode).toBe(409);
    expect(expectEnvelope(closed.body, 'conversation_closed').error.context).toEqual({
      conversation_id: sid,
      status: 'closed',
    });

    const sid2 = await newSession(t, w);
    await t.app.inject({
      method: 'PATCH',
      url: `/v1/admin/workspaces/${w.workspaceId}/agents/${w.agentId}`,
      headers: operatorHeaders,
      payload: { status: 'inactive' },
    });
    const unavailable = await send(w, sid2, { content: 'x' });
    expect(unavailable.statusCode).toBe(409);
    expectEnvelope(unavailable.body, 'agent_unavailable');
  });

  it('replays an Idempotency-Key, refuses reuse with another body, and keeps keys free after 4xx', async () => {
    const w = await newWorld(t);
    const sid = await newSession(t, w);
    const first = await send(w, sid, { content: 'pay once' }, { 'idempotency-key': 'order-42' });
    const again = await send(w, sid, { content: 'pay once' }, { 'idempotency-key': 'order-42' });
    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(first.headers['idempotency-replayed']).toBeUndefined();
    expect(again.json()).toEqual(first.json());
    expect(await messageRows(sid)).toHaveLength(2);

    const reused = await send(w, sid, { content: 'different' }, { 'idempotency-key': 'order-42' });
    expect(reused.statusCode).toBe(409);
    expect(expectEnvelope(reused.body, 'idempotency_key_reused').error.context).toEqual({
      idempotency_key: 'order-42',
    });

    const malformed = await send(w, sid, { content: 'x' }, { 'idempotency-key': 'has space' });
    expect(malformed.statusCode).toBe(400);
    expectEnvelope(malformed.body, 'invalid_request');

    const invalid = await send(w, sid, { content: '' }, { 'idempotency-key': 'k-2' });
    expect(invalid.statusCode).toBe(422);
    const fixed = await send(w, sid, { content: '' }, { 'idempotency-key': 'k-2' });
    expect(fixed.statusCode).toBe(422); // not replayed: 4xx are not stored
    expect(fixed.headers['idempotency-replayed']).toBeUndefined();
    // the same key on another session is another scope
    const sid2 = await newSession(t, w);
    expect(
      (await send(w, sid2, { content: 'pay once' }, { 'idempotency-key': 'order-42' })).headers[
        'idempotency-replayed'
      ],
    ).toBeUndefined();
  });

  it('answers 409 idempotency_request_in_progress while the first request runs, and replays a stored 502', async () => {
    const model = register('slow-idem', { delayMs: 150, chunks: ['a', 'b'] });
    const w = await newWorld(t, { model });
    const sid = await newSession(t, w);
    const first = send(w, sid, { content: 'slow' }, { 'idempotency-key': 'slow-1' });
    // wait until the first request is generating (it holds the key), however slow the machine
    while (calls.get('slow-idem')!.length === 0) await new Promise((r) => setTimeout(r, 5));
    const during = await send(w, sid, { content: 'slow' }, { 'idempotency-key': 'slow-1' });
    expect(during.statusCode).toBe(409);
    expectEnvelope(during.body, 'idempotency_request_in_progress');
    expect((await first).statusCode).toBe(200);

    const failing = register('idem-fail', { fail: 'error' });
    const w2 = await newWorld(t, { model: failing });
    const sid2 = await newSession(t, w2);
    const a = await send(w2, sid2, { content: 'x' }, { 'idempotency-key': 'fail-1' });
    const b = await send(w2, sid2, { content: 'x' }, { 'idempotency-key': 'fail-1' });
    expect(a.statusCode).toBe(502);
    expect(b.statusCode).toBe(502);
    expect(b.headers['idempotency-replayed']).toBe('true');
    expect(b.json().error).toEqual(a.json().error);
    expect(calls.get('idem-fail')).toHaveLength(1);
  });

  it('limits requests with RateLimit headers and Retry-After', async () => {
    const w = await newWorld(t);
    const limited = await newKey(t, w.workspaceId, { type: 'secret', rate_limit_per_minute: 3 });
    const sid = await newSession(t, { ...w, key: limited.key });
    const r2 = await list({ ...w, key: limited.key }, sid);
    expect(r2.headers['ratelimit-limit']).toBe('3');
    expect(r2.headers['ratelimit-remaining']).toBe('1');
    await list({ ...w, key: limited.key }, sid);
    const over = await list({ ...w, key: limited.key }, sid);
    expect(over.statusCode).toBe(429);
    const err = expectEnvelope(over.body, 'rate_limited');
    expect(err.error.context).toMatchObject({ limit: 3, window_s: 60 });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(over.headers['ratelimit-remaining']).toBe('0');
    // per-conversation message limit of the agent
    const w2 = await newWorld(t, { rate_limits: { messages_per_minute_per_conversation: 1 } });
    const s2 = await newSession(t, w2);
    expect((await send(w2, s2, { content: 'a' })).statusCode).toBe(200);
    const second = await send(w2, s2, { content: 'b' });
    expect(second.statusCode).toBe(429);
    expect(second.headers['ratelimit-limit']).toBe('1');
  });
});

describe('A18 list and A12 get messages', () => {
  it('lists oldest first with roles, after/before and offset pagination', async () => {
    const w = await newWorld(t);
    const sid = await newSession(t, w);
    for (const c of ['a', 'b', 'c']) await send(w, sid, { content: c });
    const all = await list(w, sid, '?limit=100');
    const ids: string[] = all.json().items.map((m: { id: string }) => m.id);
    expect(ids).toHaveLength(6);
    expect([...ids].sort()).toEqual(ids);
    expect(all.json().next_offset).toBeNull();

    const page1 = await list(w, sid, '?limit=4');
    expect(page1.json().items).toHaveLength(4);
    expect(page1.json().next_offset).toBe(4);
    const page2 = await list(w, sid, '?limit=4&offset=4');
    expect(page2.json().items.map((m: { id: string }) => m.id)).toEqual(ids.slice(4));
    expect(page2.json().next_offset).toBeNull();

    const after = await list(w, sid, `?after=${ids[1]}&before=${ids[4]}`);
    expect(after.json().items.map((m: { id: string }) => m.id)).toEqual(ids.slice(2, 4));
    const users = await list(w, sid, '?roles=user');
    expect(users.json().items.map((m: { role: string }) => m.role)).toEqual(['user', 'user', 'user']);

    for (const q of [
      '?roles=',
      '?roles=user,bot',
      '?after=nope',
      '?limit=0',
      '?limit=101',
      '?offset=-1',
      '?limit=abc',
    ]) {
      const res = await list(w, sid, q);
      expect(res.statusCode, q).toBe(422);
      expectEnvelope(res.body, 'validation_error');
    }
  });

  it('answers 404 for a message of another session', async () => {
    const w = await newWorld(t);
    const s1 = await newSession(t, w);
    const s2 = await newSession(t, w);
    const m = (await send(w, s1, { content: 'x' })).json().user_message.id;
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/agents/sessions/${s2}/messages/${m}`,
      headers: { 'x-api-key': w.key },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.context).toEqual({ resource: 'message', id: m });
  });

  it('serves the /v1/agent alias and answers 405 with Allow for a known path', async () => {
    const w = await newWorld(t);
    const sid = await newSession(t, w);
    const alias = await t.app.inject({
      method: 'GET',
      url: `/v1/agent/sessions/${sid}`,
      headers: { 'x-api-key': w.key },
    });
    expect(alias.statusCode).toBe(200);
    const wrong = await t.app.inject({
      method: 'DELETE',
      url: `/v1/agents/sessions/${sid}/messages`,
      headers: { 'x-api-key': w.key },
    });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers['allow']).toBe('GET, POST');
    expectEnvelope(wrong.body, 'method_not_allowed');
    const unknown = await t.app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['x-request-id']).toBe(unknown.json().request_id);
    expectEnvelope(unknown.body, 'not_found');
  });
});

describe('idempotent replays', () => {
  it('are never served to a key that may not use the session', async () => {
    const w = await newWorld(t);
    const sid = await newSession(t, w);
    const first = await send(w, sid, { content: 'secret plans' }, { 'idempotency-key': 'leak-1' });
    expect(first.statusCode).toBe(200);
    const otherAgent = await newAgent(t, w.workspaceId);
    const limited = await newKey(t, w.workspaceId, { type: 'secret', agent_ids: [otherAgent] });
    const replay = await send(
      { ...w, key: limited.key },
      sid,
      { content: 'secret plans' },
      { 'idempotency-key': 'leak-1' },
    );
    expect(replay.statusCode).toBe(403);
    expect(replay.body).not.toContain('secret plans');
  });
});
