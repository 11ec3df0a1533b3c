import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_MAX_CHARS } from '../../../src/features/knowledge/chunking.js';
import { makeDocx } from '../../docx.js';
import { operatorHeaders } from '../../factories.js';
import { PNG } from '../../fixtures.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { MISSING_ID } from '../../http.js';
import { multipartBody, type Part } from '../../multipart.js';
import {
  EVA,
  eva,
  evaWorld,
  eventually,
  expectIso,
  expectProblem,
  newKnowledgeBase,
  type EvaWorld,
} from './eva.js';
import { makePdf } from './pdf.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

interface RecordOut {
  id: string;
  datasetId: string;
  title: string | null;
  text: string;
  meta: Record<string, unknown>;
  fileId: string | null;
  createdAt: string;
}

interface FileOut {
  id: string;
  datasetId: string;
  name: string;
  size: number;
  mimeType: string;
  status: 'processing' | 'ready' | 'failed';
  records: number;
  error: string | null;
  createdAt: string;
}

interface Paged {
  total: number;
  currentPage: number;
  totalPages: number;
  cursor: string | null;
}

function expectRecord(r: RecordOut): void {
  expect(Object.keys(r).sort()).toEqual(['createdAt', 'datasetId', 'fileId', 'id', 'meta', 'text', 'title']);
  expectIso(r.createdAt);
}

function expectFile(f: FileOut): void {
  expect(Object.keys(f).sort()).toEqual([
    'createdAt',
    'datasetId',
    'error',
    'id',
    'mimeType',
    'name',
    'records',
    'size',
    'status',
  ]);
  expectIso(f.createdAt);
}

const upload = (w: EvaWorld, kb: string, parts: Part[]) => {
  const { payload, headers } = multipartBody(parts);
  return t.app.inject({
    method: 'POST',
    url: `${EVA}/dataset/file/${kb}`,
    headers: { ...w.admin, ...headers },
    payload,
  });
};

const records = async (w: EvaWorld, kb: string, query = '') => {
  const res = await eva(t, 'GET', `/dataset/record/${kb}/list${query}`, w.h);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Paged & { records: RecordOut[] }>();
};

/** Polls E18 until the file left `processing`. */
const settled = (w: EvaWorld, kb: string, fileId: string) =>
  eventually(async () => {
    const res = await eva(t, 'GET', `/dataset/file/${kb}?limit=100`, w.h);
    const f = res.json<{ files: FileOut[] }>().files.find((x) => x.id === fileId);
    return f && f.status !== 'processing' ? f : undefined;
  });

describe('E13 GET /dataset', () => {
  it('lists the workspace knowledge bases by name with record and file counts', async () => {
    const w = await evaWorld(t);
    const b = await newKnowledgeBase(t, w.ws, { name: 'Políticas', description: 'Regras da loja' });
    const a = await newKnowledgeBase(t, w.ws, { name: 'FAQ' });
    const gone = await newKnowledgeBase(t, w.ws, { name: 'Antiga' });
    await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/workspaces/${w.ws}/knowledge-bases/${gone}`,
      headers: operatorHeaders,
    });
    await newKnowledgeBase(t, (await evaWorld(t)).ws, { name: 'Other workspace' });
    await eva(t, 'POST', `/dataset/record/${b}`, w.admin, { text: 'Trocas em até 30 dias.' });
    await eva(t, 'POST', `/dataset/record/${b}`, w.admin, { text: 'Frete grátis acima de R$ 200.' });

    const res = await eva(t, 'GET', '/dataset', w.h);
    expect(res.statusCode).toBe(200);
    const list = res.json<Array<Record<string, unknown>>>();
    expect(list.map((d) => d['name'])).toEqual(['FAQ', 'Políticas']);
    for (const d of list) {
      expect(Object.keys(d).sort()).toEqual([
        'createdAt',
        'description',
        'files',
        'id',
        'name',
        'records',
        'updatedAt',
      ]);
      expectIso(d['createdAt']);
      expectIso(d['updatedAt']);
    }
    expect(list[0]).toMatchObject({ id: a, description: null, records: 0, files: 0 });
    expect(list[1]).toMatchObject({ id: b, description: 'Regras da loja', records: 2, files: 0 });
  });
});

describe('E14 POST /dataset/record/:datasetid', () => {
  it('creates a record with every field; it is listed at once', async () => {
    const w = await evaWorld(t);
    const kb = await newKnowledgeBase(t, w.ws);
    const res = await eva(t, 'POST', `/dataset/record/${kb}`, w.admin, {
      text: 'O prazo de entrega é de 5 dias úteis.',
      title: 'Entrega',
      meta: { fonte: 'manual', versão: 2 },
    });
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json<RecordOut>();
    expectRecord(r);
    expect(r).toMatchObject({
      datasetId: kb,
      title: 'Entrega',
      text: 'O prazo de entrega é de 5 dias úteis.',
      meta: { fonte: 'manual', versão: 2 },
      fileId: null,
    });
    const minimal = await eva(t, 'POST', `/dataset/record/${kb}`, w.admin, { text: 'Só texto.' });
    expect(minimal.json<RecordOut>()).toMatchObject({ title: null, meta: {}, fileId: null });
    expect((await records(w, kb)).total).toBe(2);
  });

  it('400 for invalid bodies, 404 for unknown, foreign or deleted datasets; nothing is stored', async () => {
    const w = await evaWorld(t);
    const kb = await newKnowledgeBase(t, w.ws);
    for (const body of [
      {},
      { text: '' },
      { text: 'x'.repeat(20_001) },
      { text: 'ok', title: 't'.repeat(201) },
      { text: 'ok', meta: 'no' },
      { text: 'ok', meta: { big: 'x'.repeat(16_500) } },
    ]) {
      expectProblem(await eva(t, 'POST', `/dataset/record/${kb}`, w.admin, body), 400, 'bad-request');
    }
    expect((await records(w, kb)).total).toBe(0);
    const foreign = await newKnowledgeBase(t, (await evaWorld(t)).ws);
    for (const id of [MISSING_ID, 'bad', foreign]) {
      expectProblem(await eva(t, 'POST', `/dataset/record/${id}`, w.admin, { text: 'x' }), 404, 'not-found');
    }
  });
});

describe('E15 GET /dataset/record/:datasetid/list', () => {
  it('paginates newest first with a cursor and filters by search and fileId', async () => {
    const w = await evaWorld(t);
    const kb = await newKnowledgeBase(t, w.ws);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await eva(t, 'POST', `/dataset/record/${kb}`, w.admin, {
        text: i % 2 === 0 ? `Política de TROCA número ${i}` : `Horário ${i}`,
        title: i === 1 ? 'Especial troca' : null,
      });
      ids.push(res.json<RecordOut>().id);
    }
    const p1 = await records(w, kb, '?limit=2&currentPage=0');
    expect(p1).toMatchObject({ total: 5, currentPage: 1, totalPages: 3 });
    p1.records.forEach(expectRecord);
    const p2 = await records(w, kb, `?cursor=${p1.cursor}&currentPage=1`);
    const p3 = await records(w, kb, `?cursor=${p2.cursor}&currentPage=2`);
    expect(p3).toMatchObject({ currentPage: 3, cursor: null });
    expect([...p1.records, ...p2.records, ...p3.records].map((r) => r.id)).toEqual([...ids].reverse());

    const troca = await records(w, kb, '?search=troca');
    expect(troca.records.map((r) => r.id).sort()).toEqual([ids[0], ids[1], ids[2], ids[4]].sort());
    expect((await records(w, kb, `?fileId=${MISSING_ID}`)).total).toBe(0);
    expectProblem(await eva(t, 'GET', `/dataset/record/${kb}/list?fileId=nope`, w.h), 400, 'bad-request');
    expectProblem(await eva(t, 'GET', `/dataset/record/${kb}/list?currentPage=2`, w.h), 400, 'bad-request');
    // a cursor of another dataset is refused
    const other = await newKnowledgeBase(t, w.ws);
    expectProblem(
      await eva(t, 'GET', `/dataset/record/${other}/list?cursor=${p1.cursor}`, w.h),
      400,
      'bad-request',
    );
    expectProblem(await eva(t, 'GET', `/dataset/record/${MISSING_ID}/list`, w.h), 404, 'not-found');
  });
});

describe('E16 DELETE /dataset/record/:datasetid/:recordid', () => {
  it('deletes a record of the dataset; 404 for records of another dataset or already deleted', async () => {
    const w = await evaWorld(t);
    const kb = await newKnowledgeBase(t, w.ws);
    const other = await newKnowledgeBase(t, w.ws);
    const r = (await eva(t, 'POST', `/dataset/record/${kb}`, w.admin, { text: 'apagar' })).json<RecordOut>();
    expectProblem(await eva(t, 'DELETE', `/dataset/record/${other}/${r.id}`, w.admin), 404, 'not-found');
    const res = await eva(t, 'DELETE', `/dataset/record/${kb}/${r.id}`, w.admin);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: r.id, deleted: true });
    expectProblem(await eva(t, 'DELETE', `/dataset/record/${kb}/${r.id}`, w.admin), 404, 'not-found');
    expectProblem(await eva(t, 'DELETE', `/dataset/record/${kb}/bad-id`, w.admin), 404, 'not-found');
    expect((await records(w, kb)).total).toBe(0);
  });
});

describe('E17–E20 dataset files', () => {
  it('chunks a long text file into records of ≤4,000 characters, then lists, downloads and deletes it', async () => {
    const w = await evaWorld(t);
    const kb = await newKnowledgeBase(t, w.ws);
    const paragraph = (i: number) =>
      `Seção ${i}. A política de reembolso garante devolução do valor em até trinta dias após a compra. `.repeat(
        8,
      );
    const text = Array.from({ length: 20 }, (_, i) => paragraph(i)).join('\n\n');
    const res = await upload(w, kb, [
      { name: 'file', filename: 'politicas.txt', contentType: 'text/plain', data: text },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    const f = res.json<FileOut>();
    expectFile(f);
    expect(f).toMatchObject({
      datasetId: kb,
      name: 'politicas.txt',
      size: Buffer.byteLength(text),
      mimeType: 'text/plain',
      status: 'processing',
      records: 0,
      error: null,
    });

    const ready = await settled(w, kb, f.id);
    expect(ready.status).toBe('ready');
    expect(ready.error).toBeNull();
    const chunks = await records(w, kb, `?fileId=${f.id}&limit=100`);
    expect(chunks.total).toBe(ready.records);
    expect(ready.records).toBeGreaterThan(1);
    for (const r of chunks.records) {
      expect(r.fileId).toBe(f.id);
      expect(r.text.length).toBeLessThanOrEqual(CHUNK_MAX_CHARS);
    }
    // every paragraph made it into some chunk, whole
    const joined = chunks.records.map((r) => r.text).join('\n');
    for (let i = 0; i < 20; i++) expect(joined).toContain(paragraph(i).trim());
    const datasets = (await eva(t, 'GET', '/dataset', w.h)).json<
      Array<{ id: string; files: number; records: number }>
    >();
    expect(datasets.find((d) => d.id === kb)).toMatchObject({ files: 1, records: ready.records });

    const dl = await eva(t, 'GET', `/dataset/file/${f.id}/download`, w.h);
    expect(dl.statusCode).toBe(200);
    expect(dl.headers['content-type']).toBe('text/plain');
    expect(dl.headers['content-length']).toBe(String(Buffer.byteLength(text)));
    expect(dl.headers['content-disposition']).toBe("attachment; filename*=UTF-8''politicas.txt");
    expect(dl.headers['x-content-type-options']).toBe('nosniff');
    expect(dl.body).toBe(text);

    const del = await eva(t, 'DELETE', `/dataset/file/${f.id}`, w.admin);
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({ id: f.id, deleted: true, recordsDeleted: ready.records });
    expect((await records(w, kb)).total).toBe(0);
    expectProblem(await eva(t, 'GET', `/dataset/file/${f.id}/download`, w.h), 404, 'not-found');
    expectProblem(await eva(t, 'DELETE', `/dataset/file/${f.id}`, w.admin), 404, 'not-found');
  });

  it('accepts Markdown, CSV (header on every chunk), JSON, DOCX and PDF', async () => {
    const w = await evaWorld(t);
    const kb = await newKnowledgeBase(t, w.ws);
    const csvRows = Array.from({ length: 300 }, (_, i) => `${i},Produto ${i},R$ ${i}.90`);
    const cases: Array<{ part: Part; mime: string; expect: string }> = [
      {
        part: { name: 'file', filename: 'guia.md', data: '# Guia\n\nUse **sempre** o cupom BEMVINDO.' },
        mime: 'text/markdown',
        expect: 'cupom BEMVINDO',
      },
      {
        part: { name: 'file', filename: 'precos.csv', data: `id,nome,preco\n${csvRows.join('\n')}` },
        mime: 'text/csv',
        expect: 'Produto 299',
      },
      {
        part: {
          name: 'file',
          filename: 'faq.json',
          data: JSON.stringify({ pergunta: 'Aceitam Pix?', resposta: 'Sim' }),
        },
        mime: 'application/json',
        expect: 'Aceitam Pix?',
      },
      {
        part: {
          name: 'file',
          filename: 'manual.docx',
          data: await makeDocx(['Garantia de um ano.', 'Suporte 24h.']),
        },
        mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        expect: 'Garantia de um ano.',
      },
      {
        part: {
          name: 'file',
          filename: 'contrato.pdf',
          data: makePdf(['Multa rescisoria de 10 por cento.']),
        },
        mime: 'application/pdf',
        expect: 'Multa rescisoria',
      },
    ];
    for (const c of cases) {
      const res = await upload(w, kb, [c.part]);
      expect(res.statusCode, res.body).toBe(200);
      const f = res.json<FileOut>();
      expect(f.mimeType).toBe(c.mime);
      const done = await settled(w, kb, f.id);
      expect(done.status, `${c.mime}: ${done.error}`).toBe('ready');
      const recs = await records(w, kb, `?fileId=${f.id}&limit=100`);
      expect(recs.records.map((r) => r.text).join('\n')).toContain(c.expect);
      if (c.mime === 'text/csv') {
        expect(recs.total).toBeGreaterThan(1);
        for (const r of recs.records) expect(r.text.startsWith('id,nome,preco\n')).toBe(true);
      }
    }
  });

  it('marks files without text failed with an error', async () => {
    const w = await evaWorld(t);
    const kb = await newKnowledgeBase(t, w.ws);
    const res = await upload(w, kb, [{ name: 'file', filename: 'vazio.docx', data: await makeDocx([]) }]);
    expect(res.statusCode, res.body).toBe(200);
    const done = await settled(w, kb, res.json<FileOut>().id);
    expect(done.status).toBe('failed');
    expect(done.error).toBe('The file contains no text.');
    expect(done.records).toBe(0);
  });

  it('400 without a file part or with an empty file, 415 for images, 404 for unknown datasets', async () => {
    const w = await evaWorld(t);
    const kb = await newKnowledgeBase(t, w.ws);
    expectProblem(await upload(w, kb, [{ name: 'other', value: 'x' }]), 400, 'bad-request');
    expectProblem(await upload(w, kb, [{ name: 'file', filename: 'a.txt', data: '' }]), 400, 'bad-request');
    expectProblem(await eva(t, 'POST', `/dataset/file/${kb}`, w.admin, { file: 'x' }), 400, 'bad-request');
    expectProblem(
      await upload(w, kb, [{ name: 'file', filename: 'a.png', data: PNG }]),
      415,
      'unsupported-media-type',
    );
    expectProblem(
      await upload(w, kb, [{ name: 'file', filename: 'bin.dat', data: Buffer.from([0, 1, 2, 0xff]) }]),
      415,
      'unsupported-media-type',
    );
    expectProblem(
      await upload(w, MISSING_ID, [{ name: 'file', filename: 'a.txt', data: 'oi' }]),
      404,
      'not-found',
    );
    const files = await eva(t, 'GET', `/dataset/file/${kb}`, w.h);
    expect(files.json<Paged>().total).toBe(0);
  });

  it('413 for files over 25 MiB', async () => {
    const w = await evaWorld(t);
    const kb = await newKnowledgeBase(t, w.ws);
    const big = Buffer.alloc(26_214_401, 0x61);
    expectProblem(
      await upload(w, kb, [{ name: 'file', filename: 'big.txt', data: big }]),
      413,
      'payload-too-large',
    );
  });

  it('E18 paginates files newest first; deleting a file mid-processing leaves nothing behind', async () => {
    const w = await evaWorld(t);
    const kb = await newKnowledgeBase(t, w.ws);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await upload(w, kb, [{ name: 'file', filename: `f${i}.txt`, data: `Arquivo ${i}` }]);
      ids.push(res.json<FileOut>().id);
    }
    const p1 = await eva(t, 'GET', `/dataset/file/${kb}?limit=2`, w.h);
    const b1 = p1.json<Paged & { files: FileOut[] }>();
    expect(b1).toMatchObject({ total: 3, currentPage: 1, totalPages: 2 });
    b1.files.forEach(expectFile);
    const b2 = (await eva(t, 'GET', `/dataset/file/${kb}?cursor=${b1.cursor}`, w.h)).json<
      Paged & { files: FileOut[] }
    >();
    expect(b2).toMatchObject({ currentPage: 2, cursor: null });
    expect([...b1.files, ...b2.files].map((f) => f.id)).toEqual([...ids].reverse());
    expectProblem(await eva(t, 'GET', `/dataset/file/${MISSING_ID}`, w.h), 404, 'not-found');

    const big = Array.from({ length: 200 }, (_, i) => `Parágrafo ${i} `.repeat(40)).join('\n\n');
    const res = await upload(w, kb, [{ name: 'file', filename: 'grande.txt', data: big }]);
    const fid = res.json<FileOut>().id;
    const del = await eva(t, 'DELETE', `/dataset/file/${fid}`, w.admin);
    expect(del.statusCode).toBe(200);
    // whatever processing had done is gone, and nothing appears later
    await eventually(async () => ((await records(w, kb, `?fileId=${fid}`)).total === 0 ? true : undefined));
    const after = await eva(t, 'GET', `/dataset/file/${kb}?limit=100`, w.h);
    expect(after.json<{ files: FileOut[] }>().files.map((f) => f.id)).not.toContain(fid);
  });

  it('names in Content-Disposition are RFC 5987-encoded', async () => {
    const w = await evaWorld(t);
    const kb = await newKnowledgeBase(t, w.ws);
    const res = await upload(w, kb, [{ name: 'file', filename: 'Relatorio (final) v2.md', data: '# Olá' }]);
    const dl = await eva(t, 'GET', `/dataset/file/${res.json<FileOut>().id}/download`, w.h);
    expect(dl.headers['content-disposition']).toBe(
      "attachment; filename*=UTF-8''Relatorio%20%28final%29%20v2.md",
    );
    expect(dl.headers['content-type']).toBe('text/markdown');
  });
});
