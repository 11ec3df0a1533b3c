import type { SharedV3ProviderOptions } from '@ai-sdk/provider';
import type { ProviderName } from './model-ref.js';

export type ThinkingEffort = 'low' | 'medium' | 'high';

/** Extended thinking ("reasoning") for one model call; absent = the provider's default. */
export interface ThinkingSetting {
  effort: ThinkingEffort;
}

/** Token budgets for providers that take a budget rather than an effort level. */
const BUDGET: Record<ThinkingEffort, number> = { low: 2048, medium: 8192, high: 16_384 };

/**
 * An agent version's stored thinking settings (`{enabled, effort}`, Gennia's thinkingEnabled /
 * thinkingEffort) as a call setting: enabled with no effort means medium.
 */
export function thinkingSetting(
  stored: Record<string, unknown> | null | undefined,
): ThinkingSetting | undefined {
  if (!stored || stored['enabled'] !== true) return undefined;
  const effort = stored['effort'];
  return { effort: effort === 'low' || effort === 'high' ? effort : 'medium' };
}

/**
 * The provider options that turn thinking on, in each AI SDK provider's own terms: OpenAI and
 * OpenAI-compatible servers take `reasoning_effort`; Anthropic and Google take a token budget
 * (Anthropic adds it to max_tokens itself). The demo model does not think.
 */
export function thinkingProviderOptions(
  provider: ProviderName | string,
  thinking: ThinkingSetting | undefined,
): SharedV3ProviderOptions | undefined {
  if (!thinking) return undefined;
  switch (provider) {
    case 'openai':
      return { openai: { reasoningEffort: thinking.effort } };
    case 'openai-compatible':
      return { openaiCompatible: { reasoningEffort: thinking.effort } };
    case 'anthropic':
      return { anthropic: { thinking: { type: 'enabled', budgetTokens: BUDGET[thinking.effort] } } };
    case 'google':
      return {
        google: { thinkingConfig: { thinkingBudget: BUDGET[thinking.effort], includeThoughts: false } },
      };
    default:
      return undefined;
  }
}
