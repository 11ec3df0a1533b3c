import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import {
  newAgent,
  newKey,
  newSession,
  newWorld,
  newWorkspace,
  operatorHeaders,
  type World,
} from '../../../test/factories.js';
import { PNG } from '../../../test/fixtures.js';
import { expectError, MISSING_ID } from '../../../test/http.js';
import { multipartBody, type Part } from '../../../test/multipart.js';
import { isUuidV7 } from '../../platform/ids.js';
import { createFsBlobStore } from '../../platform/storage/fs-blob-store.js';
import type { RequestContext } from '../context.js';
import type { AgentFile } from './files.types.js';

const MiB = 1024 * 1024;
const LIMIT = 25 * MiB;
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
);
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await createTestApp();
  w = await newWorld(t);
});
afterAll(async () => {
  await t?.close();
});

function upload(key: string | undefined, parts: Part[], url = '/v1/agents/files') {
  const { payload, headers } = multipartBody(parts);
  return t.app.inject({
    method: 'POST',
    url,
    payload,
    headers: { ...headers, ...(key && { 'x-api-key': key }) },
  });
}

async function uploadOk(key: string, parts: Part[]): Promise<AgentFile> {
  const res = await upload(key, parts);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<AgentFile>();
}

function get(key: string | undefined, url: string) {
  return t.app.inject({ method: 'GET', url, headers: key ? { 'x-api-key': key } : {} });
}

async function listIds(key: string): Promise<string[]> {
  const res = await get(key, '/v1/agents/files?limit=100');
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: AgentFile[] }>().items.map((f) => f.id);
}

/** Blob files on disk for a workspace (the harness stores them under <dataDir>/files/<ws>/). */
function blobCount(workspaceId: string): number {
  const dir = path.join(t.dataDir, 'files', workspaceId);
  return fs.existsSync(dir) ? fs.readdirSync(dir).length : 0;
}

/** Runs a rejected upload and checks nothing was stored: same list, no new blob. */
async function expectRejected(parts: Part[], status: number, code: string) {
  const before = await listIds(w.key);
  const blobs = blobCount(w.workspaceId);
  const { error } = expectError(await upload(w.key, parts), status, code);
  expect(await listIds(w.key)).toEqual(before);
  expect(blobCount(w.workspaceId)).toBe(blobs);
  return error;
}

describe('A13 upload', () => {
  it('stores a PNG and answers an AgentFile', async () => {
    const file = await uploadOk(w.key, [
      { name: 'file', filename: 'pixel.png', contentType: 'image/png', data: PNG },
    ]);
    expect(file).toEqual({
      id: expect.any(String),
      name: 'pixel.png',
      size: PNG.length,
      mime_type: 'image/png',
      created_at: expect.any(String),
      metadata: {},
      conversation_id: null,
    });
    expect(isUuidV7(file.id)).toBe(true);
    expect(new Date(file.created_at).toISOString()).toBe(file.created_at);
  });

  it.each([
    ['PDF', 'doc.pdf', PDF, 'application/pdf'],
    ['plain text', 'notes.txt', Buffer.from('Olá, mundo!\n'), 'text/plain'],
    ['JSON', 'data.json', Buffer.from('{"a":[1,2,3]}'), 'application/json'],
    ['CSV by name', 'table.csv', Buffer.from('a,b\n1,2\n'), 'text/csv'],
    ['Markdown by name', 'README.md', Buffer.from('# Title\n'), 'text/markdown'],
  ])('stores %s', async (_label, filename, data, mime) => {
    const file = await uploadOk(w.key, [{ name: 'file', filename, data }]);
    expect(file.mime_type).toBe(mime);
    expect(file.size).toBe(data.length);
    expect(file.name).toBe(filename);
  });

  it('detects the type from the bytes, not the filename or the declared type', async () => {
    const png = await uploadOk(w.key, [
      { name: 'file', filename: 'notes.txt', contentType: 'text/plain', data: PNG },
    ]);
    expect(png.mime_type).toBe('image/png');
    const text = await uploadOk(w.key, [
      { name: 'file', filename: 'photo.png', contentType: 'image/png', data: 'just text' },
    ]);
    expect(text.mime_type).toBe('text/plain');
    const csv = await uploadOk(w.key, [
      { name: 'file', filename: 'export', contentType: 'text/csv', data: 'a,b\n' },
    ]);
    expect(csv.mime_type).toBe('text/csv');
  });

  it('strips path components from the filename and defaults to `file`', async () => {
    const a = await uploadOk(w.key, [{ name: 'file', filename: '../../etc/passwd', data: 'x' }]);
    expect(a.name).toBe('passwd');
    const b = await uploadOk(w.key, [{ name: 'file', contentType: 'application/octet-stream', data: 'x' }]);
    expect(b.name).toBe('file');
  });

  it('stores the metadata part', async () => {
    const file = await uploadOk(w.key, [
      { name: 'metadata', value: JSON.stringify({ source: 'crm', tags: ['a'] }) },
      { name: 'file', filename: 'a.txt', data: 'hello' },
    ]);
    expect(file.metadata).toEqual({ source: 'crm', tags: ['a'] });
    const again = await get(w.key, `/v1/agents/files/${file.id}`);
    expect(again.json<AgentFile>().metadata).toEqual({ source: 'crm', tags: ['a'] });
  });

  it('accepts a metadata part declared application/json', async () => {
    const file = await uploadOk(w.key, [
      { name: 'file', filename: 'a.txt', data: 'hello' },
      { name: 'metadata', value: '{"k":1}', contentType: 'application/json' },
    ]);
    expect(file.metadata).toEqual({ k: 1 });
  });

  it.each([
    ['invalid JSON', '{nope', undefined],
    ['a JSON array', '[1,2]', undefined],
    ['a JSON string', '"x"', undefined],
    ['null', 'null', undefined],
    ['invalid JSON declared application/json', '{nope', 'application/json'],
    ['over 16 KiB', JSON.stringify({ big: 'x'.repeat(17 * 1024) }), undefined],
  ])('rejects metadata that is %s with 422 validation_error', async (_label, value, contentType) => {
    const error = await expectRejected(
      [
        { name: 'file', filename: 'a.txt', data: 'hello' },
        { name: 'metadata', value, ...(contentType && { contentType }) },
      ],
      422,
      'validation_error',
    );
    expect(error.name).toBe('ValidationError');
  });

  it('accepts exactly 25 MiB', async () => {
    const file = await uploadOk(w.key, [
      { name: 'file', filename: 'big.txt', data: Buffer.alloc(LIMIT, 'a') },
    ]);
    expect(file.size).toBe(LIMIT);
    expect(file.mime_type).toBe('text/plain');
    await t.app.inject({
      method: 'DELETE',
      url: `/v1/agents/files/${file.id}`,
      headers: { 'x-api-key': w.key },
    });
  });

  it('rejects 25 MiB + 1 byte with 413 file_too_large', async () => {
    const error = await expectRejected(
      [{ name: 'file', filename: 'big.txt', data: Buffer.alloc(LIMIT + 1, 'a') }],
      413,
      'file_too_large',
    );
    expect(error).toMatchObject({ name: 'FileTooLargeError', context: { limit_bytes: 26_214_400 } });
  });

  it('rejects an empty file with 400', async () => {
    await expectRejected(
      [{ name: 'file', filename: 'empty.txt', data: Buffer.alloc(0) }],
      400,
      'invalid_request',
    );
  });

  it('rejects an unsupported type with 415 and names what it found', async () => {
    const elf = await expectRejected(
      [{ name: 'file', filename: 'a.txt', data: ELF }],
      415,
      'unsupported_media_type',
    );
    expect(elf.context).toEqual({ detected_type: expect.any(String) });
    const zip = await expectRejected(
      [{ name: 'file', filename: 'a.docx', data: Buffer.from('504b0506' + '00'.repeat(18), 'hex') }],
      415,
      'unsupported_media_type',
    );
    expect(zip.context).toEqual({ detected_type: 'application/zip' });
    const nul = await expectRejected(
      [{ name: 'file', filename: 'a.txt', data: 'text\u0000with NUL' }],
      415,
      'unsupported_media_type',
    );
    expect(nul.name).toBe('UnsupportedMediaTypeError');
  });

  it('needs a file part named file', async () => {
    await expectRejected([{ name: 'metadata', value: '{}' }], 400, 'invalid_request');
    await expectRejected([{ name: 'upload', filename: 'a.txt', data: 'hello' }], 400, 'invalid_request');
    await expectRejected([], 400, 'invalid_request');
  });

  it('rejects a JSON body and a missing Content-Type with 400', async () => {
    const json = await t.app.inject({
      method: 'POST',
      url: '/v1/agents/files',
      headers: { 'x-api-key': w.key },
      payload: { file: 'aGVsbG8=' },
    });
    expectError(json, 400, 'invalid_request');
    const raw = await t.app.inject({
      method: 'POST',
      url: '/v1/agents/files',
      headers: { 'x-api-key': w.key, 'content-type': 'application/octet-stream' },
      payload: PNG,
    });
    expectError(raw, 400, 'invalid_request');
  });

  it('is served on the /v1/agent alias too', async () => {
    const res = await upload(w.key, [{ name: 'file', filename: 'a.txt', data: 'alias' }], '/v1/agent/files');
    expect(res.statusCode, res.body).toBe(200);
  });
});

describe('A14–A16, A19', () => {
  it('lists newest first with offset pagination', async () => {
    const world = await newWorld(t);
    const a = await uploadOk(world.key, [{ name: 'file', filename: 'a.txt', data: 'a' }]);
    const b = await uploadOk(world.key, [{ name: 'file', filename: 'b.txt', data: 'b' }]);
    const c = await uploadOk(world.key, [{ name: 'file', filename: 'c.txt', data: 'c' }]);
    const all = await get(world.key, '/v1/agents/files');
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({ items: [c, b, a], next_offset: null });
    const first = await get(world.key, '/v1/agents/files?limit=2');
    expect(first.json()).toEqual({ items: [c, b], next_offset: 2 });
    const second = await get(world.key, '/v1/agents/files?limit=2&offset=2');
    expect(second.json()).toEqual({ items: [a], next_offset: null });
    expectError(await get(world.key, '/v1/agents/files?limit=0'), 422, 'validation_error');
    expectError(await get(world.key, '/v1/agents/files?limit=101'), 422, 'validation_error');
  });

  it('gets, downloads and deletes a file', async () => {
    const file = await uploadOk(w.key, [{ name: 'file', filename: 'pixel.png', data: PNG }]);
    const meta = await get(w.key, `/v1/agents/files/${file.id}`);
    expect(meta.statusCode).toBe(200);
    expect(meta.json()).toEqual(file);

    const content = await get(w.key, `/v1/agents/files/${file.id}/content`);
    expect(content.statusCode).toBe(200);
    expect(content.rawPayload.equals(PNG)).toBe(true);
    expect(content.headers['content-type']).toBe('image/png');
    expect(content.headers['content-length']).toBe(String(PNG.length));
    expect(content.headers['content-disposition']).toBe("attachment; filename*=UTF-8''pixel.png");
    expect(content.headers['x-content-type-options']).toBe('nosniff');
    expect(content.headers['cache-control']).toBe('private, no-store');

    const del = await t.app.inject({
      method: 'DELETE',
      url: `/v1/agents/files/${file.id}`,
      headers: { 'x-api-key': w.key },
    });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    expect(await listIds(w.key)).not.toContain(file.id);
    expect(fs.existsSync(path.join(t.dataDir, 'files', w.workspaceId, file.id))).toBe(false);

    expectError(await get(w.key, `/v1/agents/files/${file.id}`), 404, 'not_found');
    expectError(await get(w.key, `/v1/agents/files/${file.id}/content`), 404, 'not_found');
    const again = await t.app.inject({
      method: 'DELETE',
      url: `/v1/agents/files/${file.id}`,
      headers: { 'x-api-key': w.key },
    });
    expectError(again, 404, 'not_found');
  });

  it('downloads text with the stored type and a percent-encoded UTF-8 filename', async () => {
    const data = Buffer.from('# Relatório\n\nçã ✓\n');
    const file = await uploadOk(w.key, [{ name: 'file', filename: "relatório (final)'s.md", data }]);
    expect(file.mime_type).toBe('text/markdown');
    const content = await get(w.key, `/v1/agents/files/${file.id}/content`);
    expect(content.statusCode).toBe(200);
    expect(content.rawPayload.equals(data)).toBe(true);
    expect(content.headers['content-type']).toBe('text/markdown');
    expect(content.headers['content-disposition']).toBe(
      "attachment; filename*=UTF-8''relat%C3%B3rio%20%28final%29%27s.md",
    );
  });

  it('answers 404 on content when the blob is gone', async () => {
    const file = await uploadOk(w.key, [{ name: 'file', filename: 'a.txt', data: 'bytes' }]);
    await createFsBlobStore(path.join(t.dataDir, 'files')).delete(`${w.workspaceId}/${file.id}`);
    expect((await get(w.key, `/v1/agents/files/${file.id}`)).statusCode).toBe(200);
    const { error } = expectError(await get(w.key, `/v1/agents/files/${file.id}/content`), 404, 'not_found');
    expect(error.context).toEqual({ resource: 'file', id: file.id });
  });
});

describe('security', () => {
  it('needs an API key', async () => {
    expectError(
      await upload(undefined, [{ name: 'file', filename: 'a.txt', data: 'x' }]),
      401,
      'missing_api_key',
    );
    expectError(await get(undefined, '/v1/agents/files'), 401, 'missing_api_key');
  });

  it('rejects a revoked key', async () => {
    const { id, key } = await newKey(t, w.workspaceId);
    expect((await get(key, '/v1/agents/files')).statusCode).toBe(200);
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/workspaces/${w.workspaceId}/api-keys/${id}`,
      headers: operatorHeaders,
    });
    expect(revoke.statusCode, revoke.body).toBeLessThan(300);
    expectError(await get(key, '/v1/agents/files'), 401, 'invalid_api_key');
    expectError(await upload(key, [{ name: 'file', filename: 'a.txt', data: 'x' }]), 401, 'invalid_api_key');
  });

  it('refuses a public key with 403 insufficient_scope', async () => {
    const { key } = await newKey(t, w.workspaceId, { type: 'public' });
    const before = await listIds(w.key);
    const { error } = expectError(
      await upload(key, [{ name: 'file', filename: 'a.txt', data: 'x' }]),
      403,
      'insufficient_scope',
    );
    expect(error.context).toEqual({ required_scope: 'agent:run' });
    expectError(await get(key, '/v1/agents/files'), 403, 'insufficient_scope');
    expect(await listIds(w.key)).toEqual(before);
  });

  it("answers another workspace's file exactly like a missing one", async () => {
    const file = await uploadOk(w.key, [{ name: 'file', filename: 'secret.txt', data: 'secret' }]);
    const other = await newWorld(t);
    const body = (res: LightMyRequestResponse) => {
      const e = res.json<{
        error: { code: string; name: string; context: { resource: string; id: string } };
      }>().error;
      return { code: e.code, name: e.name, context: { ...e.context, id: '<id>' } };
    };
    for (const suffix of ['', '/content']) {
      const foreign = await get(other.key, `/v1/agents/files/${file.id}${suffix}`);
      const absent = await get(other.key, `/v1/agents/files/${MISSING_ID}${suffix}`);
      expectError(foreign, 404, 'not_found');
      expectError(absent, 404, 'not_found');
      expect(body(foreign)).toEqual(body(absent));
      expect(foreign.json<{ error: { context: unknown } }>().error.context).toEqual({
        resource: 'file',
        id: file.id,
      });
    }
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/v1/agents/files/${file.id}`,
      headers: { 'x-api-key': other.key },
    });
    expectError(del, 404, 'not_found');
    expect(await listIds(other.key)).not.toContain(file.id);
    expect((await get(w.key, `/v1/agents/files/${file.id}`)).statusCode).toBe(200);
  });

  it('answers a malformed id with 404', async () => {
    for (const id of ['not-a-uuid', '1', '01900000-0000-7000-8000-00000000000Z']) {
      expectError(await get(w.key, `/v1/agents/files/${id}`), 404, 'not_found');
      expectError(await get(w.key, `/v1/agents/files/${id}/content`), 404, 'not_found');
      const del = await t.app.inject({
        method: 'DELETE',
        url: `/v1/agents/files/${id}`,
        headers: { 'x-api-key': w.key },
      });
      expectError(del, 404, 'not_found');
    }
  });

  it("binds conversation files to the conversation's agent for allow-listed keys", async () => {
    const world = await newWorld(t);
    const sessionId = await newSession(t, world);
    const ctx: RequestContext = {
      principal: {
        kind: 'key',
        keyId: 'test',
        workspaceId: world.workspaceId,
        type: 'secret',
        scopes: ['agent:run'],
        agentIds: null,
        rateLimitPerMinute: null,
        allowedOrigins: null,
      },
      requestId: 'test',
      log: t.app.log,
      charge: async () => {},
    };
    // What a conversation upload (P10) stores: the same service verb with the conversation id.
    const inConversation = await t.services.files.uploadFile(ctx, {
      conversationId: sessionId,
      filename: 'chat.txt',
      data: Buffer.from('from the chat'),
    });
    expect(inConversation.conversation_id).toBe(sessionId);
    const pool = await uploadOk(world.key, [{ name: 'file', filename: 'pool.txt', data: 'pool' }]);

    const otherAgent = await newAgent(t, world.workspaceId);
    const { key: restricted } = await newKey(t, world.workspaceId, {
      type: 'secret',
      agent_ids: [otherAgent],
    });
    expect(await listIds(restricted)).toEqual([pool.id]);
    expect(await listIds(world.key)).toEqual([pool.id, inConversation.id]);
    expect((await get(restricted, `/v1/agents/files/${pool.id}`)).statusCode).toBe(200);
    const { error } = expectError(
      await get(restricted, `/v1/agents/files/${inConversation.id}`),
      403,
      'agent_not_allowed',
    );
    expect(error.context).toEqual({ agent_id: world.agentId });
    expectError(
      await get(restricted, `/v1/agents/files/${inConversation.id}/content`),
      403,
      'agent_not_allowed',
    );

    const content = await get(world.key, `/v1/agents/files/${inConversation.id}/content`);
    expect(content.body).toBe('from the chat');
    await expect(
      t.services.files.readContent(ctx, inConversation.id, { conversationId: sessionId }),
    ).resolves.toMatchObject({ file: { id: inConversation.id } });
    await expect(
      t.services.files.readContent(ctx, pool.id, { conversationId: sessionId }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('keeps workspaces apart in lists', async () => {
    const ws = await newWorkspace(t);
    const { key } = await newKey(t, ws);
    expect(await listIds(key)).toEqual([]);
  });
});

describe('fs blob store', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'papo-blobs-'));
  const store = createFsBlobStore(root);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('writes, overwrites, reads and deletes', async () => {
    await store.put('ws/a', Buffer.from('one'));
    await store.put('ws/a', Buffer.from('two'));
    expect((await store.get('ws/a'))?.toString()).toBe('two');
    expect(fs.readdirSync(path.join(root, 'ws'))).toEqual(['a']);
    await store.delete('ws/a');
    expect(await store.get('ws/a')).toBeUndefined();
  });

  it('treats missing keys calmly', async () => {
    expect(await store.get('ws/missing')).toBeUndefined();
    expect(await store.get('nowhere/at/all')).toBeUndefined();
    await expect(store.delete('ws/missing')).resolves.toBeUndefined();
  });

  it('never leaves its root', async () => {
    for (const key of [
      '../escape',
      'ws/../../escape',
      '/etc/passwd',
      'ws\\..\\x',
      '',
      'ws//a',
      './a',
      'a\0b',
    ]) {
      await expect(store.put(key, Buffer.from('x'))).rejects.toThrow(/Invalid blob key/);
      await expect(store.get(key)).rejects.toThrow(/Invalid blob key/);
      await expect(store.delete(key)).rejects.toThrow(/Invalid blob key/);
    }
    expect(fs.existsSync(path.join(root, '..', 'escape'))).toBe(false);
  });
});
