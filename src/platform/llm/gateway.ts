import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type {
  JSONSchema7,
  JSONValue,
  LanguageModelV3,
  LanguageModelV3FunctionTool,
  LanguageModelV3Prompt,
} from '@ai-sdk/provider';
import { APICallError, RetryError, type LanguageModelUsage, type ModelMessage } from 'ai';
import {
  asLanguageModelUsage,
  convertToLanguageModelPrompt,
  prepareCallSettings,
  prepareRetries,
} from 'ai/internal';
import type { Config } from '../../config.js';
import { createDemoModel } from './demo-model.js';
import { LeanOpenAICompatibleChatModel } from './lean-openai-compatible.js';
import { parseModelRef, type ModelRef, type ProviderName } from './model-ref.js';
import { thinkingProviderOptions, type ThinkingSetting } from './thinking.js';
import type { TokenUsage } from './prices.js';

export type FinishReason = 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other';

export interface ModelCall {
  /** `provider:model-id` */
  model: string;
  system: string;
  messages: ModelMessage[];
  temperature?: number | null;
  maxOutputTokens?: number | null;
  /** Extended thinking (agents' thinking settings); mapped to each provider's own option. */
  thinking?: ThinkingSetting;
  timeoutMs: number;
  /** Called with each chunk of reply text, in order. */
  onDelta?: (text: string) => void;
  /** Tools by name; the model may call them for up to `maxSteps` rounds (default 4). */
  tools?: Record<string, GatewayTool>;
  maxSteps?: number;
  /** Called when the model has called a tool, before it runs (arguments parsed). */
  onToolCallStarted?: (call: {
    toolCallId: string;
    name: string;
    arguments: Record<string, unknown>;
  }) => void;
  /** Called when a tool call has run (before the model continues). */
  onToolCallCompleted?: (record: ToolCallRecord) => void;
}

export interface ModelCallResult {
  text: string;
  /** Summed over every step when tools ran. */
  usage: TokenUsage;
  finishReason: FinishReason;
  /** The tool calls the model made, in order, with what each returned. */
  toolCalls: ToolCallRecord[];
}

/**
 * A function the model may call (internal tools such as knowledge_search or save_lead).
 * `execute` receives the parsed arguments; what it returns (JSON) goes back to the model, and
 * a thrown error goes back as the tool's error text, so the model can recover.
 */
export interface GatewayTool {
  description: string;
  /** JSON Schema of the arguments (an object schema). */
  parameters: JSONSchema7;
  execute(args: Record<string, unknown>): Promise<JSONValue>;
}

export interface ToolCallRecord {
  toolCallId: string;
  name: string;
  arguments: Record<string, unknown>;
  result?: JSONValue;
  error?: { code: string; message: string };
}

/** A failed model call. `publicMessage` is safe for clients; `detail` is for the logs only. */
export class ModelCallError extends Error {
  constructor(
    readonly kind: 'error' | 'timeout',
    readonly publicMessage: string,
    readonly detail: string,
    readonly partialText: string,
  ) {
    super(detail);
  }
}

type ModelFactory = (modelId: string) => LanguageModelV3;

const MISSING_VARIABLE: Record<Exclude<ProviderName, 'demo'>, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  google: 'GOOGLE_GENERATIVE_AI_API_KEY',
  'openai-compatible': 'PAPO_OPENAI_COMPATIBLE_BASE_URL',
};

/**
 * One model instance per model id: providers' instances are stateless and reusable, and
 * building one compiles its response schemas (a measurable share of a turn's CPU otherwise).
 */
function reuse(factory: ModelFactory): ModelFactory {
  const models = new Map<string, ReturnType<ModelFactory>>();
  return (id) => {
    let m = models.get(id);
    if (!m) {
      m = factory(id);
      models.set(id, m);
    }
    return m;
  };
}

/**
 * Papo's only door to language models: resolves `provider:model-id`, streams through the AI
 * SDK, enforces the server timeout and normalises usage (input includes cached tokens).
 */
export class ModelGateway {
  private readonly factories = new Map<string, ModelFactory>();

  constructor(
    config: Pick<Config, 'providers' | 'runtime'>,
    overrides: Partial<Record<string, ModelFactory>> = {},
  ) {
    this.factories.set('demo', (id) => createDemoModel(id, { wordDelayMs: config.runtime.demoWordDelayMs }));
    const p = config.providers;
    if (p.openai) {
      const openai = createOpenAI({ apiKey: p.openai.apiKey, baseURL: p.openai.baseURL });
      this.factories.set(
        'openai',
        reuse((id) => openai(id)),
      );
    }
    if (p.anthropic) {
      const anthropic = createAnthropic({ apiKey: p.anthropic.apiKey });
      this.factories.set(
        'anthropic',
        reuse((id) => anthropic(id)),
      );
    }
    if (p.google) {
      const google = createGoogleGenerativeAI({ apiKey: p.google.apiKey });
      this.factories.set(
        'google',
        reuse((id) => google(id)),
      );
    }
    if (p.openaiCompatible) {
      const compat = createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: p.openaiCompatible.baseURL,
        apiKey: p.openaiCompatible.apiKey,
        // Without this, OpenAI-compatible servers send no usage in streams (LESSONS.md).
        includeUsage: true,
      });
      const lean = { baseURL: p.openaiCompatible.baseURL, apiKey: p.openaiCompatible.apiKey };
      this.factories.set(
        'openai-compatible',
        reuse((id) =>
          p.openaiCompatible!.client === 'sdk'
            ? compat.chatModel(id)
            : new LeanOpenAICompatibleChatModel(id, lean, compat.chatModel(id)),
        ),
      );
    }
    for (const [name, factory] of Object.entries(overrides)) if (factory) this.factories.set(name, factory);
  }

  /** A built-in provider (configured or not) or one registered through overrides (tests). */
  isKnownModel(model: string): boolean {
    const i = model.indexOf(':');
    if (i <= 0 || i === model.length - 1) return false;
    return parseModelRef(model) !== undefined || this.factories.has(model.slice(0, i));
  }

  configuredProviders(): string[] {
    return [...this.factories.keys()];
  }

  private overrideRef(model: string): ModelRef | undefined {
    const i = model.indexOf(':');
    const provider = model.slice(0, i);
    return i > 0 && this.factories.has(provider)
      ? { provider: provider as ProviderName, modelId: model.slice(i + 1) }
      : undefined;
  }

  async stream(call: ModelCall): Promise<ModelCallResult> {
    const ref = parseModelRef(call.model) ?? this.overrideRef(call.model);
    const factory = ref && this.factories.get(ref.provider);
    if (!ref || !factory) {
      const variable = ref && ref.provider !== 'demo' ? MISSING_VARIABLE[ref.provider] : undefined;
      const msg = variable
        ? `The model provider "${ref!.provider}" is not configured: set ${variable}.`
        : `Unknown model "${call.model}".`;
      throw new ModelCallError('error', msg, msg, '');
    }

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, call.timeoutMs);
    let text = '';
    const usage: TokenUsage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };
    let finishReason: FinishReason = 'other';
    const toolCalls: ToolCallRecord[] = [];
    const tools = call.tools && Object.keys(call.tools).length > 0 ? call.tools : undefined;
    try {
      // The provider's own stream, with the SDK's prompt conversion, call settings and retries
      // (ai/internal), but not streamText: its stream machinery costs ~90 KiB and a tenth of a
      // turn's CPU per call for features a single-step text turn does not use (ADR 0006).
      const model = factory(ref.modelId);
      let prompt: LanguageModelV3Prompt = await convertToLanguageModelPrompt({
        // built by Papo's own typed code (model-input.ts), so not re-validated per call: the
        // SDK's standardizePrompt compiles a fresh zod schema every time
        prompt: { system: call.system, messages: call.messages },
        supportedUrls: await model.supportedUrls,
        download: undefined,
        abortSignal: controller.signal,
      });
      const { retry } = prepareRetries({ maxRetries: 1, abortSignal: controller.signal });
      const settings = prepareCallSettings({
        temperature: call.temperature ?? undefined,
        maxOutputTokens: call.maxOutputTokens ?? undefined,
      });
      const functionTools: LanguageModelV3FunctionTool[] | undefined =
        tools &&
        Object.entries(tools).map(([name, t]) => ({
          type: 'function',
          name,
          description: t.description,
          inputSchema: t.parameters,
        }));
      const providerOptions = thinkingProviderOptions(ref.provider, call.thinking);
      const maxSteps = tools ? (call.maxSteps ?? 4) : 1;
      for (let step = 1; ; step++) {
        const { stream } = await retry(() =>
          model.doStream({
            ...settings,
            prompt,
            ...(functionTools && { tools: functionTools, toolChoice: { type: 'auto' as const } }),
            ...(providerOptions && { providerOptions }),
            abortSignal: controller.signal,
            includeRawChunks: false,
          }),
        );
        let stepText = '';
        const calls: Array<{ toolCallId: string; toolName: string; input: string }> = [];
        // Only four of the provider's part types matter here, so no (lint-exhaustive) switch.
        for await (const part of stream) {
          if (part.type === 'text-delta') {
            text += part.delta;
            stepText += part.delta;
            call.onDelta?.(part.delta);
          } else if (part.type === 'tool-call') {
            calls.push(part);
          } else if (part.type === 'finish') {
            addUsage(usage, normaliseUsage(asLanguageModelUsage(part.usage)));
            finishReason = part.finishReason.unified;
          } else if (part.type === 'error') {
            throw part.error;
          }
        }
        if (!tools || calls.length === 0 || step >= maxSteps) break;
        const records: ToolCallRecord[] = [];
        for (const c of calls) {
          const r = await runTool(tools, c, call.onToolCallStarted);
          records.push(r);
          toolCalls.push(r);
          call.onToolCallCompleted?.(r);
        }
        // the model continues with its calls and their results in the prompt
        prompt = [
          ...prompt,
          {
            role: 'assistant',
            content: [
              ...(stepText ? [{ type: 'text' as const, text: stepText }] : []),
              ...records.map((r) => ({
                type: 'tool-call' as const,
                toolCallId: r.toolCallId,
                toolName: r.name,
                input: r.arguments,
              })),
            ],
          },
          {
            role: 'tool',
            content: records.map((r) => ({
              type: 'tool-result' as const,
              toolCallId: r.toolCallId,
              toolName: r.name,
              output: r.error
                ? { type: 'error-text' as const, value: r.error.message }
                : { type: 'json' as const, value: r.result ?? null },
            })),
          },
        ];
      }
    } catch (err) {
      if (timedOut) throw timeoutError(call.timeoutMs, text);
      // Retried failures (5xx, 429) arrive wrapped; the last attempt carries the HTTP status.
      const cause = RetryError.isInstance(err) ? err.lastError : err;
      throw new ModelCallError('error', publicMessageFor(cause), describe(cause), text);
    } finally {
      clearTimeout(timer);
    }
    // a provider may end its stream quietly when aborted: the timer still decides
    if (timedOut) throw timeoutError(call.timeoutMs, text);
    return { text, usage, finishReason, toolCalls };
  }
}

function addUsage(total: TokenUsage, step: TokenUsage): void {
  total.inputTokens += step.inputTokens;
  total.outputTokens += step.outputTokens;
  total.cachedTokens += step.cachedTokens;
}

/** Runs one tool call; bad arguments, unknown tools and thrown errors become the tool's error. */
async function runTool(
  tools: Record<string, GatewayTool>,
  c: { toolCallId: string; toolName: string; input: string },
  onStarted: ModelCall['onToolCallStarted'],
): Promise<ToolCallRecord> {
  const record: ToolCallRecord = { toolCallId: c.toolCallId, name: c.toolName, arguments: {} };
  try {
    const parsed: unknown = c.input.trim() === '' ? {} : JSON.parse(c.input);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ToolInputError('the arguments must be a JSON object');
    }
    record.arguments = parsed as Record<string, unknown>;
  } catch (err) {
    const message = err instanceof ToolInputError ? err.message : 'the arguments are not valid JSON';
    onStarted?.(record);
    return { ...record, error: { code: 'invalid_arguments', message } };
  }
  onStarted?.(record);
  const tool = tools[c.toolName];
  if (!tool) return { ...record, error: { code: 'unknown_tool', message: `no tool named ${c.toolName}` } };
  try {
    return { ...record, result: await tool.execute(record.arguments) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ...record, error: { code: 'tool_error', message } };
  }
}

class ToolInputError extends Error {}

function timeoutError(timeoutMs: number, partialText: string): ModelCallError {
  const seconds = Math.max(1, Math.round(timeoutMs / 1000));
  return new ModelCallError(
    'timeout',
    `The model did not answer within ${seconds} s.`,
    'timeout',
    partialText,
  );
}

export function normaliseUsage(u: LanguageModelUsage | undefined): TokenUsage {
  const cached = u?.inputTokenDetails?.cacheReadTokens ?? u?.cachedInputTokens ?? 0;
  return {
    inputTokens: u?.inputTokens ?? 0,
    outputTokens: u?.outputTokens ?? 0,
    cachedTokens: cached,
  };
}

function publicMessageFor(err: unknown): string {
  // A body that breaks mid-stream is an APICallError with status 200: not an HTTP error.
  if (APICallError.isInstance(err) && err.statusCode && err.statusCode >= 400) {
    return `The model provider returned an error (HTTP ${err.statusCode}).`;
  }
  return 'The model provider failed to answer.';
}

function describe(err: unknown): string {
  if (APICallError.isInstance(err))
    return `${err.statusCode ?? ''} ${err.message} ${err.responseBody ?? ''}`.trim();
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
