import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, operatorHeaders } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { ISO_MS, MISSING_ID } from '../../http.js';
import { mockRegistry } from '../../mock-model.js';
import { expectGenniaError, fields, g, genniaWorld, type GenniaWorld, type Paged } from './gennia.js';

// gennia.md §4.8 versions, §4.9 model, §4.10 prompt.
let t: TestApp;
let w: GenniaWorld;
let demo: string;
let echoModel: string;
const mocks = mockRegistry();
const echo = mocks.register('echo', {
  chunks: (o) => [String((o.prompt.find((m) => m.role === 'system')?.content as string | undefined) ?? '')],
});

beforeAll(async () => {
  t = await createTestApp({ providers: { mock: mocks.provider } });
  w = await genniaWorld(t);
  const models = (await g(t, 'GET', '/ai-models', w.key)).json<
    Array<{ publicId: string; modelId: string }>
  >();
  demo = models.find((m) => m.modelId === 'papo-demo')!.publicId;
  // the mock model gets its id the first time an agent shows it
  const probe = await genniaWorld(t, { model: echo });
  echoModel = (await g(t, 'GET', `/agents/${probe.agentId}`, probe.key)).json().aiModelPublicId as string;
});
afterAll(() => t.close());

async function draftAgent(): Promise<string> {
  const res = await g(t, 'POST', '/agents', w.admin, { name: `V ${Math.random().toString(36).slice(2)}` });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ publicId: string }>().publicId;
}

async function ok(method: 'GET' | 'PATCH' | 'POST', path: string, body?: unknown, key = w.admin) {
  const res = await g(t, method, path, key, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Record<string, unknown>>();
}

const SNAPSHOT_FIELDS = [
  'aiModelName',
  'aiModelPublicId',
  'audioListeningEnabled',
  'audioResponseEnabled',
  'createdAt',
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
  'httpTools',
  'knowledgeSources',
  'longTermMemoryEnabled',
  'memoryCustomInstructions',
  'messageDelayEnabled',
  'messageDelayType',
  'messageSplittingEnabled',
  'notes',
  'sandboxEnabled',
  'skills',
  'subAgents',
  'systemPrompt',
  'temperature',
  'thinkingEffort',
  'thinkingEnabled',
  'ttsVoice',
  'variablesSnapshot',
  'versionNumber',
  'webSearchEnabled',
];

describe('§4.8 versions', () => {
  it('lists published versions newest first, reads snapshots and the published one', async () => {
    const id = await draftAgent();
    expectGenniaError(await g(t, 'GET', `/agents/${id}/versions/published`, w.key), 404, 'VERSION_NOT_FOUND');
    expect(await ok('GET', `/agents/${id}/versions`, undefined, w.key)).toEqual({
      items: [],
      page: 1,
      limit: 20,
      total: 0,
      totalPages: 0,
    });
    await ok('PATCH', `/agents/${id}`, {
      aiModelPublicId: demo,
      systemPrompt: 'v1 prompt',
      temperature: 0.3,
    });
    await ok('POST', `/agents/${id}/publish`, { notes: 'first' });
    await ok('PATCH', `/agents/${id}`, {
      systemPrompt: 'v2 prompt',
      followUpEnabled: true,
      followUpMaxAttempts: 3,
    });
    await ok('POST', `/agents/${id}/publish`);
    await ok('PATCH', `/agents/${id}`, { systemPrompt: 'v3 prompt' });
    await ok('POST', `/agents/${id}/publish`, { notes: 'third' });

    const list = (await ok('GET', `/agents/${id}/versions`, undefined, w.key)) as unknown as Paged<
      Record<string, unknown>
    >;
    expect(list).toMatchObject({ page: 1, limit: 20, total: 3, totalPages: 1 });
    expect(list.items.map((v) => [v['versionNumber'], v['notes']])).toEqual([
      [3, 'third'],
      [2, null],
      [1, 'first'],
    ]);
    expect(Object.keys(list.items[0]!).sort()).toEqual(['createdAt', 'notes', 'versionNumber']);
    expect(list.items[0]!['createdAt']).toMatch(ISO_MS);
    const paged = (await ok(
      'GET',
      `/agents/${id}/versions?limit=2&page=2`,
      undefined,
      w.key,
    )) as unknown as Paged<Record<string, unknown>>;
    expect(paged).toMatchObject({ total: 3, totalPages: 2, page: 2 });
    expect(paged.items.map((v) => v['versionNumber'])).toEqual([1]);

    const v1 = await ok('GET', `/agents/${id}/versions/1`, undefined, w.key);
    expect(Object.keys(v1).sort()).toEqual(SNAPSHOT_FIELDS);
    expect(v1).toMatchObject({
      versionNumber: 1,
      notes: 'first',
      aiModelPublicId: demo,
      aiModelName: 'Papo demo (offline)',
      systemPrompt: 'v1 prompt',
      temperature: 0.3,
      followUpEnabled: false,
      variablesSnapshot: {},
      httpTools: [],
      knowledgeSources: [],
      skills: [],
      subAgents: [],
    });
    const v2 = await ok('GET', `/agents/${id}/versions/2`, undefined, w.key);
    expect(v2).toMatchObject({ systemPrompt: 'v2 prompt', followUpEnabled: true, followUpMaxAttempts: 3 });
    const published = await ok('GET', `/agents/${id}/versions/published`, undefined, w.key);
    expect(published).toMatchObject({ versionNumber: 3, systemPrompt: 'v3 prompt', notes: 'third' });

    expectGenniaError(await g(t, 'GET', `/agents/${id}/versions/4`, w.key), 404, 'VERSION_NOT_FOUND');
    for (const bad of ['0', '-1', 'abc', '1.5', '2147483648']) {
      expect(
        fields(
          expectGenniaError(
            await g(t, 'GET', `/agents/${id}/versions/${bad}`, w.key),
            400,
            'VALIDATION_ERROR',
          ),
        ),
      ).toEqual(['versionNumber']);
    }
    expectGenniaError(await g(t, 'GET', `/agents/${MISSING_ID}/versions`, w.key), 404, 'AGENT_NOT_FOUND');
  });

  it('restore copies a snapshot into the draft, discarding unpublished changes; conversations keep the published one', async () => {
    const a = await genniaWorld(t, { model: echo, instructions: 'SYSTEM ONE' });
    const id = a.agentId;
    await ok('PATCH', `/agents/${id}`, { systemPrompt: 'SYSTEM TWO' }, a.admin);
    await ok('POST', `/agents/${id}/publish`, undefined, a.admin);
    await ok('PATCH', `/agents/${id}`, { systemPrompt: 'unpublished edit', ttsVoice: 'x' }, a.admin);
    const restored = await ok('POST', `/agents/${id}/versions/1/restore`, undefined, a.admin);
    expect(restored).toMatchObject({
      systemPrompt: 'SYSTEM ONE',
      ttsVoice: null,
      hasUnpublishedChanges: false,
      publishedVersionNumber: 2,
      draftVersionNumber: 3,
    });
    // messages still run the published version 2 until the restored draft is published
    const before = await g(t, 'POST', `/agents/${id}/messages`, a.key, { content: 'which?' });
    expect(before.json().message.content).toContain('SYSTEM TWO');
    await ok('POST', `/agents/${id}/publish`, undefined, a.admin);
    const after = await g(t, 'POST', `/agents/${id}/messages`, a.key, { content: 'which?' });
    expect(after.json().message.content).toContain('SYSTEM ONE');

    expectGenniaError(
      await g(t, 'POST', `/agents/${id}/versions/9/restore`, a.admin),
      404,
      'VERSION_NOT_FOUND',
    );
    expectGenniaError(
      await g(t, 'POST', `/agents/${id}/versions/1/restore`, a.key),
      403,
      'INSUFFICIENT_SCOPE',
    );
    expectGenniaError(
      await g(t, 'POST', `/agents/${id}/versions/1/restore`, a.admin, { notes: 'x' }),
      400,
      'VALIDATION_ERROR',
    );
  });

  it('management-API agents have their versions here too, and the admin list sees Gennia versions', async () => {
    const a = await genniaWorld(t, { instructions: 'one' });
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/v1/admin/workspaces/${a.ws}/agents/${a.agentId}`,
      headers: operatorHeaders,
      payload: { instructions: 'two' },
    });
    expect(res.statusCode).toBe(200);
    const list = (await ok('GET', `/agents/${a.agentId}/versions`, undefined, a.key)) as unknown as Paged<{
      versionNumber: number;
    }>;
    expect(list.items.map((v) => v.versionNumber)).toEqual([2, 1]);
    await ok('PATCH', `/agents/${a.agentId}`, { systemPrompt: 'three' }, a.admin);
    await ok('POST', `/agents/${a.agentId}/publish`, undefined, a.admin);
    const admin = await t.app.inject({
      method: 'GET',
      url: `/v1/admin/workspaces/${a.ws}/agents/${a.agentId}/versions`,
      headers: operatorHeaders,
    });
    expect(
      admin
        .json<{ items: Array<{ version: number; instructions: string }> }>()
        .items.map((v) => [v.version, v.instructions]),
    ).toEqual([
      [3, 'three'],
      [2, 'two'],
      [1, 'one'],
    ]);
  });
});

describe('§4.9 model', () => {
  it('GET shows the draft model with capabilities (null while none); PATCH edits the draft', async () => {
    const id = await draftAgent();
    expect(await ok('GET', `/agents/${id}/model`, undefined, w.key)).toEqual({
      aiModelPublicId: null,
      aiModelName: null,
      modelId: null,
      provider: null,
      temperature: null,
      thinkingEnabled: false,
      thinkingEffort: null,
      capabilities: null,
    });
    const m = await ok('PATCH', `/agents/${id}/model`, { aiModelPublicId: demo, temperature: 0.9 });
    expect(m).toEqual({
      aiModelPublicId: demo,
      aiModelName: 'Papo demo (offline)',
      modelId: 'papo-demo',
      provider: 'demo',
      temperature: 0.9,
      thinkingEnabled: false,
      thinkingEffort: null,
      capabilities: {
        contextWindow: 8192,
        minTemperature: 0,
        maxTemperature: 2,
        supportsTemperature: true,
        supportsThinking: false,
        supportsImage: true,
        supportsDocument: true,
      },
    });
    expect(await ok('GET', `/agents/${id}/model`, undefined, w.key)).toEqual(m);
    expect((await ok('GET', `/agents/${id}`, undefined, w.key))['hasUnpublishedChanges']).toBe(true);
    // switching to the mock model keeps the temperature, which it accepts
    expect(await ok('PATCH', `/agents/${id}/model`, { aiModelPublicId: echoModel })).toMatchObject({
      provider: 'mock',
      modelId: 'echo',
      temperature: 0.9,
    });
    expectGenniaError(
      await g(t, 'PATCH', `/agents/${id}/model`, w.admin, { aiModelPublicId: MISSING_ID }),
      404,
      'AI_MODEL_NOT_FOUND',
    );
    expectGenniaError(
      await g(t, 'PATCH', `/agents/${id}/model`, w.admin, { thinkingEnabled: true }),
      422,
      'THINKING_NOT_SUPPORTED',
    );
    expectGenniaError(
      await g(t, 'PATCH', `/agents/${id}/model`, w.admin, { systemPrompt: 'x' }),
      400,
      'VALIDATION_ERROR',
    );
    expectGenniaError(
      await g(t, 'PATCH', `/agents/${MISSING_ID}/model`, w.admin, { temperature: 1 }),
      404,
      'AGENT_NOT_FOUND',
    );
    const k = (await newKey(t, w.ws)).key;
    expectGenniaError(
      await g(t, 'PATCH', `/agents/${id}/model`, k, { temperature: 1 }),
      403,
      'INSUFFICIENT_SCOPE',
    );
  });
});

describe('§4.10 prompt', () => {
  it('GET/PATCH the draft prompt; variables are always []', async () => {
    const id = await draftAgent();
    expect(await ok('GET', `/agents/${id}/prompt`, undefined, w.key)).toEqual({
      systemPrompt: null,
      dynamicPromptEnabled: false,
      variables: [],
    });
    const p = await ok('PATCH', `/agents/${id}/prompt`, {
      systemPrompt: 'Be brief.',
      dynamicPromptEnabled: true,
    });
    expect(p).toEqual({ systemPrompt: 'Be brief.', dynamicPromptEnabled: true, variables: [] });
    const agent = await ok('GET', `/agents/${id}`, undefined, w.key);
    expect(agent).toMatchObject({
      systemPrompt: 'Be brief.',
      dynamicPromptEnabled: true,
      hasUnpublishedChanges: true,
    });
    expect(await ok('PATCH', `/agents/${id}/prompt`, { systemPrompt: null })).toEqual({
      systemPrompt: null,
      dynamicPromptEnabled: true,
      variables: [],
    });
    expect(
      fields(
        expectGenniaError(
          await g(t, 'PATCH', `/agents/${id}/prompt`, w.admin, { systemPrompt: 'x'.repeat(200_001) }),
          400,
          'VALIDATION_ERROR',
        ),
      ),
    ).toEqual(['systemPrompt']);
    expectGenniaError(
      await g(t, 'GET', `/agents/${id}/prompt/variables`, w.key),
      404,
      'ENDPOINT_NOT_SUPPORTED',
    );
  });
});
