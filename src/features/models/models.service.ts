import { inArray } from 'drizzle-orm';
import type { Config } from '../../config.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { aiModels } from '../../platform/db/schema/index.js';
import { newId } from '../../platform/ids.js';
import type { ModelGateway } from '../../platform/llm/gateway.js';
import { parseModelRef, PROVIDERS } from '../../platform/llm/model-ref.js';
import type { PriceTable } from '../../platform/llm/prices.js';

export interface ModelEntry {
  id: string;
  model: string;
  provider: string;
  label: string | null;
  available: boolean;
  price: {
    input_usd_per_mtok: number;
    cached_input_usd_per_mtok: number;
    output_usd_per_mtok: number;
  } | null;
}

export interface ModelsCatalogue {
  providers: Array<{ name: string; configured: boolean }>;
  models: ModelEntry[];
}

export interface ModelsService {
  listModels(): Promise<ModelsCatalogue>;
}

/** The built-in demo model plus every model the operator declared, each with a stable id. */
export function createModelsService(deps: {
  db: Db;
  clock: Clock;
  config: Config;
  gateway: ModelGateway;
  prices: PriceTable;
}): ModelsService {
  const { db, config } = deps;
  return {
    async listModels() {
      const declared = [{ model: 'demo:papo-demo', label: 'Papo demo (offline)' }, ...config.models];
      const names = [...new Set(declared.map((m) => m.model))];
      await db
        .insert(aiModels)
        .values(names.map((model) => ({ id: newId(), model, createdAt: deps.clock.now() })))
        .onConflictDoNothing();
      const rows = await db.select().from(aiModels).where(inArray(aiModels.model, names));
      const ids = new Map(rows.map((r) => [r.model, r.id]));
      const configured = new Set(deps.gateway.configuredProviders());
      return {
        providers: PROVIDERS.map((name) => ({ name, configured: configured.has(name) })),
        models: names.map((model) => {
          const provider = parseModelRef(model)?.provider ?? model.split(':')[0] ?? '';
          const p = deps.prices.priceOf(model);
          return {
            id: ids.get(model)!,
            model,
            provider,
            label: declared.find((d) => d.model === model)?.label ?? null,
            available: configured.has(provider),
            price: p
              ? {
                  input_usd_per_mtok: p.input,
                  cached_input_usd_per_mtok: p.cachedInput,
                  output_usd_per_mtok: p.output,
                }
              : null,
          };
        }),
      };
    },
  };
}
