import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkCsv, chunkText } from '../../../src/features/knowledge/chunking.js';
import { queryTerms, searchKnowledge } from '../../../src/features/knowledge/search.js';
import { operatorHeaders } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { respondingModel } from '../../mock-model.js';
import {
  eva,
  evaWorld,
  linkKnowledgeBases,
  newEvaConversation,
  newKnowledgeBase,
  type EvaWorld,
} from './eva.js';

/** A model that calls knowledge_search with `query` first, then answers with what the tool returned. */
function retrievingModel(query: string) {
  return respondingModel((options, n) => {
    const offered = (options.tools ?? []).some((tl) => tl.name === 'knowledge_search');
    const first = n === 1 || options.prompt.at(-1)?.role !== 'tool';
    if (first && offered) {
      return [{ toolCall: { id: 'kb-1', name: 'knowledge_search', input: JSON.stringify({ query }) } }];
    }
    const last = options.prompt.at(-1);
    const seen = last?.role === 'tool' ? JSON.stringify(last.content) : 'no tool';
    return [{ text: `Resposta: ${seen}` }];
  });
}

const retrieving = retrievingModel('Qual é a política de reembolso?');
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ providers: { mock: () => retrieving.model } });
});
afterAll(() => t.close());

async function addRecords(
  w: EvaWorld,
  kb: string,
  items: Array<{ title?: string; text: string }>,
): Promise<string[]> {
  const ids: string[] = [];
  for (const item of items) {
    const res = await eva(t, 'POST', `/dataset/record/${kb}`, w.admin, item);
    expect(res.statusCode, res.body).toBe(200);
    ids.push(res.json<{ id: string }>().id);
  }
  return ids;
}

describe('knowledge retrieval (PostgreSQL full text, Portuguese and English)', () => {
  let w: EvaWorld;
  let kb: string;
  let ids: string[];
  const search = (query: string, knowledgeBaseIds = [kb], limit = 5) =>
    searchKnowledge(t.db.db, { workspaceId: w.ws, knowledgeBaseIds, query, limit });

  beforeAll(async () => {
    w = await evaWorld(t);
    kb = await newKnowledgeBase(t, w.ws);
    ids = await addRecords(w, kb, [
      {
        title: 'Política de reembolsos',
        text: 'Devolvemos o dinheiro em até 30 dias após a compra, mediante nota fiscal.',
      },
      {
        title: 'Entrega',
        text: 'A entrega leva de 3 a 5 dias úteis. Entregas expressas chegam em 24 horas.',
      },
      { text: 'Ação promocional de verão: camisetas com 20% de desconto.' },
      {
        title: 'Refund policy',
        text: 'We refund purchases within 30 days. Refunds are paid to the original card.',
      },
      { title: 'Shipping', text: 'Orders ship within two business days from our warehouse.' },
      {
        text: 'O horário de atendimento é de segunda a sexta, das 9h às 18h. A entrega não ocorre aos domingos.',
      },
    ]);
  });

  it('finds Portuguese text through stems, with or without accents, in any case', async () => {
    expect((await search('reembolso'))[0]?.id).toBe(ids[0]);
    expect((await search('REEMBOLSOS'))[0]?.id).toBe(ids[0]);
    expect((await search('politica de reembolso'))[0]?.id).toBe(ids[0]);
    expect((await search('acao de verao'))[0]?.id).toBe(ids[2]);
    expect((await search('camiseta'))[0]?.id).toBe(ids[2]);
    expect((await search('entregar'))[0]?.id).toBe(ids[1]);
  });

  it('finds English text through stems', async () => {
    expect((await search('refunding'))[0]?.id).toBe(ids[3]);
    expect((await search('shipped orders'))[0]?.id).toBe(ids[4]);
  });

  it('ranks the most relevant record first and leaves unrelated ones out', async () => {
    const hits = await search('Qual é o prazo de entrega?');
    expect(hits[0]?.id).toBe(ids[1]);
    expect(hits.map((h) => h.id)).toContain(ids[5]);
    expect(hits.map((h) => h.id)).not.toContain(ids[3]);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect(await search('xylofone')).toEqual([]);
    expect(await search('de a o')).toEqual([]);
    expect(await search('!!! ??? ***')).toEqual([]);
    expect(await search("'; drop table knowledge_records; --")).toEqual([]);
    expect((await search('entrega', [kb], 1)).length).toBe(1);
  });

  it('searches only the given live knowledge bases of the workspace', async () => {
    const other = await newKnowledgeBase(t, w.ws);
    const [otherId] = await addRecords(w, other, [{ text: 'Reembolso especial para clientes VIP.' }]);
    expect((await search('reembolso')).map((h) => h.id)).not.toContain(otherId);
    expect((await search('reembolso', [kb, other])).map((h) => h.id)).toContain(otherId);
    await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/workspaces/${w.ws}/knowledge-bases/${other}`,
      headers: operatorHeaders,
    });
    expect((await search('reembolso', [kb, other])).map((h) => h.id)).not.toContain(otherId);
    const foreign = await evaWorld(t);
    expect(
      await searchKnowledge(t.db.db, {
        workspaceId: foreign.ws,
        knowledgeBaseIds: [kb],
        query: 'reembolso',
        limit: 5,
      }),
    ).toEqual([]);
  });

  it('a deleted record is no longer found', async () => {
    const [id] = await addRecords(w, kb, [{ text: 'Cupom relâmpago QUINTA10 válido hoje.' }]);
    expect((await search('cupom relampago'))[0]?.id).toBe(id);
    await eva(t, 'DELETE', `/dataset/record/${kb}/${id}`, w.admin);
    expect(await search('cupom relampago')).toEqual([]);
  });
});

describe('the knowledge_search tool in a conversation', () => {
  it('is offered to agents linked to knowledge bases, and its passages reach the model', async () => {
    const w = await evaWorld(t, { model: 'mock:retrieving' });
    const kb = await newKnowledgeBase(t, w.ws);
    await addRecords(w, kb, [
      { title: 'Política de reembolso', text: 'Devolvemos o dinheiro em até 30 dias.' },
      { title: 'Horário', text: 'Atendemos de segunda a sexta.' },
    ]);
    await linkKnowledgeBases(t, w.ws, w.agentId, [kb]);
    const id = await newEvaConversation(t, w);
    const before = retrieving.calls.length;
    const res = await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: 'Vocês fazem reembolso?' });
    expect(res.statusCode, res.body).toBe(200);
    const text = res.json<{ sendMensages: Array<{ text: string }> }>().sendMensages[0]!.text;
    expect(text).toContain('Devolvemos o dinheiro em até 30 dias.');
    expect(text).not.toContain('Atendemos de segunda');
    const offered = retrieving.calls[before]!.tools?.map((tl) => tl.name);
    expect(offered).toContain('knowledge_search');

    // EvaGPT never shows the internal tool message; the management API does
    const msgs = (await eva(t, 'GET', `/conversation/message/${id}`, w.h)).json<{
      messages: Array<{ role: string }>;
    }>();
    expect(msgs.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    const detail = await t.app.inject({
      method: 'GET',
      url: `/v1/admin/workspaces/${w.ws}/conversations/${id}`,
      headers: operatorHeaders,
    });
    expect(detail.json<{ messages: Array<{ role: string }> }>().messages.map((m) => m.role)).toEqual([
      'user',
      'tool',
      'assistant',
    ]);
  });

  it('is not offered to agents without (live) knowledge bases', async () => {
    const w = await evaWorld(t, { model: 'mock:retrieving' });
    const kb = await newKnowledgeBase(t, w.ws);
    const id = await newEvaConversation(t, w);
    const before = retrieving.calls.length;
    await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: 'oi' });
    expect(retrieving.calls[before]!.tools ?? []).toEqual([]);
    await linkKnowledgeBases(t, w.ws, w.agentId, [kb]);
    await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/workspaces/${w.ws}/knowledge-bases/${kb}`,
      headers: operatorHeaders,
    });
    const again = retrieving.calls.length;
    await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: 'oi de novo' });
    expect(retrieving.calls[again]!.tools ?? []).toEqual([]);
  });
});

describe('chunking and query terms', () => {
  it('splits at paragraphs, then lines, sentences and spaces, never over the limit', () => {
    expect(chunkText('  ')).toEqual([]);
    expect(chunkText('curto')).toEqual(['curto']);
    const paras = ['a'.repeat(30), 'b'.repeat(30), 'c'.repeat(30)].join('\n\n');
    expect(chunkText(paras, 70)).toEqual([`${'a'.repeat(30)}\n\n${'b'.repeat(30)}`, 'c'.repeat(30)]);
    const sentences = 'Primeira frase aqui. Segunda frase aqui. Terceira frase aqui.';
    for (const c of chunkText(sentences, 25)) expect(c.length).toBeLessThanOrEqual(25);
    expect(chunkText(sentences, 25).join(' ')).toBe(sentences);
    const noSpaces = `${'x'.repeat(9)}😀${'y'.repeat(9)}`;
    const hard = chunkText(noSpaces, 10);
    expect(hard.join('')).toBe(noSpaces);
    for (const c of hard) expect(c.length).toBeLessThanOrEqual(10);
    expect(hard.some((c) => /[\uD800-\uDBFF]$/.test(c))).toBe(false);
  });

  it('repeats the CSV header on every chunk', () => {
    const csv = `h1,h2\n${Array.from({ length: 10 }, (_, i) => `${i},valor ${i}`).join('\n')}`;
    const chunks = chunkCsv(csv, 30);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.startsWith('h1,h2\n')).toBe(true);
      expect(c.length).toBeLessThanOrEqual(30);
    }
  });

  it('keeps only distinct words for the query', () => {
    expect(queryTerms('Qual é a política? Política!')).toBe('qual é a política');
    expect(queryTerms('!!!')).toBeUndefined();
  });
});
