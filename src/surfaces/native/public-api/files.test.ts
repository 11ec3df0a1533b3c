import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversations } from '../../../platform/db/schema/index.js';
import { isUuidV7 } from '../../../platform/ids.js';
import { newPublicConversation } from '../../../../test/factories.js';
import { PNG } from '../../../../test/fixtures.js';
import { createTestApp, type TestApp } from '../../../../test/harness.js';
import { bearer, call, expectError, ISO_MS, MISSING_ID, type Headers } from '../../../../test/http.js';
import { multipartBody, type Part } from '../../../../test/multipart.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const P = '/v1/public/agents';
const LIMIT = 25 * 1024 * 1024;
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

interface PublicFile {
  id: string;
  name: string;
  size: number;
  mime_type: string;
  created_at: string;
}

interface Conv {
  id: string;
  ws: string;
  agentId: string;
  sk: string;
  h: Headers;
}

const conversation = (agent: Record<string, unknown> = {}, ws?: string): Promise<Conv> =>
  newPublicConversation(t, agent, ws);

function upload(c: { id: string; h: Headers }, parts: Part[], h: Headers = c.h) {
  const { payload, headers } = multipartBody(parts);
  return t.app.inject({
    method: 'POST',
    url: `${P}/conversations/${c.id}/files`,
    payload,
    headers: { ...headers, ...h },
  });
}

async function uploadOk(c: Conv, filename: string, data: Buffer | string): Promise<PublicFile> {
  const res = await upload(c, [{ name: 'file', filename, data }]);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<PublicFile>();
}

const list = (c: { id: string; h: Headers }, query = '', h: Headers = c.h) =>
  call(t.app, 'GET', `${P}/conversations/${c.id}/files${query}`, h);
const content = (c: { id: string; h: Headers }, fileId: string, h: Headers = c.h) =>
  call(t.app, 'GET', `${P}/conversations/${c.id}/files/${fileId}/content`, h);
const state = (c: Conv) =>
  call(t.app, 'GET', `${P}/conversations/${c.id}`, c.h).then((r) =>
    r.json<{ status: string; expires_at: string; updated_at: string }>(),
  );

function blobCount(workspaceId: string): number {
  const dir = path.join(t.dataDir, 'files', workspaceId);
  return fs.existsSync(dir) ? fs.readdirSync(dir).length : 0;
}

/** The request is refused with the contract error, and no file, blob or activity is recorded. */
async function expectNothingStored(
  c: Conv,
  res: () => Promise<LightMyRequestResponse>,
  status: number,
  code: string,
) {
  const [files, blobs, before] = [(await list(c, '?limit=100')).json(), blobCount(c.ws), await state(c)];
  t.clock.advance(1_000);
  const { error } = expectError(await res(), status, code);
  expect((await list(c, '?limit=100')).json()).toEqual(files);
  expect(blobCount(c.ws)).toBe(blobs);
  const after = await state(c);
  expect(after.expires_at).toBe(before.expires_at);
  expect(after.updated_at).toBe(before.updated_at);
  return error;
}

async function softDelete(id: string) {
  await t.db.db.update(conversations).set({ deletedAt: t.clock.now() }).where(eq(conversations.id, id));
}

describe('P10 upload a file to the conversation', () => {
  it('stores the file in the conversation and answers a PublicFile', async () => {
    const c = await conversation();
    const res = await upload(c, [
      { name: 'file', filename: 'pixel.png', contentType: 'image/png', data: PNG },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    const file = res.json<PublicFile>();
    expect(file).toEqual({
      id: expect.any(String),
      name: 'pixel.png',
      size: PNG.length,
      mime_type: 'image/png',
      created_at: expect.stringMatching(ISO_MS),
    });
    expect(isUuidV7(file.id)).toBe(true);
    // the Agent API sees it as a file of this conversation
    const agentView = await call(t.app, 'GET', `/v1/agents/files/${file.id}`, { 'x-api-key': c.sk });
    expect(agentView.json()).toEqual({ ...file, metadata: {}, conversation_id: c.id });
  });

  it('detects the type from the bytes and ignores other text parts', async () => {
    const c = await conversation();
    const res = await upload(c, [
      { name: 'metadata', value: '{"ignored":true}' },
      { name: 'file', filename: '../notes.png', contentType: 'image/png', data: 'just text' },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: 'notes.png', mime_type: 'text/plain', size: 9 });
  });

  it('counts as activity: expires_at = now + idle TTL and updated_at = now', async () => {
    const c = await conversation({ idle_ttl_seconds: 600 });
    t.clock.advance(500_000);
    const before = t.clock.now().getTime();
    const file = await uploadOk(c, 'a.txt', 'hello');
    const s = await state(c);
    expect(s.status).toBe('active');
    const touched = new Date(s.updated_at).getTime();
    expect(touched).toBeGreaterThanOrEqual(before);
    expect(touched).toBeLessThanOrEqual(new Date(file.created_at).getTime());
    expect(new Date(s.expires_at).getTime()).toBe(touched + 600_000);
    // without the upload it would have expired by now
    t.clock.advance(400_000);
    expect((await state(c)).status).toBe('active');
  });

  it('may be named by this conversation’s messages and by no other conversation’s', async () => {
    const c = await conversation();
    const other = await conversation({}, c.ws);
    const file = await uploadOk(c, 'p.png', PNG);
    const send = (conv: Conv) =>
      call(t.app, 'POST', `${P}/conversations/${conv.id}/messages`, conv.h, {
        content: [
          { type: 'text', text: 'look' },
          { type: 'image', file_id: file.id },
        ],
      });
    const ok = await send(c);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().user_message.content).toEqual([
      { type: 'text', text: 'look' },
      { type: 'image', file_id: file.id },
    ]);
    expect(expectError(await send(other), 422, 'file_not_found').error.context).toEqual({ file_id: file.id });
  });

  it('refuses bad uploads with the contract errors and stores nothing', async () => {
    const c = await conversation();
    await uploadOk(c, 'first.txt', 'first');
    const file = (data: Buffer | string, filename = 'a.txt'): Part[] => [{ name: 'file', filename, data }];

    await expectNothingStored(c, () => upload(c, file(Buffer.alloc(0))), 400, 'invalid_request');
    await expectNothingStored(
      c,
      () => upload(c, [{ name: 'metadata', value: '{}' }]),
      400,
      'invalid_request',
    );
    await expectNothingStored(
      c,
      () => upload(c, [{ name: 'upload', filename: 'a.txt', data: 'x' }]),
      400,
      'invalid_request',
    );
    await expectNothingStored(
      c,
      () => call(t.app, 'POST', `${P}/conversations/${c.id}/files`, c.h, { file: 'aGVsbG8=' }),
      400,
      'invalid_request',
    );
    const tooBig = await expectNothingStored(
      c,
      () => upload(c, file(Buffer.alloc(LIMIT + 1, 'a'))),
      413,
      'file_too_large',
    );
    expect(tooBig.context).toEqual({ limit_bytes: 26_214_400 });
    const unsupported = await expectNothingStored(
      c,
      () => upload(c, file(ELF)),
      415,
      'unsupported_media_type',
    );
    expect(unsupported.context).toEqual({ detected_type: expect.any(String) });
  });

  it('refuses missing, invalid and foreign tokens', async () => {
    const c = await conversation();
    const other = await conversation({}, c.ws);
    const parts: Part[] = [{ name: 'file', filename: 'a.txt', data: 'x' }];
    await expectNothingStored(c, () => upload(c, parts, {}), 401, 'missing_session_token');
    await expectNothingStored(c, () => upload(c, parts, bearer('not.a.jwt')), 401, 'invalid_session_token');
    await expectNothingStored(c, () => upload(c, parts, { 'x-api-key': c.sk }), 401, 'missing_session_token');
    await expectNothingStored(c, () => upload(c, parts, other.h), 403, 'session_token_scope_mismatch');
  });

  it('answers 409 conversation_closed on closed and expired conversations, after validating the file', async () => {
    const closed = await conversation();
    await call(t.app, 'POST', `${P}/conversations/${closed.id}/terminate`, closed.h);
    const parts: Part[] = [{ name: 'file', filename: 'a.txt', data: 'x' }];
    const err = await expectNothingStored(closed, () => upload(closed, parts), 409, 'conversation_closed');
    expect(err.context).toEqual({ conversation_id: closed.id, status: 'closed' });
    // README §5: body validation (415) comes before state (409)
    await expectNothingStored(
      closed,
      () => upload(closed, [{ name: 'file', filename: 'a.bin', data: ELF }]),
      415,
      'unsupported_media_type',
    );

    const idle = await conversation({ idle_ttl_seconds: 300 });
    t.clock.advance(300_000);
    const expired = expectError(await upload(idle, parts), 409, 'conversation_closed');
    expect(expired.error.context).toEqual({ conversation_id: idle.id, status: 'expired' });
    expect((await list(idle)).json()).toEqual({ items: [], next_offset: null });
  });

  it('answers 404 for a deleted conversation', async () => {
    const c = await conversation();
    await softDelete(c.id);
    const res = await upload(c, [{ name: 'file', filename: 'a.txt', data: 'x' }]);
    expect(expectError(res, 404, 'not_found').error.context).toEqual({ resource: 'conversation', id: c.id });
    expect(blobCount(c.ws)).toBe(0);
  });
});

describe('P11 list the conversation’s files', () => {
  it('lists only this conversation’s files, newest first, with offset pagination', async () => {
    const c = await conversation();
    const other = await conversation({}, c.ws);
    const a = await uploadOk(c, 'a.txt', 'a');
    const b = await uploadOk(c, 'b.txt', 'b');
    const d = await uploadOk(c, 'd.json', '{"d":1}');
    await uploadOk(other, 'other.txt', 'not mine');
    const pool = multipartBody([{ name: 'file', filename: 'pool.txt', data: 'pool' }]);
    const poolRes = await t.app.inject({
      method: 'POST',
      url: '/v1/agents/files',
      headers: { 'x-api-key': c.sk, ...pool.headers },
      payload: pool.payload,
    });
    expect(poolRes.statusCode).toBe(200);

    const all = await list(c);
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json()).toEqual({ items: [d, b, a], next_offset: null });
    expect(Object.keys(all.json().items[0]).sort()).toEqual([
      'created_at',
      'id',
      'mime_type',
      'name',
      'size',
    ]);
    expect((await list(c, '?limit=2')).json()).toEqual({ items: [d, b], next_offset: 2 });
    expect((await list(c, '?limit=2&offset=2')).json()).toEqual({ items: [a], next_offset: null });
    expect((await list(other)).json().items.map((f: PublicFile) => f.name)).toEqual(['other.txt']);
  });

  it('stays readable once the conversation is closed', async () => {
    const c = await conversation();
    const f = await uploadOk(c, 'a.txt', 'a');
    await call(t.app, 'POST', `${P}/conversations/${c.id}/terminate`, c.h);
    expect((await list(c)).json()).toEqual({ items: [f], next_offset: null });
  });

  it('refuses bad pages, missing and foreign tokens, and deleted conversations', async () => {
    const c = await conversation();
    const other = await conversation({}, c.ws);
    for (const q of ['?limit=0', '?limit=101', '?offset=-1', '?limit=x']) {
      expectError(await list(c, q), 422, 'validation_error');
    }
    expectError(await list(c, '', {}), 401, 'missing_session_token');
    expectError(await list(c, '', bearer('x.y.z')), 401, 'invalid_session_token');
    expectError(await list(c, '', other.h), 403, 'session_token_scope_mismatch');
    await softDelete(c.id);
    expectError(await list(c), 404, 'not_found');
  });
});

describe('P13 download a file of the conversation', () => {
  it('answers the bytes with the contract headers', async () => {
    const c = await conversation();
    const f = await uploadOk(c, 'relatório final (v2).png', PNG);
    const res = await content(c, f.id);
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(PNG)).toBe(true);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-length']).toBe(String(PNG.length));
    expect(res.headers['content-disposition']).toBe(
      "attachment; filename*=UTF-8''relat%C3%B3rio%20final%20%28v2%29.png",
    );
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.headers['accept-ranges']).toBeUndefined();
  });

  it('answers 404 for files of other conversations, pool files, deleted and unknown ids', async () => {
    const c = await conversation();
    const other = await conversation({}, c.ws);
    const mine = await uploadOk(c, 'mine.txt', 'mine');
    const theirs = await uploadOk(other, 'theirs.txt', 'theirs');
    const pool = multipartBody([{ name: 'file', filename: 'pool.txt', data: 'pool' }]);
    const poolFile = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/agents/files',
        headers: { 'x-api-key': c.sk, ...pool.headers },
        payload: pool.payload,
      })
    ).json<PublicFile>();

    expect(expectError(await content(c, theirs.id), 404, 'not_found').error.context).toEqual({
      resource: 'file',
      id: theirs.id,
    });
    expectError(await content(c, poolFile.id), 404, 'not_found');
    expectError(await content(c, MISSING_ID), 404, 'not_found');
    expectError(await content(c, 'not-a-uuid'), 404, 'not_found');
    const del = await call(t.app, 'DELETE', `/v1/agents/files/${mine.id}`, { 'x-api-key': c.sk });
    expect(del.statusCode).toBe(204);
    expectError(await content(c, mine.id), 404, 'not_found');
    // and the other conversation still reads its own
    expect((await content(other, theirs.id)).body).toBe('theirs');
  });

  it('refuses missing and foreign tokens', async () => {
    const c = await conversation();
    const other = await conversation({}, c.ws);
    const f = await uploadOk(c, 'a.txt', 'a');
    expectError(await content(c, f.id, {}), 401, 'missing_session_token');
    expectError(await content(c, f.id, { 'x-api-key': c.sk }), 401, 'missing_session_token');
    // another conversation's token, even naming this conversation's file
    expectError(await content(c, f.id, other.h), 403, 'session_token_scope_mismatch');
    await softDelete(c.id);
    expectError(await content(c, f.id), 404, 'not_found');
  });
});
