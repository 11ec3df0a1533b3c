import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPublicConversation } from '../../../../test/factories.js';
import { PNG } from '../../../../test/fixtures.js';
import { createTestApp, type TestApp } from '../../../../test/harness.js';
import { call, expectError } from '../../../../test/http.js';
import { multipartBody } from '../../../../test/multipart.js';
import { parseSse } from '../../../../test/sse-client.js';

let t: TestApp;
let limited: TestApp;
let base: string;
const P = '/v1/public/agents';

beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  limited = await createTestApp({ env: { PAPO_RATE_LIMIT_SESSION_TOKEN: '3' } });
});
afterAll(async () => {
  await t.close();
  await limited.close();
});

const conversation = (app: TestApp = t, agent: Record<string, unknown> = {}) =>
  newPublicConversation(app, agent);

describe('messages on the Public Chat API', () => {
  it('P6 sends and replies, with Idempotency-Key replays; P8 lists and P9 reads', async () => {
    const c = await conversation();
    const url = `${P}/conversations/${c.id}/messages`;
    const first = await call(t.app, 'POST', url, { ...c.h, 'idempotency-key': 'k1' }, { content: 'Olá' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().agent_message.content[0].text).toContain('Olá');
    const again = await call(t.app, 'POST', url, { ...c.h, 'idempotency-key': 'k1' }, { content: 'Olá' });
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const list = await call(t.app, 'GET', url, c.h);
    expect(list.json().items.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    const one = await call(t.app, 'GET', `${url}/${first.json().agent_message.id}`, c.h);
    expect(one.json()).toEqual(first.json().agent_message);
    const state = await call(t.app, 'GET', `${P}/conversations/${c.id}`, c.h);
    expect(state.json().messages_count).toBe(2);
  });

  it('P7 streams with conversation_id and P14 resumes with the session token', async () => {
    const c = await conversation();
    const res = await fetch(`${base}${P}/conversations/${c.id}/messages/stream`, {
      method: 'POST',
      headers: { ...c.h, 'content-type': 'application/json', origin: 'https://shop.example.com' },
      body: JSON.stringify({ content: 'stream please' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const { events } = parseSse(await res.text());
    const started = JSON.parse(events[0]!.data!);
    expect(started).toEqual({ stream_id: expect.any(String), conversation_id: c.id });
    expect(events.at(-1)!.event).toBe('done');
    const resumed = await fetch(`${base}${P}/conversations/${c.id}/streams/${started.stream_id}`, {
      headers: { ...c.h, 'last-event-id': String(events.length - 2) },
    });
    const tail = parseSse(await resumed.text()).events;
    expect(tail.map((e) => e.event)).toEqual(['agent_message.completed', 'done']);
    // another conversation's token cannot follow this stream
    const other = await conversation();
    const foreign = await fetch(`${base}${P}/conversations/${c.id}/streams/${started.stream_id}`, {
      headers: other.h,
    });
    expect(foreign.status).toBe(403);
  });

  it('content blocks may name only files of the same conversation', async () => {
    const c = await conversation();
    const mp = multipartBody([{ name: 'file', filename: 'p.png', data: PNG }]);
    const pool = await t.app.inject({
      method: 'POST',
      url: '/v1/agents/files',
      headers: { 'x-api-key': c.sk, ...mp.headers },
      payload: mp.payload,
    });
    expect(pool.statusCode).toBe(200);
    const res = await call(t.app, 'POST', `${P}/conversations/${c.id}/messages`, c.h, {
      content: [{ type: 'image', file_id: pool.json().id }],
    });
    expect(expectError(res, 422, 'file_not_found').error.context).toEqual({ file_id: pool.json().id });
    // the Agent API may use the same pool file in the same conversation
    const viaAgentApi = await call(
      t.app,
      'POST',
      `/v1/agents/sessions/${c.id}/messages`,
      { 'x-api-key': c.sk },
      {
        content: [{ type: 'image', file_id: pool.json().id }],
      },
    );
    expect(viaAgentApi.statusCode).toBe(200);
  });

  it('an idle conversation expires; sends answer 409 and the state says expired', async () => {
    const c = await conversation(t, { idle_ttl_seconds: 300, session_token_ttl_seconds: 3600 });
    t.clock.advance(301_000);
    const send = await call(t.app, 'POST', `${P}/conversations/${c.id}/messages`, c.h, { content: 'late' });
    expect(expectError(send, 409, 'conversation_closed').error.context).toEqual({
      conversation_id: c.id,
      status: 'expired',
    });
    expect((await call(t.app, 'GET', `${P}/conversations/${c.id}`, c.h)).json().status).toBe('expired');
  });

  it('counts session-token requests with RateLimit headers and Retry-After', async () => {
    const c = await conversation(limited);
    const get = () => call(limited.app, 'GET', `${P}/conversations/${c.id}`, c.h);
    const r1 = await get();
    expect(r1.headers['ratelimit-limit']).toBe('3');
    expect(r1.headers['ratelimit-remaining']).toBe('2');
    await get();
    await get();
    const over = await get();
    expectError(over, 429, 'rate_limited');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
  });
});
