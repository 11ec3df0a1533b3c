import { eq, inArray } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { aiModels } from '../../platform/db/schema/index.js';
import { isUuid, newId } from '../../platform/ids.js';
import type { ModelGateway } from '../../platform/llm/gateway.js';
import type { ModelsService } from '../../features/models/models.service.js';
import { GenniaError } from './errors.js';
import type { AIModelQuery, PublicAIModel } from './schemas.js';

/**
 * Gennia's AI-model view of Papo's catalogue (gennia.md §4.11): the declared models plus the
 * demo model, each with its stable `ai_models` id. Papo records no capabilities per model, so
 * they come from a per-provider table (Papo decision).
 */
export interface Capabilities {
  contextWindow: number | null;
  minTemperature: number | null;
  maxTemperature: number | null;
  supportsTemperature: boolean;
  supportsThinking: boolean;
  supportsImage: boolean;
  supportsDocument: boolean;
}

const DEFAULT_CAPABILITIES: Capabilities = {
  contextWindow: null,
  minTemperature: 0,
  maxTemperature: 2,
  supportsTemperature: true,
  supportsThinking: false,
  supportsImage: true,
  supportsDocument: true,
};

const PROVIDER_CAPABILITIES: Record<string, Partial<Capabilities>> = {
  demo: { contextWindow: 8192 },
  // reasoning models take reasoning_effort; the SDK drops it (with a warning) for others
  openai: { contextWindow: 128_000, supportsThinking: true },
  anthropic: { contextWindow: 200_000, maxTemperature: 1, supportsThinking: true },
  google: { contextWindow: 1_048_576, supportsThinking: true },
  // sent as reasoning_effort (Ollama, vLLM, Groq, OpenRouter… accept it)
  'openai-compatible': { supportsImage: false, supportsDocument: false, supportsThinking: true },
};

const DISPLAY_PROVIDER: Record<string, string> = {
  demo: 'Papo',
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  google: 'Google',
  'openai-compatible': 'OpenAI-compatible',
};

export interface ModelInfo {
  publicId: string;
  /** `provider:model-id`, an agent's `model`. */
  model: string;
  provider: string;
  modelId: string;
  name: string;
  active: boolean;
  capabilities: Capabilities;
}

export function splitModel(model: string): { provider: string; modelId: string } {
  const i = model.indexOf(':');
  return i > 0
    ? { provider: model.slice(0, i), modelId: model.slice(i + 1) }
    : { provider: '', modelId: model };
}

export function capabilitiesOf(provider: string): Capabilities {
  return { ...DEFAULT_CAPABILITIES, ...PROVIDER_CAPABILITIES[provider] };
}

export interface GenniaModels {
  /** Info for agents' models by `provider:model-id` (ids assigned on first sight). */
  describe(models: string[]): Promise<Map<string, ModelInfo>>;
  /** The model an `aiModelPublicId` names: 404 AI_MODEL_NOT_FOUND; 422 AI_MODEL_NOT_ACTIVE. */
  resolve(publicId: string): Promise<ModelInfo>;
  list(q: AIModelQuery): Promise<PublicAIModel[]>;
}

export function createGenniaModels(deps: {
  db: Db;
  clock: Clock;
  gateway: ModelGateway;
  models: ModelsService;
  config: { models: ReadonlyArray<{ model: string; label?: string }> };
}): GenniaModels {
  const { db } = deps;
  const labelOf = (model: string) =>
    model === 'demo:papo-demo'
      ? 'Papo demo (offline)'
      : (deps.config.models.find((m) => m.model === model)?.label ?? null);

  function info(row: { id: string; model: string }): ModelInfo {
    const { provider, modelId } = splitModel(row.model);
    return {
      publicId: row.id,
      model: row.model,
      provider,
      modelId,
      name: labelOf(row.model) ?? modelId,
      active: deps.gateway.configuredProviders().includes(provider),
      capabilities: capabilitiesOf(provider),
    };
  }

  return {
    async describe(models) {
      const names = [...new Set(models.filter((m) => m !== ''))];
      if (names.length === 0) return new Map();
      await db
        .insert(aiModels)
        .values(names.map((model) => ({ id: newId(), model, createdAt: deps.clock.now() })))
        .onConflictDoNothing();
      const rows = await db.select().from(aiModels).where(inArray(aiModels.model, names));
      return new Map(rows.map((r) => [r.model, info(r)]));
    },

    async resolve(publicId) {
      const [row] = isUuid(publicId) ? await db.select().from(aiModels).where(eq(aiModels.id, publicId)) : [];
      if (!row) throw new GenniaError('AI_MODEL_NOT_FOUND', 404, 'No AI model with this id.');
      const found = info(row);
      if (!found.active) {
        throw new GenniaError(
          'AI_MODEL_NOT_ACTIVE',
          422,
          'This AI model is not active: its provider is not configured.',
        );
      }
      return found;
    },

    async list(q) {
      if (q.scope === 'workspace') return [];
      const catalogue = await deps.models.listModels();
      const rows = await db
        .select()
        .from(aiModels)
        .where(
          inArray(
            aiModels.id,
            catalogue.models.map((m) => m.id),
          ),
        );
      const createdAt = new Map(rows.map((r) => [r.id, r.createdAt.toISOString()]));
      const out = catalogue.models.map((m): PublicAIModel => {
        const i = info({ id: m.id, model: m.model });
        const caps = i.capabilities;
        return {
          publicId: m.id,
          name: i.name,
          modelId: i.modelId,
          provider: i.provider,
          displayProvider: DISPLAY_PROVIDER[i.provider] ?? i.provider,
          description: null,
          iconUrl: null,
          scope: 'global',
          active: m.available,
          contextWindow: caps.contextWindow,
          inputCostPer1MTokens: m.price?.input_usd_per_mtok ?? null,
          outputCostPer1MTokens: m.price?.output_usd_per_mtok ?? null,
          minTemperature: caps.minTemperature,
          maxTemperature: caps.maxTemperature,
          supportsTemperature: caps.supportsTemperature,
          supportsThinking: caps.supportsThinking,
          supportsImage: caps.supportsImage,
          supportsDocument: caps.supportsDocument,
          createdAt: createdAt.get(m.id) ?? new Date(0).toISOString(),
          updatedAt: createdAt.get(m.id) ?? new Date(0).toISOString(),
        };
      });
      const provider = q.provider?.toLowerCase();
      return out
        .filter(
          (m) =>
            (!q.activeOnly || m.active) &&
            (provider === undefined || m.provider.toLowerCase() === provider) &&
            (q.supportsImage === undefined || m.supportsImage === q.supportsImage) &&
            (q.supportsDocument === undefined || m.supportsDocument === q.supportsDocument),
        )
        .sort((a, b) => cmp(a.provider, b.provider) || cmp(a.name, b.name));
    },
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
