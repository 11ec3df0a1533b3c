import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUuidV7 } from '../../../src/platform/ids.js';
import { newKey } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { expectRdError, ISO_MS, leadModel, patchAgent, rd, rdAgent, rdWorld, type RdWorld } from './rd.js';

/** rdstation.md §5 R6–R9 (leads) and README §8 lead capture through save_lead. */

let t: TestApp;
let w: RdWorld;
const lead = leadModel();

beforeAll(async () => {
  t = await createTestApp({ providers: { mock: () => lead.model } });
  w = await rdWorld(t);
});
afterAll(() => t.close());

const LEAD_KEYS = [
  'agentId',
  'capture',
  'company',
  'createdAt',
  'custom',
  'email',
  'id',
  'name',
  'phone',
  'site',
  'updatedAt',
  'utm',
  'workspaceId',
].sort();

describe('R7 create lead, R8 get, R9 delete', () => {
  it('creates a lead with every field and reads it back', async () => {
    const agentId = await rdAgent(t, w);
    const body = {
      agentId,
      name: 'Maria Silva',
      email: 'maria@example.com',
      phone: '+55 11 99999-0000',
      company: 'ACME',
      site: 'https://acme.example',
      custom: { plan: 'pro', seats: 10 },
      utm: { source: 'google', medium: 'cpc', campaign: 'c', content: 'x', term: 't' },
      capture: 'partial',
    };
    const res = await rd(t, 'POST', '/rest/leads', w.key, body);
    expect(res.statusCode, res.body).toBe(200);
    const created = res.json();
    expect(Object.keys(created).sort()).toEqual(LEAD_KEYS);
    expect(isUuidV7(created.id)).toBe(true);
    expect(created).toMatchObject({ ...body, workspaceId: w.workspaceId });
    expect(created.createdAt).toMatch(ISO_MS);
    expect(created.updatedAt).toMatch(ISO_MS);
    const got = await rd(t, 'GET', `/rest/leads/${created.id}`, w.key);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(created);
  });

  it('defaults: everything optional, capture completed, no de-duplication', async () => {
    const a = (await rd(t, 'POST', '/rest/leads', w.key, {})).json();
    expect(a).toMatchObject({
      agentId: null,
      name: null,
      email: null,
      phone: null,
      company: null,
      site: null,
      custom: {},
      utm: {},
      capture: 'completed',
    });
    const b = (await rd(t, 'POST', '/rest/leads', w.key, { email: 'same@example.com' })).json();
    const c = (await rd(t, 'POST', '/rest/leads', w.key, { email: 'same@example.com' })).json();
    expect(b.id).not.toBe(c.id);
  });

  it('bad input → 400 and nothing is stored; unknown agentId → 400', async () => {
    const before = (await rd(t, 'GET', '/rest/leads?size=100', w.key)).json().meta.total;
    for (const body of [
      { email: 'nope' },
      { name: 'x'.repeat(256) },
      { phone: 'x'.repeat(33) },
      { capture: 'maybe' },
      { custom: 'text' },
      { agentId: '01900000-0000-7000-8000-000000000000' },
      { agentId: 'not-a-uuid' },
      { custom: { big: 'x'.repeat(17 * 1024) } },
    ]) {
      expectRdError(await rd(t, 'POST', '/rest/leads', w.key, body), 400, 'BAD_REQUEST');
    }
    expect((await rd(t, 'GET', '/rest/leads?size=100', w.key)).json().meta.total).toBe(before);
  });

  it('delete: 200 {}, then 404; conversations that pointed at it show no lead', async () => {
    const agentId = await rdAgent(t, w);
    const l = (await rd(t, 'POST', '/rest/leads', w.key, { name: 'Gone' })).json();
    const c = (
      await rd(t, 'POST', `/api/${agentId}`, w.key, { leadId: l.id, message: { content: 'hi' } })
    ).json();
    expect(c.lead.id).toBe(l.id);
    const other = await rdWorld(t);
    expectRdError(await rd(t, 'DELETE', `/rest/leads/${l.id}`, other.key), 404, 'NOT_FOUND');
    const del = await rd(t, 'DELETE', `/rest/leads/${l.id}`, w.key);
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({});
    expectRdError(await rd(t, 'GET', `/rest/leads/${l.id}`, w.key), 404, 'NOT_FOUND');
    expectRdError(await rd(t, 'DELETE', `/rest/leads/${l.id}`, w.key), 404, 'NOT_FOUND');
    expectRdError(await rd(t, 'GET', '/rest/leads/nope', w.key), 404, 'NOT_FOUND');
    const item = (await rd(t, 'GET', `/rest/conversations/list/${agentId}`, w.key)).json().data[0];
    expect(item).toMatchObject({ id: c.id, leadId: null, lead: null });
  });
});

describe('R6 list leads', () => {
  it('filters, searches, orders and paginates', async () => {
    const ws = await rdWorld(t);
    const agentId = await rdAgent(t, ws);
    const names = ['Carla', 'ana', 'Bruno', 'Daniel', 'Eva'];
    const ids: string[] = [];
    for (const [i, name] of names.entries()) {
      const res = await rd(t, 'POST', '/rest/leads', ws.key, {
        name,
        email: `${name.toLowerCase()}@example.com`,
        company: i === 2 ? 'Papo Labs' : null,
        phone: i === 3 ? '+55 21 5555' : null,
        capture: i % 2 === 0 ? 'completed' : 'partial',
        ...(i < 2 && { agentId }),
      });
      ids.push(res.json().id);
    }
    const list = (q: string) => rd(t, 'GET', `/rest/leads${q}`, ws.key).then((r) => r.json());
    const page1 = await list('?size=2');
    expect(page1.meta).toEqual({ total: 5, page: 1, size: 2, first: 1, last: 3, next: 2, previous: null });
    const page2 = await list('?size=2&page=2');
    const page3 = await list('?size=2&page=3');
    expect([...page1.data, ...page2.data, ...page3.data].map((l: { id: string }) => l.id)).toEqual(
      [...ids].reverse(),
    );
    expect(page3.meta.next).toBeNull();
    for (const l of page1.data) expect(Object.keys(l).sort()).toEqual(LEAD_KEYS);

    const namesOf = (b: { data: Array<{ name: string }> }) => b.data.map((l) => l.name);
    expect(namesOf(await list('?orderBy=nameAsc'))).toEqual(['ana', 'Bruno', 'Carla', 'Daniel', 'Eva']);
    expect(namesOf(await list('?orderBy=nameDesc'))).toEqual(['Eva', 'Daniel', 'Carla', 'Bruno', 'ana']);
    expect(namesOf(await list('?orderBy=createdAtAsc'))).toEqual(names);
    expect(namesOf(await list('?search=LABS'))).toEqual(['Bruno']);
    expect(namesOf(await list('?search=5555'))).toEqual(['Daniel']);
    expect(namesOf(await list('?name=AN'))).toEqual(['Daniel', 'ana']);
    expect(namesOf(await list('?email=eva%40'))).toEqual(['Eva']);
    expect(namesOf(await list('?phone=21'))).toEqual(['Daniel']);
    expect(namesOf(await list(`?agentId=${agentId}`))).toEqual(['ana', 'Carla']);
    expect(namesOf(await list('?capture=partial'))).toEqual(['Daniel', 'ana']);
    const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    expect((await list(`?createdAtStart=${future}`)).data).toEqual([]);
    expectRdError(await rd(t, 'GET', '/rest/leads?orderBy=random', ws.key), 400, 'BAD_REQUEST');
    expectRdError(await rd(t, 'GET', '/rest/leads?capture=maybe', ws.key), 400, 'BAD_REQUEST');

    // another workspace sees none of them; an allow-listed key sees its agent's and agent-less leads
    expect(
      (await rd(t, 'GET', '/rest/leads', w.key)).json().data.map((l: { id: string }) => l.id),
    ).not.toContain(ids[0]);
    const other = await rdAgent(t, ws);
    const limited = (await newKey(t, ws.workspaceId, { type: 'secret', agent_ids: [other] })).key;
    expect((await rd(t, 'GET', '/rest/leads', limited)).json().meta.total).toBe(3);
    expectRdError(await rd(t, 'GET', `/rest/leads/${ids[0]}`, limited), 403, 'FORBIDDEN');
  });
});

describe('lead capture (README §8): save_lead, partial → completed', () => {
  it('creates the conversation lead (partial, with utm), then completes it', async () => {
    const agentId = await rdAgent(t, w, { fields: ['name', 'email'] });
    await patchAgent(t, w, agentId, { model: 'mock:lead' });
    const utm = { source: 'newsletter', medium: 'email', campaign: 'launch', content: 'top', term: 'ai' };
    const first = await rd(t, 'POST', `/api/${agentId}`, w.key, {
      utm,
      message: { content: 'Oi! LEAD:{"name":"Maria"}' },
    });
    expect(first.statusCode, first.body).toBe(200);
    const c = first.json();
    expect(c.messages.at(-1).content).toBe('Saved.');
    // tools are offered, with the configured fields only; the instruction is in the system context
    const call = lead.calls.at(-2)!;
    expect(call.tools?.map((x) => x.name)).toEqual(['save_lead']);
    expect(JSON.stringify(call.tools?.[0])).toContain('email');
    expect(JSON.stringify(call.tools?.[0])).not.toContain('company');
    expect(JSON.stringify(call.prompt[0])).toContain('save_lead');
    // usage of both model steps
    expect(c.messages.at(-1).usage).toEqual({ promptTokens: 24, completionTokens: 6, cachedTokens: 8 });
    // tool messages never show on RD
    expect(c.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    expect(c.lead).toMatchObject({ agentId, name: 'Maria', email: null, capture: 'partial', utm });
    const item = (await rd(t, 'GET', `/rest/conversations/list/${agentId}`, w.key)).json().data[0];
    expect(item).toMatchObject({ leadId: c.lead.id, stage: 'identify', lead: { id: c.lead.id } });

    const second = (
      await rd(t, 'POST', `/api/${agentId}`, w.key, {
        id: c.id,
        message: { content: 'LEAD:{"email":"maria@example.com"}' },
      })
    ).json();
    expect(second.lead).toMatchObject({
      id: c.lead.id,
      name: 'Maria',
      email: 'maria@example.com',
      capture: 'completed',
    });
    const stored = (await rd(t, 'GET', `/rest/leads/${c.lead.id}`, w.key)).json();
    expect(stored.capture).toBe('completed');
    const after = (await rd(t, 'GET', `/rest/conversations/list/${agentId}`, w.key)).json().data[0];
    expect(after.stage).toBe('operational');
    const listed = (await rd(t, 'GET', `/rest/leads?agentId=${agentId}&capture=completed`, w.key)).json();
    expect(listed.data.map((l: { id: string }) => l.id)).toEqual([c.lead.id]);
  });

  it('a bad value goes back to the model as the tool error; no lead is stored', async () => {
    const agentId = await rdAgent(t, w, { fields: ['email'] });
    await patchAgent(t, w, agentId, { model: 'mock:lead' });
    const res = await rd(t, 'POST', `/api/${agentId}`, w.key, {
      message: { content: 'LEAD:{"email":"nope"}' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().lead).toBeNull();
  });

  it('agents without lead fields are offered no tool', async () => {
    const agentId = await rdAgent(t, w);
    await patchAgent(t, w, agentId, { model: 'mock:lead' });
    const res = await rd(t, 'POST', `/api/${agentId}`, w.key, { message: { content: 'LEAD:{"name":"X"}' } });
    expect(res.json().messages.at(-1).content).toBe('Hello **there**');
    expect(lead.calls.at(-1)!.tools ?? []).toEqual([]);
    expect(res.json().lead).toBeNull();
  });
});
