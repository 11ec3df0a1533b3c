import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../harness.js';
import { MISSING_ID } from '../../http.js';
import { mockRegistry } from '../../mock-model.js';
import { parseSse, readUntil } from '../../sse-client.js';
import { PNG } from '../../fixtures.js';
import { isUuidV7 } from '../../../src/platform/ids.js';
import { expectPublicMessage, G, g, genniaWorld, waitFor, type GenniaWorld, type Paged } from './gennia.js';

// gennia.md §3.2: POST /agents/{a}/messages/stream (SSE).
let t: TestApp;
let base: string;
const mocks = mockRegistry();
const chatty = mocks.register('chatty', {
  chunks: ['Hello', ', ', 'stream', '!'],
  usage: { input: 7, output: 4 },
});
const slow = mocks.register('slow', { chunks: ['one ', 'two ', 'three'], delayMs: 400 });
const broken = mocks.register('broken', { fail: 'error', failAfter: 2, chunks: ['half ', 'a ', 'reply'] });

beforeAll(async () => {
  t = await createTestApp({ providers: { mock: mocks.provider } });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => t.close());

const stream = (w: GenniaWorld, body: unknown, agentId = w.agentId, signal?: AbortSignal, key = w.key) =>
  fetch(`${base}${G}/agents/${agentId}/messages/stream`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });

type Ev = { event: string; data: Record<string, unknown> };

async function events(res: Response): Promise<{ text: string; list: Ev[] }> {
  const text = await res.text();
  const list = parseSse(text).events.map((e) => ({
    event: e.event!,
    data: JSON.parse(e.data!) as Record<string, unknown>,
  }));
  return { text, list };
}

describe('§3.2 streaming send', () => {
  it('conversation-id → text-delta… → debug-info → done, framed without ids; the reply is stored', async () => {
    const w = await genniaWorld(t, { model: chatty });
    const res = await stream(w, { content: 'Oi!', externalUserId: 'sse-user' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(isUuidV7(res.headers.get('x-request-id')!)).toBe(true);
    expect(res.headers.get('ratelimit-limit')).toBe('600');
    const { text, list } = await events(res);
    expect(text).not.toMatch(/^id:/m);
    expect(text).not.toMatch(/^retry:/m);
    for (const block of text.split('\n\n').filter((b) => b.trim() !== '')) {
      expect(block).toMatch(/^event: [a-z-]+\ndata: \{.*\}$/);
    }
    const names = list.map((e) => e.event);
    expect(names[0]).toBe('conversation-id');
    expect(names.slice(1, -2).every((n) => n === 'text-delta')).toBe(true);
    expect(names.slice(-2)).toEqual(['debug-info', 'done']);
    expect(names.length).toBe(7);

    const id = list[0]!.data['conversationPublicId'] as string;
    expect(list[0]!.data).toEqual({ conversationPublicId: id });
    const deltas = list.filter((e) => e.event === 'text-delta').map((e) => e.data['delta']);
    expect(deltas.join('')).toBe('Hello, stream!');
    const debug = list.at(-2)!.data;
    expect(debug).toEqual({
      model: chatty,
      tokenUsage: { inputTokens: 7, outputTokens: 4, totalTokens: 11 },
      costUsd: 0,
      costOps: 0,
      durationMs: expect.any(Number),
    });
    const done = list.at(-1)!.data['message'] as Record<string, unknown>;
    expectPublicMessage(done, 'agent');
    expect(done).toMatchObject({ content: 'Hello, stream!', conversationPublicId: id });

    const stored = (await g(t, 'GET', `/conversations/${id}/messages`, w.key)).json<
      Paged<{ publicId: string; content: string }>
    >();
    expect(stored.items.map((m) => m.content)).toEqual(['Oi!', 'Hello, stream!']);
    expect(stored.items[1]!.publicId).toBe(done['publicId']);

    // the same external user streams into the same conversation
    const again = await events(await stream(w, { content: 'more', externalUserId: 'sse-user' }));
    expect(again.list[0]!.data['conversationPublicId']).toBe(id);
  });

  it('timeoutSeconds is ignored: a slow reply streams to the end', async () => {
    const w = await genniaWorld(t, { model: slow });
    const { list } = await events(await stream(w, { content: 'x', timeoutSeconds: 1 }));
    expect(list.map((e) => e.event).slice(-2)).toEqual(['debug-info', 'done']);
    expect((list.at(-1)!.data['message'] as { content: string }).content).toBe('one two three');
  });

  it('a provider failure mid-stream: deltas, then error UPSTREAM_ERROR, then done with null', async () => {
    const w = await genniaWorld(t, { model: broken });
    const { text, list } = await events(await stream(w, { content: 'x' }));
    expect(text).not.toContain('secret-internal-detail');
    const names = list.map((e) => e.event);
    expect(names[0]).toBe('conversation-id');
    expect(names).toContain('text-delta');
    expect(names.slice(-2)).toEqual(['error', 'done']);
    expect(names).not.toContain('debug-info');
    const error = list.at(-2)!.data;
    expect(Object.keys(error).sort()).toEqual(['code', 'details', 'message']);
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', details: [] });
    expect(list.at(-1)!.data).toEqual({ message: null });
  });

  it('pre-flight failures are in-stream with HTTP 200: error + done, conversation-id only when resolved', async () => {
    const w = await genniaWorld(t, { model: chatty });
    const draft = (await g(t, 'POST', '/agents', w.admin, { name: 'Never published' })).json()
      .publicId as string;
    const res = await stream(w, { content: 'x' }, draft);
    expect(res.status).toBe(200);
    const unpublished = (await events(res)).list;
    expect(unpublished).toEqual([
      { event: 'error', data: { code: 'AGENT_NOT_PUBLISHED', message: expect.any(String), details: [] } },
      { event: 'done', data: { message: null } },
    ]);

    const first = await events(await stream(w, { content: 'hi' }));
    const id = first.list[0]!.data['conversationPublicId'] as string;
    await t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${id}/terminate`,
      headers: { 'x-api-key': w.key },
    });
    const ended = (await events(await stream(w, { content: 'again', conversationId: id }))).list;
    expect(ended.map((e) => e.event)).toEqual(['conversation-id', 'error', 'done']);
    expect(ended[0]!.data).toEqual({ conversationPublicId: id });
    expect(ended[1]!.data['code']).toBe('CONVERSATION_ENDED');

    const badType = await events(
      await stream(w, {
        content: 'x',
        attachments: [{ base64: Buffer.from([0, 1, 2, 255]).toString('base64') }],
      }),
    );
    expect(badType.list.map((e) => [e.event, e.data['code']])).toEqual([
      ['error', 'UNSUPPORTED_MEDIA_TYPE'],
      ['done', undefined],
    ]);
    // nothing was created by the refused sends
    const list = (await g(t, 'GET', '/conversations', w.key)).json<Paged<unknown>>();
    expect(list.total).toBe(1);
  });

  it('HTTP-level errors answer JSON before any event: 400, 401, 403, 404', async () => {
    const w = await genniaWorld(t, { model: chatty });
    const cases: Array<[Response, number, string]> = [
      [await stream(w, { content: 'x', bogus: true }), 400, 'VALIDATION_ERROR'],
      [
        await stream(w, { content: 'x', attachments: [{ url: 'http://example.com/a' }] }),
        400,
        'VALIDATION_ERROR',
      ],
      [
        await stream(w, { content: 'x' }, w.agentId, undefined, `papo_sk_${'b'.repeat(40)}`),
        401,
        'INVALID_API_KEY',
      ],
      [await stream(w, { content: 'x' }, MISSING_ID), 404, 'AGENT_NOT_FOUND'],
      [await stream(w, { content: 'x', conversationId: MISSING_ID }), 404, 'CONVERSATION_NOT_FOUND'],
    ];
    for (const [res, status, code] of cases) {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await res.json()) as { code: string }).code).toBe(code);
    }
  });

  it("the agent's own rate limit is an HTTP 429 too, with Retry-After", async () => {
    const w = await genniaWorld(t, { model: chatty, rate_limits: { requests_per_minute: 1 } });
    expect((await events(await stream(w, { content: 'one' }))).list.at(-1)!.event).toBe('done');
    const res = await stream(w, { content: 'two' });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as { code: string }).code).toBe('RATE_LIMITED');
  });

  it('a client that disconnects does not abort the generation: the reply is stored', async () => {
    const w = await genniaWorld(t, { model: slow });
    const abort = new AbortController();
    const res = await stream(
      w,
      { content: 'leaving early', externalUserId: 'leaver' },
      w.agentId,
      abort.signal,
    );
    const text = await readUntil(res, (s) => s.includes('event: text-delta'), abort);
    const id = (JSON.parse(parseSse(text).events[0]!.data!) as { conversationPublicId: string })
      .conversationPublicId;
    const reply = await waitFor(async () => {
      const page = (await g(t, 'GET', `/conversations/${id}/messages?role=agent`, w.key)).json<
        Paged<{ content: string }>
      >();
      return page.items[0];
    });
    expect(reply.content).toBe('one two three');
  });

  it('attachments work on the stream too', async () => {
    const w = await genniaWorld(t, { model: chatty });
    const { list } = await events(
      await stream(w, { content: '', attachments: [{ base64: PNG.toString('base64') }] }),
    );
    expect(list.map((e) => e.event).slice(-2)).toEqual(['debug-info', 'done']);
  });
});
