import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agents } from '../../../src/platform/db/schema/index.js';
import { isUuidV7 } from '../../../src/platform/ids.js';
import { operatorHeaders } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { expectRdError, ISO_MS, rd, rdWorld, type RdWorld } from './rd.js';

/** rdstation.md §5: R10 list agents, R11 create agent, R12 get agent; §3.4 shapes. */

let t: TestApp;
let w: RdWorld;

beforeAll(async () => {
  t = await createTestApp();
  w = await rdWorld(t);
});
afterAll(() => t.close());

const AGENT_KEYS = [
  'avatar',
  'behavior_type',
  'color',
  'createdAt',
  'createdBy',
  'description',
  'fields',
  'forceLeadIdentification',
  'freedom',
  'id',
  'instructions',
  'left',
  'name',
  'off',
  'purpose',
  'references',
  'status',
  'updatedAt',
  'updatedBy',
  'welcome',
  'workspaceId',
].sort();

const adminAgent = (id: string) =>
  t.app
    .inject({
      method: 'GET',
      url: `/v1/admin/workspaces/${w.workspaceId}/agents/${id}`,
      headers: operatorHeaders,
    })
    .then((r) => r.json());

describe('R11 create agent', () => {
  it('creates an agent with the documented body and returns every Agent field', async () => {
    const body = {
      name: 'Assistente de Vendas',
      description: 'Você ajuda clientes a escolher um plano.',
      purpose: 'leads',
      kbs: [],
      fields: ['name', 'email'],
      avatar: { type: 'emoji', value: '🤖' },
      color: '#00AAFF',
      status: 'online',
      destinations: [{ type: 'rdcrm', credentials: { token: 'secret-token' } }],
      behavior: { answerLength: 'long', personality: 'formal', engagement: 'passive' },
      behavior_type: 'advanced',
      left: true,
      customFields: [{ key: 'plan' }],
    };
    const res = await rd(t, 'POST', '/rest/agents', w.admin, body);
    expect(res.statusCode, res.body).toBe(200);
    const a = res.json();
    expect(Object.keys(a).sort()).toEqual(AGENT_KEYS);
    expect(isUuidV7(a.id)).toBe(true);
    expect(a).toMatchObject({
      name: body.name,
      workspaceId: w.workspaceId,
      createdBy: null,
      updatedBy: null,
      description: body.description,
      avatar: body.avatar,
      color: '#00AAFF',
      welcome: null,
      instructions: body.description,
      off: null,
      references: false,
      purpose: 'leads',
      freedom: 'restricted',
      behavior_type: 'advanced',
      status: 'online',
      fields: ['name', 'email'],
      left: true,
      forceLeadIdentification: false,
    });
    expect(a.createdAt).toMatch(ISO_MS);
    expect(a.updatedAt).toMatch(ISO_MS);
    // online = Papo active with version 1 on the server's default model
    expect(await adminAgent(a.id)).toMatchObject({
      status: 'active',
      published_version: 1,
      model: 'demo:papo-demo',
    });

    const detail = await rd(t, 'GET', `/rest/agents/${a.id}`, w.key);
    expect(detail.statusCode, detail.body).toBe(200);
    const d = detail.json();
    expect(Object.keys(d).sort()).toEqual(
      [...AGENT_KEYS, 'kbs', 'destinations', 'customFields', 'behavior', 'agentPlugins'].sort(),
    );
    expect(d).toMatchObject({
      ...a,
      kbs: [],
      destinations: [{ type: 'rdcrm', credentials: {} }],
      customFields: [{ key: 'plan' }],
      behavior: body.behavior,
      agentPlugins: [],
    });
    // credentials are stored encrypted, never in clear
    const [row] = await t.db.db.select().from(agents).where(eq(agents.id, a.id));
    expect(JSON.stringify(row!.extras)).not.toContain('secret-token');
  });

  it('defaults: draft publishes nothing, offline is published but inactive', async () => {
    const draft = (await rd(t, 'POST', '/rest/agents', w.admin, { name: 'Only a name' })).json();
    expect(draft).toMatchObject({
      status: 'draft',
      color: '#ff5722',
      purpose: 'leads',
      freedom: 'restricted',
      behavior_type: 'basic',
      references: false,
      left: false,
      fields: [],
      avatar: null,
      description: null,
      instructions: '',
    });
    expect(await adminAgent(draft.id)).toMatchObject({ status: 'draft', published_version: 0 });
    const d = (await rd(t, 'GET', `/rest/agents/${draft.id}`, w.key)).json();
    expect(d.behavior).toEqual({ answerLength: 'short', personality: 'personal', engagement: 'active' });
    const offline = (await rd(t, 'POST', '/rest/agents', w.admin, { name: 'Off', status: 'offline' })).json();
    expect(offline.status).toBe('offline');
    expect(await adminAgent(offline.id)).toMatchObject({ status: 'inactive', published_version: 1 });
  });

  it('400 for unknown fields, bad values and unknown kbs; 409 for a taken name; nothing created', async () => {
    await rd(t, 'POST', '/rest/agents', w.admin, { name: 'Taken' });
    const before = (await rd(t, 'GET', '/rest/agents?size=100', w.key)).json().meta.total;
    const unknown = expectRdError(
      await rd(t, 'POST', '/rest/agents', w.admin, { name: 'x', surprise: true }),
      400,
      'BAD_REQUEST',
    );
    expect(unknown.issues!.map((i) => i.message)).toContain('surprise: is not a known field');
    for (const body of [
      {},
      { name: '' },
      { name: 'x'.repeat(151) },
      { name: 'x', color: 'red' },
      { name: 'x', status: 'live' },
      { name: 'x', purpose: 'fun' },
      { name: 'x', fields: ['age'] },
      { name: 'x', destinations: Array.from({ length: 21 }, () => ({})) },
      { name: 'x', kbs: ['01900000-0000-7000-8000-000000000000'] },
      { name: 'x', description: 'x'.repeat(2001) },
      { name: 'x', avatar: { big: 'x'.repeat(17 * 1024) } },
    ]) {
      expectRdError(await rd(t, 'POST', '/rest/agents', w.admin, body), 400, 'BAD_REQUEST');
    }
    expectRdError(await rd(t, 'POST', '/rest/agents', w.admin, { name: 'TAKEN' }), 409, 'CONFLICT');
    expect((await rd(t, 'GET', '/rest/agents?size=100', w.key)).json().meta.total).toBe(before);
  });

  it('kbs: knowledge bases of the workspace are linked and shown on R12', async () => {
    const kb = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/workspaces/${w.workspaceId}/knowledge-bases`,
      headers: operatorHeaders,
      payload: { name: `kb-${Date.now()}` },
    });
    expect(kb.statusCode, kb.body).toBe(200);
    const kbId = kb.json<{ id: string }>().id;
    const a = (await rd(t, 'POST', '/rest/agents', w.admin, { name: `With KB ${kbId}`, kbs: [kbId] })).json();
    const d = (await rd(t, 'GET', `/rest/agents/${a.id}`, w.key)).json();
    expect(d.kbs).toEqual([kbId]);
    const [row] = await t.db.db.select().from(agents).where(eq(agents.id, a.id));
    expect(row!.extras['knowledge_base_ids']).toEqual([kbId]);
    // another workspace's knowledge base is unknown here
    const other = await rdWorld(t);
    expectRdError(
      await rd(t, 'POST', '/rest/agents', other.admin, { name: 'x', kbs: [kbId] }),
      400,
      'BAD_REQUEST',
    );
  });

  it('412 when the default model is not usable', async () => {
    const other = await createTestApp({ env: { PAPO_DEFAULT_MODEL: 'openai:gpt-4o-mini' } });
    try {
      const ow = await rdWorld(other);
      expectRdError(
        await rd(other, 'POST', '/rest/agents', ow.admin, { name: 'x', status: 'online' }),
        412,
        'PRECONDITION_FAILED',
      );
    } finally {
      await other.close();
    }
  });
});

describe('R10 list agents, R12 get agent', () => {
  it('lists newest first with search and pagination; agents from the management API too', async () => {
    const ws = await rdWorld(t);
    const ids: string[] = [];
    for (const name of ['Alpha bot', 'Beta bot', 'Gamma helper']) {
      const description = name === 'Gamma helper' ? 'not a bot by name' : null;
      ids.push(
        (await rd(t, 'POST', '/rest/agents', ws.admin, { name, description, status: 'online' })).json().id,
      );
    }
    const native = await t.app.inject({
      method: 'POST',
      url: `/v1/admin/workspaces/${ws.workspaceId}/agents`,
      headers: operatorHeaders,
      payload: { name: 'Native bot', instructions: 'Be brief.', greeting: 'Olá!' },
    });
    ids.push(native.json().id);
    const p1 = (await rd(t, 'GET', '/rest/agents?size=3', ws.key)).json();
    expect(p1.meta).toEqual({ total: 4, page: 1, size: 3, first: 1, last: 2, next: 2, previous: null });
    const p2 = (await rd(t, 'GET', '/rest/agents?size=3&page=2', ws.key)).json();
    expect([...p1.data, ...p2.data].map((a: { id: string }) => a.id)).toEqual([...ids].reverse());
    for (const a of p1.data) expect(Object.keys(a).sort()).toEqual(AGENT_KEYS);
    expect(p1.data[0]).toMatchObject({
      name: 'Native bot',
      welcome: 'Olá!',
      instructions: 'Be brief.',
      status: 'online',
    });
    const found = (await rd(t, 'GET', '/rest/agents?search=BOT', ws.key)).json();
    expect(found.data.map((a: { name: string }) => a.name)).toEqual(['Native bot', 'Beta bot', 'Alpha bot']);
    expect(found.meta.total).toBe(3);
  });

  it("R12: 404 for missing, malformed or another workspace's agents", async () => {
    const other = await rdWorld(t);
    const id = (await rd(t, 'POST', '/rest/agents', w.admin, { name: 'Mine' })).json().id;
    expectRdError(await rd(t, 'GET', `/rest/agents/${id}`, other.key), 404, 'NOT_FOUND');
    expectRdError(
      await rd(t, 'GET', '/rest/agents/01900000-0000-7000-8000-000000000000', w.key),
      404,
      'NOT_FOUND',
    );
    expectRdError(await rd(t, 'GET', '/rest/agents/x', w.key), 404, 'NOT_FOUND');
  });
});
