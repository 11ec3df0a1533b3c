import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, newWorkspace, operatorHeaders } from '../factories.js';
import { createTestApp, type TestApp } from '../harness.js';
import { expectError, ISO_MS, MISSING_ID } from '../http.js';
import { multipartBody } from '../multipart.js';
import { eventually } from '../compat/evagpt/eva.js';
import path from 'node:path';
import { createKnowledgeService } from '../../src/features/knowledge/knowledge.service.js';
import { knowledgeFiles } from '../../src/platform/db/schema/index.js';
import { newId } from '../../src/platform/ids.js';
import { createFsBlobStore } from '../../src/platform/storage/fs-blob-store.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

interface RecordOut {
  id: string;
  knowledge_base_id: string;
  file_id: string | null;
  title: string | null;
  text: string;
  created_at: string;
}
interface FileOut {
  id: string;
  knowledge_base_id: string;
  name: string;
  size: number;
  mime_type: string;
  status: 'processing' | 'ready' | 'failed';
  records_count: number;
  error: string | null;
  created_at: string;
}
interface CursorPage<T> {
  items: T[];
  next_cursor: string | null;
}

const call = (
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  payload?: Record<string, unknown>,
  headers: Record<string, string> = operatorHeaders,
) => t.app.inject({ method, url: `/v1/admin${url}`, headers, ...(payload !== undefined && { payload }) });

async function newBase(ws: string): Promise<string> {
  const res = await call('POST', `/workspaces/${ws}/knowledge-bases`, { name: `kb ${Math.random()}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string }>().id;
}

function upload(ws: string, kb: string, name: string, data: string | Buffer, headers = operatorHeaders) {
  const body = multipartBody([{ name: 'file', filename: name, contentType: 'text/plain', data }]);
  return t.app.inject({
    method: 'POST',
    url: `/v1/admin/workspaces/${ws}/knowledge-bases/${kb}/files`,
    headers: { ...headers, ...body.headers },
    payload: body.payload,
  });
}

async function records(ws: string, kb: string, query = ''): Promise<CursorPage<RecordOut>> {
  const res = await call('GET', `/workspaces/${ws}/knowledge-bases/${kb}/records${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('management API: knowledge base records', () => {
  it('adds, lists (newest first, cursor pages, search) and deletes text records', async () => {
    const ws = await newWorkspace(t);
    const kb = await newBase(ws);
    const made: RecordOut[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call('POST', `/workspaces/${ws}/knowledge-bases/${kb}/records`, {
        title: i === 2 ? 'Reembolso' : null,
        text: `Registro ${i}: ${i === 2 ? 'devolução em 30 dias' : 'horário 9h–18h'}`,
      });
      expect(res.statusCode, res.body).toBe(200);
      made.push(res.json());
    }
    expect(made[2]).toEqual({
      id: expect.any(String),
      knowledge_base_id: kb,
      file_id: null,
      title: 'Reembolso',
      text: 'Registro 2: devolução em 30 dias',
      created_at: expect.stringMatching(ISO_MS),
    });

    const first = await records(ws, kb, '?limit=2');
    expect(first.items.map((r) => r.id)).toEqual([made[4]!.id, made[3]!.id]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await records(ws, kb, `?limit=2&cursor=${first.next_cursor}`);
    expect(second.items.map((r) => r.id)).toEqual([made[2]!.id, made[1]!.id]);
    const last = await records(ws, kb, `?limit=2&cursor=${second.next_cursor}`);
    expect(last.items.map((r) => r.id)).toEqual([made[0]!.id]);
    expect(last.next_cursor).toBeNull();

    expect((await records(ws, kb, '?search=DEVOLU')).items.map((r) => r.id)).toEqual([made[2]!.id]);
    expect((await records(ws, kb, '?search=reembolso')).items.map((r) => r.id)).toEqual([made[2]!.id]);

    const del = await call('DELETE', `/workspaces/${ws}/knowledge-bases/${kb}/records/${made[2]!.id}`);
    expect(del.statusCode, del.body).toBe(204);
    expect((await records(ws, kb)).items).toHaveLength(4);
    expectError(
      await call('DELETE', `/workspaces/${ws}/knowledge-bases/${kb}/records/${made[2]!.id}`),
      404,
      'not_found',
    );
    const kbOut = await call('GET', `/workspaces/${ws}/knowledge-bases/${kb}`);
    expect(kbOut.json<{ records_count: number }>().records_count).toBe(4);
  });

  it('bad input is refused in the native envelope and changes nothing', async () => {
    const ws = await newWorkspace(t);
    const kb = await newBase(ws);
    expectError(
      await call('POST', `/workspaces/${ws}/knowledge-bases/${kb}/records`, {}),
      400,
      'invalid_request',
    );
    for (const body of [{ text: '' }, { text: 'x'.repeat(20_001) }, { text: 'ok', title: 'x'.repeat(201) }]) {
      expectError(
        await call('POST', `/workspaces/${ws}/knowledge-bases/${kb}/records`, body),
        422,
        'validation_error',
      );
    }
    expect((await records(ws, kb)).items).toEqual([]);
    const bad = expectError(
      await call('GET', `/workspaces/${ws}/knowledge-bases/${kb}/records?cursor=bm9wZQ`),
      422,
      'validation_error',
    );
    expect(bad.error.context['issues']).toEqual([
      expect.objectContaining({ location: 'query', path: 'cursor' }),
    ]);
    expectError(
      await call('GET', `/workspaces/${ws}/knowledge-bases/${MISSING_ID}/records`),
      404,
      'not_found',
    );
    expectError(
      await call('POST', `/workspaces/${ws}/knowledge-bases/${MISSING_ID}/records`, { text: 'x' }),
      404,
      'not_found',
    );
    // another workspace's base is not reachable, even by the operator through the wrong workspace
    const other = await newWorkspace(t);
    expectError(await call('GET', `/workspaces/${other}/knowledge-bases/${kb}/records`), 404, 'not_found');
    // records of another base cannot be deleted through this one
    const kb2 = await newBase(ws);
    const r = (
      await call('POST', `/workspaces/${ws}/knowledge-bases/${kb2}/records`, { text: 'b' })
    ).json<RecordOut>();
    expectError(
      await call('DELETE', `/workspaces/${ws}/knowledge-bases/${kb}/records/${r.id}`),
      404,
      'not_found',
    );
    expect((await records(ws, kb2)).items).toHaveLength(1);
  });

  it('admin keys of the workspace may manage records; run keys and other workspaces may not', async () => {
    const ws = await newWorkspace(t);
    const kb = await newBase(ws);
    const admin = await newKey(t, ws, { type: 'secret', name: 'admin', scopes: ['admin'] });
    const run = await newKey(t, ws, { type: 'secret', name: 'run', scopes: ['agent:run'] });
    const ok = await call(
      'POST',
      `/workspaces/${ws}/knowledge-bases/${kb}/records`,
      { text: 'via key' },
      {
        authorization: `Bearer ${admin.key}`,
      },
    );
    expect(ok.statusCode, ok.body).toBe(200);
    expectError(
      await call(
        'POST',
        `/workspaces/${ws}/knowledge-bases/${kb}/records`,
        { text: 'no' },
        {
          authorization: `Bearer ${run.key}`,
        },
      ),
      403,
      'insufficient_scope',
    );
    const foreign = await newKey(t, await newWorkspace(t), { type: 'secret', name: 'a', scopes: ['admin'] });
    expectError(
      await call('GET', `/workspaces/${ws}/knowledge-bases/${kb}/records`, undefined, {
        authorization: `Bearer ${foreign.key}`,
      }),
      404,
      'not_found',
    );
    expectError(
      await call('GET', `/workspaces/${ws}/knowledge-bases/${kb}/records`, undefined, {}),
      401,
      'missing_api_key',
    );
    expect((await records(ws, kb)).items.map((r) => r.text)).toEqual(['via key']);
  });
});

describe('management API: knowledge base files', () => {
  it('uploads a file, which becomes ready with its records; deleting it removes them', async () => {
    const ws = await newWorkspace(t);
    const kb = await newBase(ws);
    const text = Array.from(
      { length: 12 },
      (_, i) => `Parágrafo ${i}. ${'Entrega grátis acima de R$ 200. '.repeat(20)}`,
    ).join('\n\n');
    const res = await upload(ws, kb, 'frete.txt', text);
    expect(res.statusCode, res.body).toBe(200);
    const f = res.json<FileOut>();
    expect(f).toEqual({
      id: expect.any(String),
      knowledge_base_id: kb,
      name: 'frete.txt',
      size: Buffer.byteLength(text),
      mime_type: 'text/plain',
      status: 'processing',
      records_count: 0,
      error: null,
      created_at: expect.stringMatching(ISO_MS),
    });
    const ready = await eventually(async () => {
      const list = await call('GET', `/workspaces/${ws}/knowledge-bases/${kb}/files`);
      const x = list.json<CursorPage<FileOut>>().items.find((i) => i.id === f.id);
      return x && x.status !== 'processing' ? x : undefined;
    });
    expect(ready.status).toBe('ready');
    expect(ready.records_count).toBeGreaterThan(1);
    const chunks = await records(ws, kb, `?file_id=${f.id}&limit=100`);
    expect(chunks.items).toHaveLength(ready.records_count);
    expect(chunks.items.every((r) => r.file_id === f.id)).toBe(true);

    // the path's knowledge base must be the file's
    const kb2 = await newBase(ws);
    expectError(
      await call('DELETE', `/workspaces/${ws}/knowledge-bases/${kb2}/files/${f.id}`),
      404,
      'not_found',
    );
    const del = await call('DELETE', `/workspaces/${ws}/knowledge-bases/${kb}/files/${f.id}`);
    expect(del.statusCode, del.body).toBe(204);
    expect((await records(ws, kb)).items).toEqual([]);
    const after = await call('GET', `/workspaces/${ws}/knowledge-bases/${kb}/files`);
    expect(after.json<CursorPage<FileOut>>().items).toEqual([]);
    expectError(
      await call('DELETE', `/workspaces/${ws}/knowledge-bases/${kb}/files/${f.id}`),
      404,
      'not_found',
    );
  });

  it('refuses empty files, images and uploads without a file part; nothing is stored', async () => {
    const ws = await newWorkspace(t);
    const kb = await newBase(ws);
    expectError(await upload(ws, kb, 'empty.txt', ''), 400, 'invalid_request');
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    expectError(await upload(ws, kb, 'x.png', png), 415, 'unsupported_media_type');
    const json = await call('POST', `/workspaces/${ws}/knowledge-bases/${kb}/files`, { file: 'nope' });
    expectError(json, 400, 'invalid_request');
    expectError(await upload(ws, MISSING_ID, 'a.txt', 'hello'), 404, 'not_found');
    const list = await call('GET', `/workspaces/${ws}/knowledge-bases/${kb}/files`);
    expect(list.json<CursorPage<FileOut>>().items).toEqual([]);
  });
});

describe('knowledge files left processing by a process that stopped', () => {
  it('are processed again from their stored bytes; a file whose bytes are gone is marked failed', async () => {
    const ws = await newWorkspace(t);
    const kb = await newBase(ws);
    // what a crash leaves: the row says processing, the bytes are stored, no records
    const blobs = createFsBlobStore(path.join(t.dataDir, 'files'));
    const stuck = async (name: string, text: string | null, ageMs: number) => {
      const id = newId();
      const storageKey = `knowledge/${ws}/${id}`;
      if (text !== null) await blobs.put(storageKey, Buffer.from(text));
      const at = new Date(t.clock.now().getTime() - ageMs);
      await t.db.db.insert(knowledgeFiles).values({
        id,
        workspaceId: ws,
        knowledgeBaseId: kb,
        name,
        size: text?.length ?? 10,
        mimeType: 'text/plain',
        storageKey,
        status: 'processing',
        error: null,
        createdAt: at,
        updatedAt: at,
      });
      return id;
    };
    const old = await stuck('old.txt', 'Trocas em até sete dias com nota fiscal.', 10 * 60_000);
    const lost = await stuck('lost.txt', null, 10 * 60_000);
    const recent = await stuck('recent.txt', 'Ainda sendo processado por outra instância.', 1_000);

    // a restarted process (its own knowledge service over the same database and files)
    const restarted = createKnowledgeService({
      db: t.db.db,
      clock: t.clock,
      blobs,
      tracker: t.services.runtime.tracker,
      log: t.app.log,
    });
    expect(await restarted.files.resumeStale(5 * 60_000)).toBe(1);
    await restarted.files.idle();
    const files = (await call('GET', `/workspaces/${ws}/knowledge-bases/${kb}/files`)).json<
      CursorPage<FileOut>
    >();
    const byId = new Map(files.items.map((f) => [f.id, f]));
    expect(byId.get(old)).toMatchObject({ status: 'ready', records_count: 1, error: null });
    expect(byId.get(lost)).toMatchObject({ status: 'failed', error: 'The stored file is missing.' });
    expect(byId.get(recent)).toMatchObject({ status: 'processing' });
    const rec = await records(ws, kb, `?file_id=${old}`);
    expect(rec.items.map((r) => r.text)).toEqual(['Trocas em até sete dias com nota fiscal.']);
    // nothing left to resume but the recent one, which is not stale yet
    expect(await restarted.files.resumeStale(5 * 60_000)).toBe(0);
  });
});
