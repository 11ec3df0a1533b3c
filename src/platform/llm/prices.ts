import type { DeclaredModel } from '../../config.js';

/** USD per million tokens; numerically equal to micro-USD per token. */
export interface ModelPrice {
  input: number;
  cachedInput: number;
  output: number;
}

/**
 * Prices shipped with Papo (list prices, USD per million tokens, checked 2026-11). The operator
 * overrides or adds entries through PAPO_MODELS. Models absent from both have no cost (null).
 */
export const SHIPPED_PRICES: Readonly<Record<string, ModelPrice>> = {
  'demo:papo-demo': { input: 0, cachedInput: 0, output: 0 },
  'openai:gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'openai:gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'openai:gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'openai:gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'openai:gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'openai:gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'openai:gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'openai:gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  'anthropic:claude-opus-4-1': { input: 15, cachedInput: 1.5, output: 75 },
  'anthropic:claude-sonnet-4-5': { input: 3, cachedInput: 0.3, output: 15 },
  'anthropic:claude-haiku-4-5': { input: 1, cachedInput: 0.1, output: 5 },
  'google:gemini-2.5-pro': { input: 1.25, cachedInput: 0.31, output: 10 },
  'google:gemini-2.5-flash': { input: 0.3, cachedInput: 0.075, output: 2.5 },
  'google:gemini-2.5-flash-lite': { input: 0.1, cachedInput: 0.025, output: 0.4 },
};

export interface TokenUsage {
  /** All prompt tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** The part of inputTokens read from the provider's cache. */
  cachedTokens: number;
}

export class PriceTable {
  private readonly prices = new Map<string, ModelPrice>(Object.entries(SHIPPED_PRICES));

  constructor(declared: readonly DeclaredModel[] = []) {
    for (const m of declared) {
      if (m.input_usd_per_mtok === undefined || m.output_usd_per_mtok === undefined) continue;
      this.prices.set(m.model, {
        input: m.input_usd_per_mtok,
        output: m.output_usd_per_mtok,
        cachedInput: m.cached_input_usd_per_mtok ?? m.input_usd_per_mtok,
      });
    }
  }

  priceOf(model: string): ModelPrice | undefined {
    return this.prices.get(model);
  }

  /** Integer micro-USD; cached input is billed at its own rate, never twice. */
  costMicroUsd(model: string, usage: TokenUsage): number | null {
    const p = this.prices.get(model);
    if (!p) return null;
    const uncached = Math.max(0, usage.inputTokens - usage.cachedTokens);
    return Math.round(
      uncached * p.input + usage.cachedTokens * p.cachedInput + usage.outputTokens * p.output,
    );
  }
}

export function microToUsd(micro: number | null): number | null {
  return micro === null ? null : micro / 1_000_000;
}
