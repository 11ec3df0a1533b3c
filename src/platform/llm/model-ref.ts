export const PROVIDERS = ['demo', 'openai', 'anthropic', 'google', 'openai-compatible'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface ModelRef {
  provider: ProviderName;
  modelId: string;
}

/** `provider:model-id` → parts; undefined when the provider is not one Papo knows. */
export function parseModelRef(model: string): ModelRef | undefined {
  const i = model.indexOf(':');
  if (i <= 0 || i === model.length - 1) return undefined;
  const provider = model.slice(0, i);
  if (!(PROVIDERS as readonly string[]).includes(provider)) return undefined;
  return { provider: provider as ProviderName, modelId: model.slice(i + 1) };
}

export function isKnownProvider(model: string): boolean {
  return parseModelRef(model) !== undefined;
}
