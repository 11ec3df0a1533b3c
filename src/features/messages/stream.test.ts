import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages as messagesTable } from '../../platform/db/schema/index.js';
import { newSession, newWorld, type World } from '../../../test/factories.js';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import { mockRegistry } from '../../../test/mock-model.js';
import { parseSse, readUntil } from '../../../test/sse-client.js';

let t: TestApp;
let base: string;
const mocks = mockRegistry();
const { register } = mocks;

beforeAll(async () => {
  t = await createTestApp({ providers: { mock: mocks.provider } });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => t.close());

const stream = (w: World, sessionId: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${base}/v1/agents/sessions/${sessionId}/messages/stream`, {
    method: 'POST',
    headers: { 'x-api-key': w.key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });

const resume = (
  w: World,
  sessionId: string,
  streamId: string,
  headers: Record<string, string> = {},
  query = '',
) =>
  fetch(`${base}/v1/agents/sessions/${sessionId}/streams/${streamId}${query}`, {
    headers: { 'x-api-key': w.key, ...headers },
  });

const rows = (sid: string) =>
  t.db.db.select().from(messagesTable).where(eq(messagesTable.conversationId, sid));

async function waitFor<T>(fn: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('A11 streaming send', () => {
  it('streams the protocol events in order with ids, and stores the reply', async () => {
    const w = await newWorld(t);
    const sid = await newSession(t, w);
    const res = await stream(w, sid, { content: 'Hello stream' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('ratelimit-limit')).toBe('600');
    const { retry, events } = parseSse(await res.text());
    expect(retry).toBe(3000);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('stream.started');
    expect(names[1]).toBe('message.created');
    expect(names.at(-2)).toBe('agent_message.completed');
    expect(names.at(-1)).toBe('done');
    expect(names.slice(2, -2).every((n) => n === 'agent_message.delta')).toBe(true);
    expect(names.length).toBeGreaterThan(6);

    const started = JSON.parse(events[0]!.data!);
    expect(started).toEqual({ stream_id: expect.any(String), session_id: sid });
    const created = JSON.parse(events[1]!.data!);
    expect(created.message).toMatchObject({
      role: 'user',
      content: [{ type: 'text', text: 'Hello stream' }],
    });
    const deltas = events.filter((e) => e.event === 'agent_message.delta').map((e) => JSON.parse(e.data!));
    const completed = JSON.parse(events.at(-2)!.data!);
    expect(deltas.every((d) => d.message_id === completed.message.id)).toBe(true);
    expect(deltas.map((d) => d.delta).join('')).toBe(completed.message.content[0].text);
    expect(completed).toMatchObject({
      model: 'demo:papo-demo',
      cost_usd: 0,
      duration_ms: expect.any(Number),
    });
    expect(completed.usage).toEqual(completed.message.usage);
    expect(JSON.parse(events.at(-1)!.data!)).toEqual({});

    const stored = await rows(sid);
    expect(stored.map((r) => r.role).sort()).toEqual(['assistant', 'user']);
  });

  it('answers pre-stream errors as JSON envelopes', async () => {
    const w = await newWorld(t);
    const sid = await newSession(t, w);
    const assistant = await stream(w, sid, { content: 'x', role: 'assistant' });
    expect(assistant.status).toBe(422);
    expect(assistant.headers.get('content-type')).toContain('application/json');
    expect(((await assistant.json()) as { error: { code: string } }).error.code).toBe('validation_error');
    const missing = await stream(w, '01a1fd41-0000-7000-8000-0000000000ff', { content: 'x' });
    expect(missing.status).toBe(404);
    await fetch(`${base}/v1/agents/sessions/${sid}/terminate`, {
      method: 'POST',
      headers: { 'x-api-key': w.key },
    });
    const closed = await stream(w, sid, { content: 'x' });
    expect(closed.status).toBe(409);
    expect(((await closed.json()) as { error: { code: string } }).error.code).toBe('conversation_closed');
    expect(await rows(sid)).toHaveLength(0);
  });

  it('keeps generating when the client disconnects, stores the reply, and replays from Last-Event-ID', async () => {
    const model = register('slow', { delayMs: 60, chunks: ['one ', 'two ', 'three ', 'four ', 'five'] });
    const w = await newWorld(t, { model });
    const sid = await newSession(t, w);
    const abort = new AbortController();
    const res = await stream(w, sid, { content: 'go' }, abort.signal);
    const partial = await readUntil(res, (txt) => txt.includes('agent_message.delta'), abort).catch(() => '');
    const streamId = JSON.parse(parseSse(partial).events[0]!.data!).stream_id as string;

    const reply = await waitFor(async () => (await rows(sid)).find((r) => r.role === 'assistant'));
    expect(reply.status).toBe('completed');
    expect(reply.content).toEqual([{ type: 'text', text: 'one two three four five' }]);

    const replay = await resume(w, sid, streamId, { 'last-event-id': '2' });
    expect(replay.status).toBe(200);
    const { events } = parseSse(await replay.text());
    expect(events[0]!.id).toBe('3');
    expect(events.map((e) => e.event)).toEqual([
      'agent_message.delta',
      'agent_message.delta',
      'agent_message.delta',
      'agent_message.delta',
      'agent_message.delta',
      'agent_message.completed',
      'done',
    ]);
    const viaQuery = parseSse(await (await resume(w, sid, streamId, {}, '?last_event_id=7')).text()).events;
    expect(viaQuery.map((e) => e.id)).toEqual(['8', '9']);
    const fromStart = parseSse(await (await resume(w, sid, streamId)).text()).events;
    expect(fromStart[0]!.event).toBe('stream.started');
  });

  it('lets a second reader follow a live stream to the end', async () => {
    const model = register('live', { delayMs: 50, chunks: ['a', 'b', 'c', 'd'] });
    const w = await newWorld(t, { model });
    const sid = await newSession(t, w);
    const res = await stream(w, sid, { content: 'go' });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const streamId = JSON.parse(parseSse(first).events[0]!.data!).stream_id as string;
    const follower = await resume(w, sid, streamId, { 'last-event-id': '1' });
    const followed = parseSse(await follower.text()).events;
    expect(followed[0]!.id).toBe('2');
    expect(followed.at(-1)!.event).toBe('done');
    expect(
      followed
        .filter((e) => e.event === 'agent_message.delta')
        .map((e) => JSON.parse(e.data!).delta)
        .join(''),
    ).toBe('abcd');
    await reader.cancel();
  });

  it('ends with an error event naming the stored failed reply when the model fails', async () => {
    const model = register('fail', { chunks: ['par', 'tial'], fail: 'error', failAfter: 1 });
    const w = await newWorld(t, { model });
    const sid = await newSession(t, w);
    const { events } = parseSse(await (await stream(w, sid, { content: 'x' })).text());
    expect(events.map((e) => e.event)).toEqual([
      'stream.started',
      'message.created',
      'agent_message.delta',
      'error',
      'done',
    ]);
    const err = JSON.parse(events[3]!.data!);
    expect(err.error.code).toBe('model_error');
    expect(err.error.message).not.toContain('secret-internal-detail');
    const failed = (await rows(sid)).find((r) => r.id === err.message_id);
    expect(failed?.status).toBe('failed');
  });

  it('rejects bad resume requests', async () => {
    const w = await newWorld(t);
    const other = await newWorld(t);
    const sid = await newSession(t, w);
    const { events } = parseSse(await (await stream(w, sid, { content: 'x' })).text());
    const streamId = JSON.parse(events[0]!.data!).stream_id as string;
    expect((await resume(w, sid, streamId, { 'last-event-id': 'abc' })).status).toBe(400);
    const sid2 = await newSession(t, w);
    expect((await resume(w, sid2, streamId)).status).toBe(404);
    expect((await resume(w, sid, '01a1fd41-0000-7000-8000-0000000000aa')).status).toBe(404);
    const otherSid = await newSession(t, other);
    expect((await resume(other, otherSid, streamId)).status).toBe(404);
    expect((await resume(other, sid, streamId)).status).toBe(404);
  });
});
