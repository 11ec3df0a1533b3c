import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider';

export interface ScriptedModelOptions {
  /** Reply chunks (default: "Hello from the mock."). */
  chunks?: string[] | ((options: LanguageModelV3CallOptions) => string[]);
  /** Delay before each chunk. */
  delayMs?: number;
  /** `error`: fails after `failAfter` chunks; `hang`: never finishes until aborted. */
  fail?: 'error' | 'hang';
  failAfter?: number;
  usage?: { input: number; output: number; cached?: number };
}

/**
 * A LanguageModelV3 for runtime tests: records every call's options (prompt, limits), streams
 * scripted chunks with optional delays, and can fail or hang until its abort signal fires.
 */
export function scriptedModel(opts: ScriptedModelOptions = {}): {
  model: LanguageModelV3;
  calls: LanguageModelV3CallOptions[];
} {
  const calls: LanguageModelV3CallOptions[] = [];
  const model: LanguageModelV3 = {
    specificationVersion: 'v3',
    provider: 'mock',
    modelId: 'scripted',
    supportedUrls: {},
    async doGenerate() {
      throw new Error('scripted model only streams');
    },
    async doStream(options) {
      calls.push(options);
      const chunks =
        typeof opts.chunks === 'function'
          ? opts.chunks(options)
          : (opts.chunks ?? ['Hello ', 'from ', 'the mock.']);
      const signal = options.abortSignal;
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        async start(controller) {
          const wait = (ms: number) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, ms);
              signal?.addEventListener('abort', () => {
                clearTimeout(timer);
                resolve();
              });
            });
          controller.enqueue({ type: 'stream-start', warnings: [] });
          controller.enqueue({ type: 'text-start', id: 't' });
          for (const [i, chunk] of chunks.entries()) {
            if (opts.fail === 'error' && i === (opts.failAfter ?? 0)) {
              // let the chunks already queued reach the reader before failing the stream
              await new Promise((r) => setTimeout(r, 20));
              controller.error(new Error('mock provider exploded: secret-internal-detail'));
              return;
            }
            if (opts.delayMs) await wait(opts.delayMs);
            if (signal?.aborted) {
              controller.error(new DOMException('aborted', 'AbortError'));
              return;
            }
            controller.enqueue({ type: 'text-delta', id: 't', delta: chunk });
          }
          if (opts.fail === 'hang') {
            await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()));
            controller.error(new DOMException('aborted', 'AbortError'));
            return;
          }
          if (opts.fail === 'error') {
            await new Promise((r) => setTimeout(r, 20));
            controller.error(new Error('mock provider exploded: secret-internal-detail'));
            return;
          }
          controller.enqueue({ type: 'text-end', id: 't' });
          const u = opts.usage ?? { input: 10, output: chunks.length };
          controller.enqueue({
            type: 'finish',
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: {
              inputTokens: {
                total: u.input,
                noCache: u.input - (u.cached ?? 0),
                cacheRead: u.cached ?? 0,
                cacheWrite: 0,
              },
              outputTokens: { total: u.output, text: u.output, reasoning: 0 },
            },
          });
          controller.close();
        },
      });
      return { stream };
    },
  };
  return { model, calls };
}

/**
 * Scripted models by name under the `mock` provider: `register('x', opts)` returns the agent
 * model `mock:x`; `calls.get('x')` holds what that model was asked; pass `provider` to createTestApp.
 */
export function mockRegistry() {
  const models = new Map<string, LanguageModelV3>();
  const calls = new Map<string, LanguageModelV3CallOptions[]>();
  return {
    calls,
    register(id: string, opts: ScriptedModelOptions = {}): string {
      const m = scriptedModel(opts);
      models.set(id, m.model);
      calls.set(id, m.calls);
      return `mock:${id}`;
    },
    provider(id: string): LanguageModelV3 {
      const m = models.get(id);
      if (!m) throw new Error(`no mock model ${id}`);
      return m;
    },
  };
}

/** One model call's answer: text chunks and tool calls, in order. */
export type ModelAnswer = Array<{ text: string } | { toolCall: { id: string; name: string; input: string } }>;

/**
 * A model that decides each answer from the call it gets (`respond(options, n)`, n = 1, 2, …):
 * for tool loops (tool calls, then text once the results are in the prompt). Finishes with
 * `tool-calls` when it called a tool, `stop` otherwise, and the given usage. Records every call.
 */
export function respondingModel(
  respond: (options: LanguageModelV3CallOptions, n: number) => ModelAnswer,
  usage: { input: number; output: number; cached?: number } = { input: 10, output: 5 },
): { model: LanguageModelV3; calls: LanguageModelV3CallOptions[] } {
  const calls: LanguageModelV3CallOptions[] = [];
  const model: LanguageModelV3 = {
    specificationVersion: 'v3',
    provider: 'mock',
    modelId: 'responding',
    supportedUrls: {},
    async doGenerate() {
      throw new Error('streams only');
    },
    async doStream(options) {
      calls.push(options);
      const answer = respond(options, calls.length);
      const parts: LanguageModelV3StreamPart[] = [{ type: 'stream-start', warnings: [] }];
      for (const a of answer) {
        if ('text' in a) parts.push({ type: 'text-delta', id: 't', delta: a.text });
        else
          parts.push({
            type: 'tool-call',
            toolCallId: a.toolCall.id,
            toolName: a.toolCall.name,
            input: a.toolCall.input,
          });
      }
      const cached = usage.cached ?? 0;
      parts.push({
        type: 'finish',
        finishReason: {
          unified: answer.some((a) => 'toolCall' in a) ? 'tool-calls' : 'stop',
          raw: undefined,
        },
        usage: {
          inputTokens: {
            total: usage.input,
            noCache: usage.input - cached,
            cacheRead: cached,
            cacheWrite: 0,
          },
          outputTokens: { total: usage.output, text: usage.output, reasoning: 0 },
        },
      });
      return {
        stream: new ReadableStream({
          start(c) {
            for (const p of parts) c.enqueue(p);
            c.close();
          },
        }),
      };
    },
  };
  return { model, calls };
}
