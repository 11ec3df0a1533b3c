import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAgent, newKey, newPublicConversation, setAgentStatus } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { MISSING_ID } from '../../http.js';
import { bearer, eva, evaWorld, expectIso, expectProblem, newEvaConversation, type EvaWorld } from './eva.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

interface Conv {
  id: string;
  botname: string;
  description: string;
  channel: string;
  survey: number;
  meta: Record<string, unknown>;
  botId: string;
  createdAt: string;
  updatedAt: string;
}

interface ListBody {
  total: number;
  currentPage: number;
  totalPages: number;
  cursor: string | null;
  conversations: Conv[];
}

function expectConversation(c: Conv): void {
  expect(Object.keys(c).sort()).toEqual([
    'botId',
    'botname',
    'channel',
    'createdAt',
    'description',
    'id',
    'meta',
    'survey',
    'updatedAt',
  ]);
  expect(typeof c.id).toBe('string');
  expect(typeof c.botname).toBe('string');
  expect(typeof c.description).toBe('string');
  expect(['api', 'web_chat']).toContain(c.channel);
  expect(Number.isInteger(c.survey)).toBe(true);
  expect(c.meta).toBeTypeOf('object');
  expectIso(c.createdAt);
  expectIso(c.updatedAt);
}

const list = async (w: EvaWorld, query: string) => {
  const res = await eva(t, 'GET', `/conversation${query}`, w.h);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ListBody>();
};

describe('E7 POST /conversation/create/:botId', () => {
  it('creates an active api conversation with the initial meta', async () => {
    const w = await evaWorld(t, { name: 'Atendente' });
    const res = await eva(t, 'POST', `/conversation/create/${w.agentId}`, w.h, {
      meta: { origem: 'site', n: 1 },
    });
    expect(res.statusCode, res.body).toBe(200);
    const c = res.json<Conv>();
    expectConversation(c);
    expect(c).toMatchObject({
      botname: 'Atendente',
      description: '',
      channel: 'api',
      survey: 0,
      meta: { origem: 'site', n: 1 },
      botId: w.agentId,
    });
    // body optional, and the vendor example {"meta": {}}
    const bare = await eva(t, 'POST', `/conversation/create/${w.agentId}`, w.h);
    expect(bare.statusCode, bare.body).toBe(200);
    expect(bare.json<Conv>().meta).toEqual({});
    expect((await eva(t, 'POST', `/conversation/create/${w.agentId}`, w.h, { meta: {} })).statusCode).toBe(
      200,
    );
  });

  it('409 agent-unavailable for a bot that is not runnable; 404 for unknown bots; 400 for bad meta', async () => {
    const w = await evaWorld(t);
    const inactive = await newAgent(t, w.ws);
    await setAgentStatus(t, w.ws, inactive, 'inactive');
    expectProblem(await eva(t, 'POST', `/conversation/create/${inactive}`, w.h), 409, 'agent-unavailable');
    expectProblem(await eva(t, 'POST', `/conversation/create/${MISSING_ID}`, w.h), 404, 'not-found');
    expectProblem(
      await eva(t, 'POST', `/conversation/create/${w.agentId}`, w.h, { meta: 'x' }),
      400,
      'bad-request',
    );
    expectProblem(
      await eva(t, 'POST', `/conversation/create/${w.agentId}`, w.h, { meta: { big: 'x'.repeat(17_000) } }),
      400,
      'bad-request',
    );
    expect((await list(w, '')).total).toBe(0);
  });
});

describe('E5 GET /conversation/:idConversation', () => {
  it('answers the conversation; 404 for missing, malformed and foreign ids', async () => {
    const w = await evaWorld(t);
    const id = await newEvaConversation(t, w, { plan: 'pro' });
    const res = await eva(t, 'GET', `/conversation/${id}`, w.h);
    expect(res.statusCode).toBe(200);
    expectConversation(res.json<Conv>());
    expect(res.json<Conv>()).toMatchObject({ id, meta: { plan: 'pro' }, survey: 0 });
    const other = await evaWorld(t);
    const foreign = await newEvaConversation(t, other);
    for (const bad of [MISSING_ID, 'abc', foreign]) {
      expectProblem(await eva(t, 'GET', `/conversation/${bad}`, w.h), 404, 'not-found');
    }
  });
});

describe('E8 PUT /conversation/update/:convId', () => {
  it('merges pairs into meta, removes keys sent as null, and {} changes nothing', async () => {
    const w = await evaWorld(t);
    const id = await newEvaConversation(t, w, { keep: 'yes', drop: 'me' });
    const res = await eva(t, 'PUT', `/conversation/update/${id}`, w.h, {
      orderId: 'A-1',
      plan: 'pro',
      drop: null,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Conv>().meta).toEqual({ keep: 'yes', orderId: 'A-1', plan: 'pro' });
    const again = await eva(t, 'PUT', `/conversation/update/${id}`, w.h, {
      plan: 'basic',
      nested: { a: [1] },
    });
    expect(again.json<Conv>().meta).toEqual({
      keep: 'yes',
      orderId: 'A-1',
      plan: 'basic',
      nested: { a: [1] },
    });
    const noop = await eva(t, 'PUT', `/conversation/update/${id}`, w.h, {});
    expect(noop.json<Conv>().meta).toEqual(again.json<Conv>().meta);
    expect(noop.json<Conv>().updatedAt).toBe(again.json<Conv>().updatedAt);
    // read back
    expect((await eva(t, 'GET', `/conversation/${id}`, w.h)).json<Conv>().meta).toEqual(
      again.json<Conv>().meta,
    );
  });

  it('concurrent merges of different keys all land', async () => {
    const w = await evaWorld(t);
    const id = await newEvaConversation(t, w);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => eva(t, 'PUT', `/conversation/update/${id}`, w.h, { [`k${i}`]: i })),
    );
    const meta = (await eva(t, 'GET', `/conversation/${id}`, w.h)).json<Conv>().meta;
    expect(meta).toEqual({ k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5 });
  });

  it('400 for too-long keys, non-object bodies and meta over 16 KiB (nothing changes); 404 unknown', async () => {
    const w = await evaWorld(t);
    const id = await newEvaConversation(t, w, { a: 1 });
    const longKey = expectProblem(
      await eva(t, 'PUT', `/conversation/update/${id}`, w.h, { ['k'.repeat(101)]: 1, ok: 2 }),
      400,
      'bad-request',
    );
    expect(longKey.errors?.[0]?.field).toBe('k'.repeat(101));
    expectProblem(await eva(t, 'PUT', `/conversation/update/${id}`, w.h, [1, 2]), 400, 'bad-request');
    expectProblem(
      await eva(t, 'PUT', `/conversation/update/${id}`, w.h, { big: 'x'.repeat(16 * 1024) }),
      400,
      'bad-request',
    );
    expect((await eva(t, 'GET', `/conversation/${id}`, w.h)).json<Conv>().meta).toEqual({ a: 1 });
    expectProblem(await eva(t, 'PUT', `/conversation/update/${MISSING_ID}`, w.h, { a: 2 }), 404, 'not-found');
  });

  it('is allowed on closed conversations', async () => {
    const w = await evaWorld(t);
    const id = await newEvaConversation(t, w);
    const term = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${id}/terminate`,
      headers: { 'x-api-key': w.key },
      payload: {},
    });
    expect(term.statusCode, term.body).toBe(200);
    const res = await eva(t, 'PUT', `/conversation/update/${id}`, w.h, { after: 'close' });
    expect(res.statusCode).toBe(200);
    expect(res.json<Conv>().meta).toEqual({ after: 'close' });
  });
});

describe('E4 GET /conversation', () => {
  it('walks every page with the cursor: fixed total, newest first, no duplicates, null cursor at the end', async () => {
    const w = await evaWorld(t);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await newEvaConversation(t, w, { i }));
    const first = await list(w, '?limit=3&currentPage=0');
    expect(first).toMatchObject({ total: 7, currentPage: 1, totalPages: 3 });
    expect(typeof first.cursor).toBe('string');
    first.conversations.forEach(expectConversation);
    const seen = first.conversations.map((c) => c.id);

    // a conversation created meanwhile shifts nothing
    await newEvaConversation(t, w);
    let page = first;
    while (page.cursor) {
      const q = new URLSearchParams({
        cursor: page.cursor,
        currentPage: String(page.currentPage),
        total: String(page.total),
        totalPages: String(page.totalPages),
        limit: '50', // ignored with a cursor
      });
      page = await list(w, `?${q}`);
      expect(page.total).toBe(7);
      expect(page.totalPages).toBe(3);
      seen.push(...page.conversations.map((c) => c.id));
    }
    expect(page.currentPage).toBe(3);
    expect(page.cursor).toBeNull();
    expect(seen).toEqual([...ids].reverse());
  });

  it('an empty list has zero pages; one page has a null cursor', async () => {
    const w = await evaWorld(t);
    expect(await list(w, '')).toEqual({
      total: 0,
      currentPage: 1,
      totalPages: 0,
      cursor: null,
      conversations: [],
    });
    await newEvaConversation(t, w);
    const one = await list(w, '?limit=25');
    expect(one).toMatchObject({ total: 1, currentPage: 1, totalPages: 1, cursor: null });
  });

  it('400 for currentPage without a cursor, tampered, foreign or expired cursors, and bad limits', async () => {
    const w = await evaWorld(t);
    for (let i = 0; i < 3; i++) await newEvaConversation(t, w);
    const first = await list(w, '?limit=1');
    const cursor = first.cursor!;
    expectProblem(await eva(t, 'GET', '/conversation?currentPage=1', w.h), 400, 'bad-request');
    const tampered = `${cursor.slice(0, -2)}${cursor.endsWith('AA') ? 'BB' : 'AA'}`;
    expectProblem(await eva(t, 'GET', `/conversation?cursor=${tampered}`, w.h), 400, 'bad-request');
    expectProblem(await eva(t, 'GET', '/conversation?cursor=garbage', w.h), 400, 'bad-request');
    // a cursor of another workspace's key
    const other = await evaWorld(t);
    expectProblem(await eva(t, 'GET', `/conversation?cursor=${cursor}`, other.h), 400, 'bad-request');
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'currentPage=-1']) {
      expectProblem(await eva(t, 'GET', `/conversation?${q}`, w.h), 400, 'bad-request');
    }
    t.clock.advance(25 * 3600 * 1000);
    try {
      expectProblem(await eva(t, 'GET', `/conversation?cursor=${cursor}`, w.h), 400, 'bad-request');
    } finally {
      t.clock.advance(-25 * 3600 * 1000);
    }
  });

  it('filters by UTC days, search over id/title/botname/channel and meta values (kept across pages)', async () => {
    const w = await evaWorld(t, { name: 'Loja Central' });
    const other = await newAgent(t, w.ws, { name: 'Suporte Técnico' });
    const day = 24 * 3600 * 1000;
    t.clock.advance(-3 * day);
    const old = await newEvaConversation(t, w, { pedido: 'PX-77' });
    t.clock.advance(3 * day);
    const recent = await newEvaConversation(t, w, { nota: 42, vip: true });
    const sup = await eva(t, 'POST', `/conversation/create/${other}`, w.h, { meta: { canal: 'whatsapp' } });
    const supId = sup.json<Conv>().id;

    const today = new Date(t.clock.now()).toISOString().slice(0, 10);
    const oldDay = new Date(t.clock.now().getTime() - 3 * day).toISOString().slice(0, 10);
    const idsOf = (b: ListBody) => b.conversations.map((c) => c.id).sort();
    expect(idsOf(await list(w, `?dateInit=${today}`))).toEqual([recent, supId].sort());
    expect(idsOf(await list(w, `?dateEnd=${oldDay}`))).toEqual([old]);
    expect(idsOf(await list(w, `?dateInit=${oldDay}&dateEnd=${oldDay}`))).toEqual([old]);
    expectProblem(
      await eva(t, 'GET', `/conversation?dateInit=${today}&dateEnd=${oldDay}`, w.h),
      400,
      'bad-request',
    );
    expectProblem(await eva(t, 'GET', '/conversation?dateInit=2026-02-30', w.h), 400, 'bad-request');
    expectProblem(await eva(t, 'GET', '/conversation?dateInit=27/04/2026', w.h), 400, 'bad-request');

    expect(idsOf(await list(w, '?search=SUPORTE%20t%C3%A9cnico'))).toEqual([supId]);
    expect(idsOf(await list(w, `?search=${recent.slice(-12)}`))).toEqual([recent]);
    expect((await list(w, '?search=API')).total).toBe(3);
    expect(idsOf(await list(w, '?meta=px-7'))).toEqual([old]);
    expect(idsOf(await list(w, '?meta=42'))).toEqual([recent]);
    expect(idsOf(await list(w, '?meta=true'))).toEqual([recent]);
    expect(idsOf(await list(w, '?meta=WHATS'))).toEqual([supId]);
    expect((await list(w, '?meta=%25')).total).toBe(0);

    // the filters travel in the cursor
    const p1 = await list(w, '?search=loja&limit=1');
    expect(p1.total).toBe(2);
    const p2 = await list(w, `?cursor=${p1.cursor}&search=zzz`);
    expect(p2.conversations.map((c) => c.id)).toEqual([old]);
    expect(p2.cursor).toBeNull();
  });

  it('shows the titles of conversations and conversations from other surfaces (web_chat)', async () => {
    const w = await evaWorld(t);
    const pub = await newPublicConversation(t, {}, w.ws);
    const res = await list(w, '');
    const c = res.conversations.find((x) => x.id === pub.id)!;
    expect(c.channel).toBe('web_chat');
    // a restricted key still lists nothing of other agents
    const limited = bearer((await newKey(t, w.ws, { type: 'secret', agent_ids: [w.agentId] })).key);
    const filtered = await eva(t, 'GET', '/conversation', limited);
    expect(filtered.json<ListBody>().total).toBe(0);
  });
});
