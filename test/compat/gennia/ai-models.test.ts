import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUuidV7 } from '../../../src/platform/ids.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { ISO_MS } from '../../http.js';
import { expectGenniaError, g, genniaWorld, type GenniaWorld } from './gennia.js';

// gennia.md §4.11: GET /ai-models.
let t: TestApp;
let w: GenniaWorld;

beforeAll(async () => {
  t = await createTestApp({
    env: {
      ANTHROPIC_API_KEY: 'test-anthropic-key',
      PAPO_MODELS: JSON.stringify([
        {
          model: 'anthropic:claude-haiku-4-5',
          label: 'Claude Haiku',
          input_usd_per_mtok: 1,
          output_usd_per_mtok: 5,
        },
        { model: 'openai:gpt-4o-mini', label: 'GPT-4o mini' },
        { model: 'openai-compatible:llama-3' },
      ]),
    },
  });
  w = await genniaWorld(t);
});
afterAll(() => t.close());

const FIELDS = [
  'active',
  'contextWindow',
  'createdAt',
  'description',
  'displayProvider',
  'iconUrl',
  'inputCostPer1MTokens',
  'maxTemperature',
  'minTemperature',
  'modelId',
  'name',
  'outputCostPer1MTokens',
  'provider',
  'publicId',
  'scope',
  'supportsDocument',
  'supportsImage',
  'supportsTemperature',
  'supportsThinking',
  'updatedAt',
];

type Model = Record<string, unknown>;
const models = async (q = '') => {
  const res = await g(t, 'GET', `/ai-models${q}`, w.key);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Model[]>();
};

describe('§4.11 GET /ai-models', () => {
  it('active models by default (not paginated), ordered by provider then name, with every field', async () => {
    const active = await models();
    expect(active.map((m) => `${m['provider']}:${m['modelId']}`)).toEqual([
      'anthropic:claude-haiku-4-5',
      'demo:papo-demo',
    ]);
    for (const m of active) {
      expect(Object.keys(m).sort()).toEqual(FIELDS);
      expect(isUuidV7(m['publicId'] as string)).toBe(true);
      expect(m['createdAt']).toMatch(ISO_MS);
      expect(m['scope']).toBe('global');
      expect(m['active']).toBe(true);
    }
    expect(active[0]).toMatchObject({
      name: 'Claude Haiku',
      displayProvider: 'Anthropic',
      inputCostPer1MTokens: 1,
      outputCostPer1MTokens: 5,
      minTemperature: 0,
      maxTemperature: 1,
      supportsThinking: true,
      contextWindow: 200_000,
      description: null,
      iconUrl: null,
    });
    expect(active[1]).toMatchObject({
      name: 'Papo demo (offline)',
      displayProvider: 'Papo',
      // the demo model is free (a declared price of 0)
      inputCostPer1MTokens: 0,
      outputCostPer1MTokens: 0,
      supportsThinking: false,
    });
    // ids are stable
    expect((await models()).map((m) => m['publicId'])).toEqual(active.map((m) => m['publicId']));
  });

  it('activeOnly=false adds declared models whose provider is not configured', async () => {
    const all = await models('?activeOnly=false');
    expect(all.map((m) => [m['provider'], m['modelId'], m['active']])).toEqual([
      ['anthropic', 'claude-haiku-4-5', true],
      ['demo', 'papo-demo', true],
      ['openai', 'gpt-4o-mini', false],
      ['openai-compatible', 'llama-3', false],
    ]);
  });

  it('filters: provider (case-insensitive exact), supportsImage, supportsDocument, scope', async () => {
    expect((await models('?activeOnly=false&provider=OpenAI')).map((m) => m['modelId'])).toEqual([
      'gpt-4o-mini',
    ]);
    expect((await models('?activeOnly=false&supportsImage=false')).map((m) => m['modelId'])).toEqual([
      'llama-3',
    ]);
    expect((await models('?activeOnly=false&supportsDocument=true')).length).toBe(3);
    expect(await models('?scope=workspace')).toEqual([]);
    expect((await models('?scope=global')).length).toBe(2);
    for (const q of ['?scope=team', '?activeOnly=perhaps', '?supportsImage=1x']) {
      expectGenniaError(await g(t, 'GET', `/ai-models${q}`, w.key), 400, 'VALIDATION_ERROR');
    }
  });

  it('an agent shows the catalogue id of its model', async () => {
    const demo = (await models()).find((m) => m['modelId'] === 'papo-demo')!;
    const agent = (await g(t, 'GET', `/agents/${w.agentId}`, w.key)).json();
    expect(agent).toMatchObject({ aiModelPublicId: demo['publicId'], aiModelName: 'Papo demo (offline)' });
  });
});
