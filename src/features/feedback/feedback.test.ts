import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationFeedback, conversations } from '../../platform/db/schema/index.js';
import { newPublicConversation, operatorHeaders } from '../../../test/factories.js';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import { bearer, call, expectError, ISO_MS, type Headers } from '../../../test/http.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const P = '/v1/public/agents';

interface Conv {
  id: string;
  ws: string;
  pk: string;
  sk: string;
  h: Headers;
}

const conversation = (agent: Record<string, unknown> = {}, ws?: string): Promise<Conv> =>
  newPublicConversation(t, agent, ws);

const submit = (c: { id: string; h: Headers }, body?: unknown, h: Headers = c.h) =>
  call(t.app, 'POST', `${P}/conversations/${c.id}/feedback`, h, body);

async function submitOk(c: Conv, body: unknown) {
  const res = await submit(c, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{
    id: string;
    score: number;
    comment: string | null;
    submitted_at: string;
    metadata: Record<string, unknown>;
  }>();
}

const rows = (id: string) =>
  t.db.db.select().from(conversationFeedback).where(eq(conversationFeedback.conversationId, id));

const detail = (c: Conv) =>
  call(t.app, 'GET', `/v1/admin/workspaces/${c.ws}/conversations/${c.id}`, operatorHeaders).then(
    (r) => r.json<{ feedback: unknown }>().feedback,
  );

describe('P12 submit feedback', () => {
  it('stores the feedback and answers the Feedback object', async () => {
    const c = await conversation();
    expect(await detail(c)).toBeNull();
    const fb = await submitOk(c, { score: 9, comment: 'Muito bom!', metadata: { page: '/checkout' } });
    expect(fb).toEqual({
      id: c.id,
      score: 9,
      comment: 'Muito bom!',
      submitted_at: expect.stringMatching(ISO_MS),
      metadata: { page: '/checkout' },
    });
    expect(Object.keys(fb).sort()).toEqual(['comment', 'id', 'metadata', 'score', 'submitted_at']);
    // the operator sees it on the conversation
    expect(await detail(c)).toEqual(fb);
  });

  it('accepts the edges of the scale, a null comment and 2,000 characters', async () => {
    const c = await conversation();
    expect(await submitOk(c, { score: 0 })).toMatchObject({ score: 0, comment: null, metadata: {} });
    expect(await submitOk(c, { score: 10, comment: null })).toMatchObject({ score: 10, comment: null });
    const long = 'é'.repeat(2000);
    expect((await submitOk(c, { score: 5, comment: long })).comment).toBe(long);
    // unknown fields are ignored
    expect(await submitOk(c, { score: 7, extra: true })).toMatchObject({ score: 7 });
  });

  it('is an upsert: each submission replaces the last entirely and omitted fields reset', async () => {
    const c = await conversation();
    const first = await submitOk(c, { score: 3, comment: 'meh', metadata: { a: 1 } });
    const [created] = await rows(c.id);
    t.clock.advance(60_000);
    const second = await submitOk(c, { score: 8 });
    expect(second).toEqual({
      id: c.id,
      score: 8,
      comment: null,
      submitted_at: expect.stringMatching(ISO_MS),
      metadata: {},
    });
    expect(new Date(second.submitted_at).getTime()).toBeGreaterThanOrEqual(
      new Date(first.submitted_at).getTime() + 60_000,
    );
    const stored = await rows(c.id);
    expect(stored).toHaveLength(1);
    // the first submission's time is kept as created_at
    expect(stored[0]!.createdAt.toISOString()).toBe(created!.createdAt.toISOString());
    expect(await detail(c)).toEqual(second);
  });

  it('settles concurrent submissions in SQL: one row, one of the submitted values', async () => {
    const c = await conversation();
    const results = await Promise.all([1, 2, 3, 4].map((score) => submit(c, { score })));
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    const stored = await rows(c.id);
    expect(stored).toHaveLength(1);
    expect([1, 2, 3, 4]).toContain(stored[0]!.score);
  });

  it('is accepted in closed and expired conversations', async () => {
    const closed = await conversation();
    await call(t.app, 'POST', `${P}/conversations/${closed.id}/terminate`, closed.h);
    expect(await submitOk(closed, { score: 2 })).toMatchObject({ id: closed.id, score: 2 });

    const idle = await conversation({ idle_ttl_seconds: 300, session_token_ttl_seconds: 3600 });
    t.clock.advance(301_000);
    const state = await call(t.app, 'GET', `${P}/conversations/${idle.id}`, idle.h);
    expect(state.json().status).toBe('expired');
    expect(await submitOk(idle, { score: 6 })).toMatchObject({ id: idle.id, score: 6 });
    // and feedback is not activity: the conversation stays expired
    expect((await call(t.app, 'GET', `${P}/conversations/${idle.id}`, idle.h)).json().status).toBe('expired');
  });

  it('refuses bad requests with the contract errors and changes nothing', async () => {
    const c = await conversation();
    const other = await conversation({}, c.ws);
    const kept = await submitOk(c, { score: 4, comment: 'kept', metadata: { k: 1 } });
    const unchanged = async () => {
      expect(await detail(c)).toEqual(kept);
      expect(await rows(c.id)).toHaveLength(1);
    };

    // 400: score missing, no body, not JSON, not an object
    for (const body of [{}, { comment: 'no score' }, { comment: 'x'.repeat(3000) }]) {
      expectError(await submit(c, body), 400, 'invalid_request');
    }
    expectError(await submit(c), 400, 'invalid_request');
    const notJson = await t.app.inject({
      method: 'POST',
      url: `${P}/conversations/${c.id}/feedback`,
      headers: { ...c.h, 'content-type': 'application/json' },
      payload: '{"score":',
    });
    expectError(notJson, 400, 'invalid_request');
    expectError(await submit(c, [1, 2]), 400, 'invalid_request');
    await unchanged();

    // 422: present but invalid
    const invalid: Array<[unknown, string]> = [
      [{ score: 11 }, 'score'],
      [{ score: -1 }, 'score'],
      [{ score: 7.5 }, 'score'],
      [{ score: '9' }, 'score'],
      [{ score: null }, 'score'],
      [{ score: 5, comment: 'x'.repeat(2001) }, 'comment'],
      [{ score: 5, comment: 42 }, 'comment'],
      [{ score: 5, metadata: [1] }, 'metadata'],
      [{ score: 5, metadata: 'x' }, 'metadata'],
      [{ score: 5, metadata: { big: 'x'.repeat(17_000) } }, 'metadata'],
    ];
    for (const [body, path] of invalid) {
      const err = expectError(await submit(c, body), 422, 'validation_error');
      const paths = (err.error.context['issues'] as Array<{ path: string }>).map((i) => i.path);
      expect(paths, JSON.stringify(body)).toContain(path);
    }
    await unchanged();

    // 413: body over 1 MiB
    expectError(await submit(c, { score: 5, comment: 'x'.repeat(1024 * 1024) }), 413, 'request_too_large');

    // 401 / 403: token errors
    expectError(await submit(c, { score: 1 }, {}), 401, 'missing_session_token');
    expectError(await submit(c, { score: 1 }, bearer('not.a.jwt')), 401, 'invalid_session_token');
    expectError(await submit(c, { score: 1 }, { 'x-api-key': c.sk }), 401, 'missing_session_token');
    expectError(await submit(c, { score: 1 }, { 'x-api-key': c.pk }), 401, 'missing_session_token');
    expectError(await submit(c, { score: 1 }, other.h), 403, 'session_token_scope_mismatch');
    await unchanged();
    expect(await rows(other.id)).toHaveLength(0);
  });

  it('answers 401 session_token_expired once the token is past exp', async () => {
    const c = await conversation({ session_token_ttl_seconds: 60 });
    t.clock.advance(60_000);
    expectError(await submit(c, { score: 1 }), 401, 'session_token_expired');
    expect(await rows(c.id)).toHaveLength(0);
  });

  it('answers 404 for a deleted conversation', async () => {
    const c = await conversation();
    await t.db.db.update(conversations).set({ deletedAt: t.clock.now() }).where(eq(conversations.id, c.id));
    const err = expectError(await submit(c, { score: 1 }), 404, 'not_found');
    expect(err.error.context).toEqual({ resource: 'conversation', id: c.id });
    expect(await rows(c.id)).toHaveLength(0);
  });
});
