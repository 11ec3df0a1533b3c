import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaces } from '../../../src/platform/db/schema/index.js';
import { isUuidV7 } from '../../../src/platform/ids.js';
import { newKey, newWorkspace, operatorHeaders } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { ISO_MS, MISSING_ID } from '../../http.js';
import { expectGenniaError, fields, g, genniaWorld, type GenniaWorld, type Paged } from './gennia.js';

// gennia.md §4.1–4.7: agents and their draft → publish lifecycle.
let t: TestApp;
let w: GenniaWorld;
let demoModelId: string;
let modelIds: Record<string, string>;

const AGENT_FIELDS = [
  'aiModelName',
  'aiModelPublicId',
  'audioListeningEnabled',
  'audioResponseEnabled',
  'avatarUrl',
  'categories',
  'createdAt',
  'description',
  'draftVersionNumber',
  'dynamicPromptEnabled',
  'followUpAfterHours',
  'followUpBusinessHoursEnd',
  'followUpBusinessHoursStart',
  'followUpEnabled',
  'followUpInactivityMinutes',
  'followUpIntervalMinutes',
  'followUpMaxAttempts',
  'followUpPrompt',
  'genuiEnabled',
  'hasExternalChannel',
  'hasUnpublishedChanges',
  'longTermMemoryEnabled',
  'memoryCustomInstructions',
  'messageDelayEnabled',
  'messageDelayType',
  'messageSplittingEnabled',
  'name',
  'publicId',
  'publishedVersionNumber',
  'sandboxEnabled',
  'status',
  'systemPrompt',
  'temperature',
  'thinkingEffort',
  'thinkingEnabled',
  'ttsVoice',
  'updatedAt',
  'webSearchEnabled',
];

type Agent = Record<string, unknown> & { publicId: string };

beforeAll(async () => {
  // Anthropic is configured (never called here); OpenAI is declared but not configured.
  t = await createTestApp({
    env: {
      ANTHROPIC_API_KEY: 'test-anthropic-key',
      PAPO_MODELS: JSON.stringify([
        { model: 'anthropic:claude-haiku-4-5', label: 'Claude Haiku' },
        { model: 'openai:gpt-4o-mini' },
      ]),
    },
  });
  w = await genniaWorld(t);
  const models = (await g(t, 'GET', '/ai-models?activeOnly=false', w.key)).json<
    Array<{ publicId: string; provider: string; modelId: string }>
  >();
  modelIds = Object.fromEntries(models.map((m) => [`${m.provider}:${m.modelId}`, m.publicId]));
  demoModelId = modelIds['demo:papo-demo']!;
});
afterAll(() => t.close());

async function create(body: Record<string, unknown>, key = w.admin): Promise<Agent> {
  const res = await g(t, 'POST', '/agents', key, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Agent>();
}

async function patch(id: string, body: Record<string, unknown>): Promise<Agent> {
  const res = await g(t, 'PATCH', `/agents/${id}`, w.admin, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Agent>();
}

let n = 0;
const unique = (p = 'Agent') => `${p} ${++n} ${Date.now().toString(36)}`;

describe('§4.3 POST /agents', () => {
  it('creates a draft agent with an empty draft version 1 and nothing published', async () => {
    const name = unique('Support');
    const a = await create({
      name,
      description: 'Answers support questions',
      categories: ['support', 'pt-BR'],
      avatarUrl: 'https://cdn.example.com/a.png',
    });
    expect(Object.keys(a).sort()).toEqual(AGENT_FIELDS);
    expect(isUuidV7(a.publicId)).toBe(true);
    expect(a).toEqual({
      publicId: a.publicId,
      name,
      description: 'Answers support questions',
      avatarUrl: 'https://cdn.example.com/a.png',
      categories: ['support', 'pt-BR'],
      status: 'draft',
      draftVersionNumber: 1,
      publishedVersionNumber: null,
      hasUnpublishedChanges: false,
      hasExternalChannel: false,
      aiModelPublicId: null,
      aiModelName: null,
      systemPrompt: null,
      temperature: null,
      thinkingEnabled: false,
      thinkingEffort: null,
      dynamicPromptEnabled: false,
      followUpEnabled: false,
      followUpAfterHours: null,
      followUpInactivityMinutes: null,
      followUpIntervalMinutes: null,
      followUpMaxAttempts: null,
      followUpPrompt: null,
      followUpBusinessHoursStart: null,
      followUpBusinessHoursEnd: null,
      messageSplittingEnabled: false,
      messageDelayEnabled: false,
      messageDelayType: null,
      longTermMemoryEnabled: false,
      memoryCustomInstructions: null,
      sandboxEnabled: false,
      genuiEnabled: false,
      webSearchEnabled: false,
      audioListeningEnabled: false,
      audioResponseEnabled: false,
      ttsVoice: null,
      createdAt: a['createdAt'],
      updatedAt: a['createdAt'],
    });
    expect(a['createdAt']).toMatch(ISO_MS);
    const got = await g(t, 'GET', `/agents/${a.publicId}`, w.key);
    expect(got.json()).toEqual(a);
    // the management API sees the same agent (no model yet, nothing published)
    const admin = await t.app.inject({
      method: 'GET',
      url: `/v1/admin/workspaces/${w.ws}/agents/${a.publicId}`,
      headers: operatorHeaders,
    });
    expect(admin.json()).toMatchObject({ name, status: 'draft', published_version: 0, instructions: '' });
  });

  it('name is required and unique per workspace (case-insensitive) → 409 AGENT_NAME_TAKEN', async () => {
    const name = unique('Dup');
    await create({ name });
    expectGenniaError(
      await g(t, 'POST', '/agents', w.admin, { name: name.toUpperCase() }),
      409,
      'AGENT_NAME_TAKEN',
    );
    expect(
      fields(expectGenniaError(await g(t, 'POST', '/agents', w.admin, {}), 400, 'VALIDATION_ERROR')),
    ).toEqual(['name']);
    // another workspace may use it
    const ws2 = await newWorkspace(t);
    const k2 = (await newKey(t, ws2, { type: 'secret', name: 'a', scopes: ['admin'] })).key;
    expect((await g(t, 'POST', '/agents', k2, { name })).statusCode).toBe(201);
  });

  it('invalid fields → 400 and nothing is created', async () => {
    const before = (await g(t, 'GET', '/agents', w.key)).json<Paged<unknown>>().total;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(151) }, 'name'],
      [{ name: 'ok', description: 'd'.repeat(2001) }, 'description'],
      [{ name: 'ok', categories: Array.from({ length: 11 }, (_, i) => `c${i}`) }, 'categories'],
      [{ name: 'ok', categories: ['x'.repeat(101)] }, 'categories.0'],
      [{ name: 'ok', avatarUrl: 'ftp://x/y.png' }, 'avatarUrl'],
      [{ name: 'ok', status: 'active' }, 'status'],
    ];
    for (const [body, field] of cases) {
      expect(
        fields(expectGenniaError(await g(t, 'POST', '/agents', w.admin, body), 400, 'VALIDATION_ERROR')),
      ).toEqual([field]);
    }
    expect((await g(t, 'GET', '/agents', w.key)).json<Paged<unknown>>().total).toBe(before);
  });

  it('the workspace agent limit → 422 AGENT_LIMIT_REACHED', async () => {
    const ws = await newWorkspace(t);
    // the limit is an operator setting (README §11) with no API yet
    await t.db.db.update(workspaces).set({ maxAgents: 1 }).where(eq(workspaces.id, ws));
    const k = (await newKey(t, ws, { type: 'secret', name: 'a', scopes: ['admin'] })).key;
    expect((await g(t, 'POST', '/agents', k, { name: 'first' })).statusCode).toBe(201);
    expectGenniaError(await g(t, 'POST', '/agents', k, { name: 'second' }), 422, 'AGENT_LIMIT_REACHED');
    expect((await g(t, 'GET', '/agents', k)).json<Paged<unknown>>().total).toBe(1);
  });
});

describe('§4.5 PATCH /agents/{a} and §4.7 publish', () => {
  it('identity fields apply at once; draft fields set hasUnpublishedChanges; publish makes it active and runnable', async () => {
    const a = await create({ name: unique('Life') });
    // identity only: no unpublished changes
    let cur = await patch(a.publicId, {
      description: 'new',
      categories: ['x'],
      avatarUrl: 'http://img/a.png',
    });
    expect(cur).toMatchObject({ description: 'new', categories: ['x'], avatarUrl: 'http://img/a.png' });
    expect(cur['hasUnpublishedChanges']).toBe(false);
    // publishing without a model → 422
    expectGenniaError(
      await g(t, 'POST', `/agents/${a.publicId}/publish`, w.admin),
      422,
      'DRAFT_HAS_NO_AI_MODEL',
    );

    cur = await patch(a.publicId, {
      aiModelPublicId: demoModelId,
      systemPrompt: 'You are Papo.',
      temperature: 0.7,
      followUpEnabled: true,
      followUpAfterHours: 24,
      followUpBusinessHoursStart: '09:00:00',
      messageDelayType: 'RANDOM',
      ttsVoice: 'alloy',
    });
    expect(cur).toMatchObject({
      aiModelPublicId: demoModelId,
      aiModelName: 'Papo demo (offline)',
      systemPrompt: 'You are Papo.',
      temperature: 0.7,
      followUpEnabled: true,
      followUpAfterHours: 24,
      followUpBusinessHoursStart: '09:00:00',
      messageDelayType: 'RANDOM',
      ttsVoice: 'alloy',
      hasUnpublishedChanges: true,
      status: 'draft',
      draftVersionNumber: 1,
      publishedVersionNumber: null,
    });
    // not runnable before publishing
    expectGenniaError(
      await g(t, 'POST', `/agents/${a.publicId}/messages`, w.key, { content: 'hi' }),
      422,
      'AGENT_NOT_PUBLISHED',
    );

    const published = await g(t, 'POST', `/agents/${a.publicId}/publish`, w.admin, {
      notes: 'first release',
    });
    expect(published.statusCode, published.body).toBe(200);
    expect(published.json()).toMatchObject({
      status: 'active',
      draftVersionNumber: 2,
      publishedVersionNumber: 1,
      hasUnpublishedChanges: false,
      systemPrompt: 'You are Papo.',
    });
    const reply = await g(t, 'POST', `/agents/${a.publicId}/messages`, w.key, { content: 'hi' });
    expect(reply.statusCode, reply.body).toBe(200);
    expect(reply.json().message.model).toBe('demo:papo-demo');

    // tri-state: null clears, omitted keeps
    cur = await patch(a.publicId, { description: null, followUpAfterHours: null, ttsVoice: 'echo' });
    expect(cur).toMatchObject({
      description: null,
      followUpAfterHours: null,
      ttsVoice: 'echo',
      followUpEnabled: true,
      hasUnpublishedChanges: true,
      status: 'active',
    });
    // publish without a body works too
    const second = await g(t, 'POST', `/agents/${a.publicId}/publish`, w.admin);
    expect(second.json()).toMatchObject({ publishedVersionNumber: 2, draftVersionNumber: 3 });
  });

  it('PATCH never changes status; a PATCH that sets current values changes nothing', async () => {
    const a = await create({ name: unique('Same') });
    expect(
      fields(
        expectGenniaError(
          await g(t, 'PATCH', `/agents/${a.publicId}`, w.admin, { status: 'active' }),
          400,
          'VALIDATION_ERROR',
        ),
      ),
    ).toEqual(['status']);
    const same = await patch(a.publicId, { name: a.name, systemPrompt: null });
    expect(same).toEqual(a);
  });

  it('model rules: unknown → 404 AI_MODEL_NOT_FOUND, inactive → 422 AI_MODEL_NOT_ACTIVE, temperature/thinking the model lacks → 422', async () => {
    const a = await create({ name: unique('Rules') });
    const id = a.publicId;
    expectGenniaError(
      await g(t, 'PATCH', `/agents/${id}`, w.admin, { aiModelPublicId: MISSING_ID }),
      404,
      'AI_MODEL_NOT_FOUND',
    );
    expectGenniaError(
      await g(t, 'PATCH', `/agents/${id}`, w.admin, { aiModelPublicId: modelIds['openai:gpt-4o-mini'] }),
      422,
      'AI_MODEL_NOT_ACTIVE',
    );
    const claude = modelIds['anthropic:claude-haiku-4-5']!;
    // the Anthropic range is 0–1 (Papo's capability table)
    expectGenniaError(
      await g(t, 'PATCH', `/agents/${id}`, w.admin, { aiModelPublicId: claude, temperature: 1.5 }),
      422,
      'TEMPERATURE_NOT_SUPPORTED',
    );
    let cur = await patch(id, {
      aiModelPublicId: claude,
      temperature: 0.5,
      thinkingEnabled: true,
      thinkingEffort: 'high',
    });
    expect(cur).toMatchObject({
      aiModelPublicId: claude,
      aiModelName: 'Claude Haiku',
      temperature: 0.5,
      thinkingEnabled: true,
      thinkingEffort: 'high',
    });
    // the demo model has no thinking: switching to it while thinking is on → 422
    expectGenniaError(
      await g(t, 'PATCH', `/agents/${id}`, w.admin, { aiModelPublicId: demoModelId }),
      422,
      'THINKING_NOT_SUPPORTED',
    );
    cur = await patch(id, { aiModelPublicId: demoModelId, thinkingEnabled: false, temperature: 1.5 });
    expect(cur).toMatchObject({
      aiModelPublicId: demoModelId,
      thinkingEnabled: false,
      thinkingEffort: 'high',
      temperature: 1.5,
    });
    expectGenniaError(
      await g(t, 'PATCH', `/agents/${id}`, w.admin, { thinkingEnabled: true }),
      422,
      'THINKING_NOT_SUPPORTED',
    );
    expect(
      fields(
        expectGenniaError(
          await g(t, 'PATCH', `/agents/${id}`, w.admin, { temperature: 2.5 }),
          400,
          'VALIDATION_ERROR',
        ),
      ),
    ).toEqual(['temperature']);
    // refused patches left the draft alone
    expect((await g(t, 'GET', `/agents/${id}`, w.key)).json()).toEqual(cur);
  });

  it('renaming onto a taken name → 409; unknown agent → 404; bad bodies change nothing', async () => {
    const a = await create({ name: unique('Ren') });
    const b = await create({ name: unique('Ren') });
    expectGenniaError(
      await g(t, 'PATCH', `/agents/${b.publicId}`, w.admin, { name: a.name }),
      409,
      'AGENT_NAME_TAKEN',
    );
    expectGenniaError(
      await g(t, 'PATCH', `/agents/${MISSING_ID}`, w.admin, { name: 'x' }),
      404,
      'AGENT_NOT_FOUND',
    );
    expectGenniaError(
      await g(t, 'PATCH', `/agents/${b.publicId}`, w.admin, { systemPrompt: 'x', unknownThing: 1 }),
      400,
      'VALIDATION_ERROR',
    );
    expect((await g(t, 'GET', `/agents/${b.publicId}`, w.key)).json()).toEqual(b);
  });
});

describe('§4.2 GET /agents', () => {
  it('pages newest first and filters by status, search, categories and includeArchived', async () => {
    const ws = await newWorkspace(t);
    const admin = (await newKey(t, ws, { type: 'secret', name: 'a', scopes: ['admin'] })).key;
    const mk = async (body: Record<string, unknown>) =>
      (await g(t, 'POST', '/agents', admin, body)).json<Agent>().publicId;
    const alpha = await mk({ name: 'Alpha', description: 'Sales helper', categories: ['sales'] });
    const beta = await mk({ name: 'Beta', categories: ['support', 'sales'] });
    const gamma = await mk({ name: 'Gamma', description: 'knows BILLING' });
    const delta = await mk({ name: 'Delta' });
    const m = (await g(t, 'GET', '/ai-models', admin)).json<Array<{ publicId: string; modelId: string }>>();
    await g(t, 'PATCH', `/agents/${beta}`, admin, {
      aiModelPublicId: m.find((x) => x.modelId === 'papo-demo')!.publicId,
    });
    expect((await g(t, 'POST', `/agents/${beta}/publish`, admin)).statusCode).toBe(200);
    const setStatus = (id: string, status: string) =>
      t.app.inject({
        method: 'PATCH',
        url: `/v1/admin/workspaces/${ws}/agents/${id}`,
        headers: operatorHeaders,
        payload: { status },
      });
    await setStatus(delta, 'archived');

    const ids = async (q: string) =>
      (await g(t, 'GET', `/agents${q}`, admin))
        .json<Paged<{ publicId: string }>>()
        .items.map((a) => a.publicId);
    const page = (await g(t, 'GET', '/agents?limit=2', admin)).json<Paged<Record<string, unknown>>>();
    expect(page).toMatchObject({ page: 1, limit: 2, total: 3, totalPages: 2 });
    expect(page.items.map((a) => a['publicId'])).toEqual([gamma, beta]);
    expect(Object.keys(page.items[0]!).sort()).toEqual(
      [
        'avatarUrl',
        'createdAt',
        'draftVersionNumber',
        'name',
        'publicId',
        'publishedVersionNumber',
        'status',
        'updatedAt',
      ].sort(),
    );
    expect(page.items[1]).toMatchObject({
      status: 'active',
      draftVersionNumber: 2,
      publishedVersionNumber: 1,
    });
    expect(await ids('?limit=2&page=2')).toEqual([alpha]);
    expect(await ids('?includeArchived=true')).toEqual([delta, gamma, beta, alpha]);
    expect(await ids('?status=archived')).toEqual([delta]);
    expect(await ids('?status=draft&status=active')).toEqual([gamma, beta, alpha]);
    expect(await ids('?status[]=active')).toEqual([beta]);
    expect(await ids('?search=billing')).toEqual([gamma]);
    expect(await ids('?search=ALP')).toEqual([alpha]);
    expect(await ids('?categories=sales')).toEqual([beta, alpha]);
    expect(await ids('?categories[]=support&categories[]=nope')).toEqual([beta]);
    for (const q of ['?status=online', '?limit=0', '?page=0', '?includeArchived=maybe']) {
      expectGenniaError(await g(t, 'GET', `/agents${q}`, admin), 400, 'VALIDATION_ERROR');
    }
  });
});

describe('§4.6 DELETE /agents/{a}', () => {
  it('soft-deletes: 204, then 404 on every route, in lists and in the management API', async () => {
    const a = await create({ name: unique('Gone') });
    const del = await g(t, 'DELETE', `/agents/${a.publicId}`, w.admin);
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    for (const path of ['', '/model', '/prompt', '/versions', '/versions/published']) {
      expectGenniaError(await g(t, 'GET', `/agents/${a.publicId}${path}`, w.key), 404, 'AGENT_NOT_FOUND');
    }
    expectGenniaError(await g(t, 'DELETE', `/agents/${a.publicId}`, w.admin), 404, 'AGENT_NOT_FOUND');
    const listed = (await g(t, 'GET', '/agents?limit=100&includeArchived=true', w.key)).json<
      Paged<{ publicId: string }>
    >();
    expect(listed.items.map((x) => x.publicId)).not.toContain(a.publicId);
    const admin = await t.app.inject({
      method: 'GET',
      url: `/v1/admin/workspaces/${w.ws}/agents/${a.publicId}`,
      headers: operatorHeaders,
    });
    expect(admin.statusCode).toBe(404);
  });
});
