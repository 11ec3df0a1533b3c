import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { thinkingProviderOptions, thinkingSetting } from './thinking.js';

describe('thinkingSetting', () => {
  it('reads the stored settings: enabled with an effort, enabled alone = medium, otherwise none', () => {
    expect(thinkingSetting({ enabled: true, effort: 'high' })).toEqual({ effort: 'high' });
    expect(thinkingSetting({ enabled: true, effort: 'low' })).toEqual({ effort: 'low' });
    expect(thinkingSetting({ enabled: true })).toEqual({ effort: 'medium' });
    expect(thinkingSetting({ enabled: false, effort: 'high' })).toBeUndefined();
    expect(thinkingSetting(null)).toBeUndefined();
    expect(thinkingSetting({})).toBeUndefined();
  });
});

/** The request body a provider sends for one streamed call with these options (no network). */
async function requestBody(model: (fetch: typeof globalThis.fetch) => LanguageModelV3, provider: string) {
  let body: Record<string, unknown> | undefined;
  const fetch = (async (_url: unknown, init?: RequestInit) => {
    body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    throw new Error('stop here');
  }) as typeof globalThis.fetch;
  await Promise.resolve(
    model(fetch).doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      providerOptions: thinkingProviderOptions(provider, { effort: 'high' }),
    }),
  ).catch(() => undefined);
  return body!;
}

describe('thinkingProviderOptions in each provider SDK Papo ships', () => {
  it('Anthropic: extended thinking with a token budget (added to max_tokens by the SDK)', async () => {
    const body = await requestBody(
      (fetch) => createAnthropic({ apiKey: 'k', fetch })('claude-sonnet-4-5'),
      'anthropic',
    );
    expect(body['thinking']).toEqual({ type: 'enabled', budget_tokens: 16_384 });
    expect(body['max_tokens']).toBeGreaterThan(16_384);
  });

  it('Google: a thinking budget, thoughts not returned', async () => {
    const body = await requestBody(
      (fetch) => createGoogleGenerativeAI({ apiKey: 'k', fetch })('gemini-2.5-flash'),
      'google',
    );
    expect((body['generationConfig'] as Record<string, unknown>)['thinkingConfig']).toEqual({
      thinkingBudget: 16_384,
      includeThoughts: false,
    });
  });

  it('OpenAI: reasoning effort on reasoning models', async () => {
    const body = await requestBody((fetch) => createOpenAI({ apiKey: 'k', fetch }).chat('o4-mini'), 'openai');
    expect(body['reasoning_effort']).toBe('high');
  });

  it('the demo model and unknown providers get none', () => {
    expect(thinkingProviderOptions('demo', { effort: 'high' })).toBeUndefined();
    expect(thinkingProviderOptions('anthropic', undefined)).toBeUndefined();
  });
});
