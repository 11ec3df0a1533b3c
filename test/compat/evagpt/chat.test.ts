import { eq } from 'drizzle-orm';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages as messagesTable, usageRecords } from '../../../src/platform/db/schema/index.js';
import { setAgentStatus } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { MISSING_ID } from '../../http.js';
import { mockRegistry } from '../../mock-model.js';
import {
  EVA,
  eva,
  evaWorld,
  eventually,
  expectIso,
  expectProblem,
  newEvaConversation,
  type EvaWorld,
} from './eva.js';

let t: TestApp;
let base: string;
const mocks = mockRegistry();

beforeAll(async () => {
  t = await createTestApp({ providers: { mock: mocks.provider } });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => t.close());

const rows = (conversationId: string) =>
  t.db.db.select().from(messagesTable).where(eq(messagesTable.conversationId, conversationId));

interface ChatMessageOut {
  id: string;
  text: string;
  role: 'user' | 'assistant';
  createdAt: string;
  feedback: 'like' | 'dislike' | null;
}

const messagesOf = async (w: EvaWorld, id: string) => {
  const res = await eva(t, 'GET', `/conversation/message/${id}`, w.h);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string; messages: ChatMessageOut[] }>();
};

const streamReq = (w: EvaWorld, id: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${base}${EVA}/conversation/stream/${id}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${w.key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });

describe('E10 POST /conversation/complete/:idConversation', () => {
  it('answers sendMensages with exactly the reply, stores both messages and usage', async () => {
    const model = mocks.register('complete', { chunks: ['Olá! ', 'Como posso ', 'ajudar?'] });
    const w = await evaWorld(t, { model });
    const id = await newEvaConversation(t, w);
    const res = await eva(t, 'POST', `/conversation/complete/${id}`, w.h, {
      text: 'Hello, can you help me?',
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ id: string; sendMensages: Array<Record<string, unknown>> }>();
    expect(Object.keys(body).sort()).toEqual(['id', 'sendMensages']);
    expect(body.id).toBe(id);
    expect(body.sendMensages).toHaveLength(1);
    const m = body.sendMensages[0]!;
    expect(Object.keys(m).sort()).toEqual(['createdAt', 'id', 'role', 'text']);
    expect(m).toMatchObject({ text: 'Olá! Como posso ajudar?', role: 'assistant' });
    expectIso(m['createdAt']);

    const stored = await rows(id);
    expect(stored.map((r) => r.role).sort()).toEqual(['assistant', 'user']);
    const usage = await t.db.db.select().from(usageRecords).where(eq(usageRecords.conversationId, id));
    expect(usage).toHaveLength(1);
    // the conversation title is the first user text (EvaGPT `description`)
    const conv = await eva(t, 'GET', `/conversation/${id}`, w.h);
    expect(conv.json<{ description: string }>().description).toBe('Hello, can you help me?');
  });

  it('keeps the history: the second reply sees the first exchange', async () => {
    const model = mocks.register('history', {
      chunks: (o) => [`turns=${o.prompt.filter((p) => p.role === 'user').length}`],
    });
    const w = await evaWorld(t, { model });
    const id = await newEvaConversation(t, w);
    await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: 'um' });
    const res = await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: 'dois' });
    expect(res.json<{ sendMensages: Array<{ text: string }> }>().sendMensages[0]!.text).toBe('turns=2');
  });

  it('409 conversation-closed, 409 agent-unavailable, 502 bad-gateway, 404, 400 — nothing stored on refusals', async () => {
    const w = await evaWorld(t);
    const closed = await newEvaConversation(t, w);
    await t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${closed}/terminate`,
      headers: { 'x-api-key': w.key },
      payload: {},
    });
    expectProblem(
      await eva(t, 'POST', `/conversation/complete/${closed}`, w.h, { text: 'oi' }),
      409,
      'conversation-closed',
    );
    expect(await rows(closed)).toHaveLength(0);

    const id = await newEvaConversation(t, w);
    await setAgentStatus(t, w.ws, w.agentId, 'inactive');
    expectProblem(
      await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: 'oi' }),
      409,
      'agent-unavailable',
    );
    expectProblem(
      await eva(t, 'POST', `/conversation/complete/${MISSING_ID}`, w.h, { text: 'oi' }),
      404,
      'not-found',
    );
    expectProblem(
      await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: '' }),
      400,
      'bad-request',
    );
    expectProblem(
      await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: 'x'.repeat(32_001) }),
      400,
      'bad-request',
    );
    expect(await rows(id)).toHaveLength(0);

    const broken = mocks.register('broken', { fail: 'error', failAfter: 1, chunks: ['partial ', 'more'] });
    const w2 = await evaWorld(t, { model: broken });
    const c2 = await newEvaConversation(t, w2);
    const failed = expectProblem(
      await eva(t, 'POST', `/conversation/complete/${c2}`, w2.h, { text: 'oi' }),
      502,
      'bad-gateway',
    );
    expect(failed.detail).not.toContain('secret-internal-detail');
    const stored = await rows(c2);
    expect(stored.find((r) => r.role === 'assistant')?.status).toBe('failed');
  });
});

describe('E9 POST /conversation/stream/:idConversation', () => {
  it('streams the raw reply text as chunked text/plain and stores it', async () => {
    const model = mocks.register('stream', {
      // the last two chunks split an emoji's surrogate pair
      chunks: ['Olá, ', 'tudo ', 'bem? ', 'Çà \uD83C', '\uDF89'],
      delayMs: 5,
    });
    const w = await evaWorld(t, { model });
    const id = await newEvaConversation(t, w);
    const res = await streamReq(w, id, { text: 'Hello, can you help me?' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('x-conversation-id')).toBe(id);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('content-encoding')).toBeNull();
    const messageId = res.headers.get('x-message-id');
    const text = await res.text();
    expect(text).toBe('Olá, tudo bem? Çà 🎉');
    const stored = await eventually(async () =>
      (await rows(id)).find((r) => r.role === 'assistant' && r.id === messageId),
    );
    expect(stored.content).toEqual([{ type: 'text', text }]);
    const read = await messagesOf(w, id);
    expect(read.messages.map((m) => [m.role, m.text])).toEqual([
      ['user', 'Hello, can you help me?'],
      ['assistant', text],
    ]);
  });

  it('errors before the first byte are problem+json', async () => {
    const w = await evaWorld(t);
    const res = await streamReq(w, MISSING_ID, { text: 'oi' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect((await res.json()) as unknown).toMatchObject({ type: 'urn:papo:problem:not-found', status: 404 });
    const id = await newEvaConversation(t, w);
    const bad = await streamReq(w, id, { text: '' });
    expect(bad.status).toBe(400);
    const noKey = await fetch(`${base}${EVA}/conversation/stream/${id}`, { method: 'POST' });
    expect(noKey.status).toBe(401);
    // a model that fails before its first chunk: 502 bad-gateway, the reply stored as failed
    const broken = mocks.register('fails-first', { fail: 'error', failAfter: 0, chunks: ['never'] });
    const w2 = await evaWorld(t, { model: broken });
    const c2 = await newEvaConversation(t, w2);
    const failed = await fetch(`${base}${EVA}/conversation/stream/${c2}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w2.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'oi' }),
    });
    expect(failed.status).toBe(502);
    expect(((await failed.json()) as { type: string }).type).toBe('urn:papo:problem:bad-gateway');
    expect((await rows(c2)).find((r) => r.role === 'assistant')?.status).toBe('failed');
  });

  it('a failure after the first byte aborts the connection (no clean end); the reply is stored failed', async () => {
    const broken = mocks.register('fails-mid', {
      fail: 'error',
      failAfter: 2,
      chunks: ['um ', 'dois ', 'três'],
    });
    const w = await evaWorld(t, { model: broken });
    const id = await newEvaConversation(t, w);
    const outcome = await new Promise<{ status: number; body: string; error: boolean }>((resolve) => {
      const req = http.request(
        `${base}${EVA}/conversation/stream/${id}`,
        { method: 'POST', headers: { authorization: `Bearer ${w.key}`, 'content-type': 'application/json' } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, error: false }));
          res.on('error', () => resolve({ status: res.statusCode ?? 0, body, error: true }));
          res.on('aborted', () => resolve({ status: res.statusCode ?? 0, body, error: true }));
        },
      );
      req.on('error', () => resolve({ status: 0, body: '', error: true }));
      req.end(JSON.stringify({ text: 'conte até três' }));
    });
    expect(outcome.status).toBe(200);
    expect(outcome.error).toBe(true);
    expect(outcome.body).toBe('um dois ');
    const reply = await eventually(async () => (await rows(id)).find((r) => r.role === 'assistant'));
    expect(reply.status).toBe('failed');
  });

  it('a client that disconnects does not stop the generation: the full reply is stored', async () => {
    const slow = mocks.register('slow', { chunks: ['a ', 'b ', 'c ', 'd ', 'e'], delayMs: 30 });
    const w = await evaWorld(t, { model: slow });
    const id = await newEvaConversation(t, w);
    const abort = new AbortController();
    const res = await streamReq(w, id, { text: 'oi' }, abort.signal);
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    const reply = await eventually(async () =>
      (await rows(id)).find((r) => r.role === 'assistant' && r.status === 'completed'),
    );
    expect(reply.content).toEqual([{ type: 'text', text: 'a b c d e' }]);
  });

  it('sends queue per conversation: two streams in a row keep their order', async () => {
    const model = mocks.register('queue', {
      chunks: (o) => [`reply to ${JSON.stringify(o.prompt.at(-1))}`.slice(0, 20)],
      delayMs: 5,
    });
    const w = await evaWorld(t, { model });
    const id = await newEvaConversation(t, w);
    const [a, b] = await Promise.all([
      streamReq(w, id, { text: 'first' }).then((r) => r.text()),
      streamReq(w, id, { text: 'second' }).then((r) => r.text()),
    ]);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    const read = await messagesOf(w, id);
    expect(read.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(read.messages[0]!.text).toBe('first');
    expect(read.messages[2]!.text).toBe('second');
  });
});

describe('E6 GET /conversation/message/:idConversation', () => {
  it('lists visible messages oldest first with every field; 404 for unknown ids', async () => {
    const w = await evaWorld(t);
    const id = await newEvaConversation(t, w);
    await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: 'Primeira pergunta' });
    const body = await messagesOf(w, id);
    expect(body.id).toBe(id);
    expect(body.messages).toHaveLength(2);
    for (const m of body.messages) {
      expect(Object.keys(m).sort()).toEqual(['createdAt', 'feedback', 'id', 'role', 'text']);
      expectIso(m.createdAt);
      expect(m.feedback).toBeNull();
    }
    expect(body.messages[0]).toMatchObject({ role: 'user', text: 'Primeira pergunta' });
    expect(body.messages[1]!.role).toBe('assistant');
    expect(body.messages[1]!.text.length).toBeGreaterThan(0);
    expectProblem(await eva(t, 'GET', `/conversation/message/${MISSING_ID}`, w.h), 404, 'not-found');
  });
});

describe('E11 POST /conversation/message/feedback/:idmessage', () => {
  it('like → positive, dislike → negative, replacing the previous value', async () => {
    const w = await evaWorld(t);
    const id = await newEvaConversation(t, w);
    const sent = await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: 'oi' });
    const replyId = sent.json<{ sendMensages: Array<{ id: string }> }>().sendMensages[0]!.id;

    const like = await eva(t, 'POST', `/conversation/message/feedback/${replyId}`, w.h, { feedback: 'like' });
    expect(like.statusCode, like.body).toBe(200);
    expect(like.json()).toEqual({ id: replyId, feedback: 'like' });
    expect((await rows(id)).find((r) => r.id === replyId)?.feedback).toBe('positive');
    expect((await messagesOf(w, id)).messages[1]!.feedback).toBe('like');

    const dislike = await eva(t, 'POST', `/conversation/message/feedback/${replyId}`, w.h, {
      feedback: 'dislike',
    });
    expect(dislike.json()).toEqual({ id: replyId, feedback: 'dislike' });
    expect((await rows(id)).find((r) => r.id === replyId)?.feedback).toBe('negative');
    expect((await messagesOf(w, id)).messages[1]!.feedback).toBe('dislike');
  });

  it('400 for user messages and bad bodies, 404 for unknown or foreign messages; nothing changes', async () => {
    const w = await evaWorld(t);
    const id = await newEvaConversation(t, w);
    await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: 'oi' });
    const [user, reply] = (await messagesOf(w, id)).messages;
    expectProblem(
      await eva(t, 'POST', `/conversation/message/feedback/${user!.id}`, w.h, { feedback: 'like' }),
      400,
      'bad-request',
    );
    for (const body of [{}, { feedback: 'love' }, { feedback: null }, { feedback: 1 }]) {
      expectProblem(
        await eva(t, 'POST', `/conversation/message/feedback/${reply!.id}`, w.h, body),
        400,
        'bad-request',
      );
    }
    expectProblem(
      await eva(t, 'POST', `/conversation/message/feedback/${MISSING_ID}`, w.h, { feedback: 'like' }),
      404,
      'not-found',
    );
    expectProblem(
      await eva(t, 'POST', '/conversation/message/feedback/xyz', w.h, { feedback: 'like' }),
      404,
      'not-found',
    );
    const other = await evaWorld(t);
    expectProblem(
      await eva(t, 'POST', `/conversation/message/feedback/${reply!.id}`, other.h, { feedback: 'like' }),
      404,
      'not-found',
    );
    expect((await rows(id)).every((r) => r.feedback === null)).toBe(true);
  });
});

describe('E12 POST /conversation/survey/:idconv', () => {
  it('upserts the CSAT score (survey, or its synonym score; survey wins), in every status', async () => {
    const w = await evaWorld(t);
    const id = await newEvaConversation(t, w);
    const first = await eva(t, 'POST', `/conversation/survey/${id}`, w.h, { survey: 4 });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ id, survey: 4 });
    expect((await eva(t, 'POST', `/conversation/survey/${id}`, w.h, { score: 2 })).json()).toMatchObject({
      survey: 2,
    });
    expect(
      (await eva(t, 'POST', `/conversation/survey/${id}`, w.h, { survey: 5, score: 1 })).json(),
    ).toMatchObject({
      survey: 5,
    });
    await t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${id}/terminate`,
      headers: { 'x-api-key': w.key },
      payload: {},
    });
    expect((await eva(t, 'POST', `/conversation/survey/${id}`, w.h, { survey: 3 })).json()).toMatchObject({
      survey: 3,
    });
    expect((await eva(t, 'GET', `/conversation/${id}`, w.h)).json()).toMatchObject({ survey: 3 });
    const listed = await eva(t, 'GET', '/conversation', w.h);
    expect(listed.json<{ conversations: Array<{ survey: number }> }>().conversations[0]!.survey).toBe(3);
  });

  it('400 for scores outside 1–5 or missing, 404 for unknown conversations; nothing changes', async () => {
    const w = await evaWorld(t);
    const id = await newEvaConversation(t, w);
    await eva(t, 'POST', `/conversation/survey/${id}`, w.h, { survey: 2 });
    for (const body of [{}, { survey: 0 }, { survey: 6 }, { survey: '5' }, { survey: 4.5 }, { score: 9 }]) {
      expectProblem(await eva(t, 'POST', `/conversation/survey/${id}`, w.h, body), 400, 'bad-request');
    }
    expect((await eva(t, 'GET', `/conversation/${id}`, w.h)).json()).toMatchObject({ survey: 2 });
    expectProblem(
      await eva(t, 'POST', `/conversation/survey/${MISSING_ID}`, w.h, { survey: 5 }),
      404,
      'not-found',
    );
  });
});
