import {
  APICallError,
  type LanguageModelV3,
  type LanguageModelV3CallOptions,
  type LanguageModelV3StreamPart,
  type LanguageModelV3StreamResult,
} from '@ai-sdk/provider';
import {
  convertOpenAICompatibleChatUsage,
  convertToOpenAICompatibleChatMessages,
  mapOpenAICompatibleFinishReason,
  prepareTools,
} from '@ai-sdk/openai-compatible/internal';
import { request } from 'undici';

export interface LeanOpenAICompatibleOptions {
  baseURL: string;
  apiKey?: string;
}

interface Chunk {
  choices?: Array<{
    delta?: {
      content?: string | null;
      tool_calls?: Array<{
        index?: number;
        id?: string | null;
        function?: { name?: string | null; arguments?: string | null };
      }> | null;
    } | null;
    finish_reason?: string | null;
  }>;
  usage?: Parameters<typeof convertOpenAICompatibleChatUsage>[0] | null;
  error?: { message?: string } | null;
}

const RETRYABLE = new Set([408, 409, 429]);

/**
 * Streaming chat completions from an OpenAI-compatible server, as a LanguageModelV3 (ADR 0008).
 * The AI SDK's provider pipes each response through four web streams and validates every chunk
 * with zod: 37 % of a turn's CPU and 88 of the 121 KiB an open stream held (docs/performance.md).
 * This one reads the socket with undici, splits SSE lines and JSON-parses each chunk once. The
 * request body and the usage/finish mapping are the SDK's own (`@ai-sdk/openai-compatible/internal`);
 * non-streaming calls go to the SDK model, which Papo never calls on its hot path.
 */
export class LeanOpenAICompatibleChatModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly provider = 'openai-compatible.chat';
  readonly supportedUrls = {};
  private readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(
    readonly modelId: string,
    opts: LeanOpenAICompatibleOptions,
    private readonly fallback: LanguageModelV3,
  ) {
    this.url = `${opts.baseURL.replace(/\/+$/, '')}/chat/completions`;
    this.headers = {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(opts.apiKey && { authorization: `Bearer ${opts.apiKey}` }),
    };
  }

  doGenerate(options: LanguageModelV3CallOptions) {
    return this.fallback.doGenerate(options);
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const { tools, toolChoice } = prepareTools({ tools: options.tools, toolChoice: options.toolChoice });
    const compat = (options.providerOptions?.['openaiCompatible'] ?? {}) as { reasoningEffort?: string };
    const body = JSON.stringify({
      model: this.modelId,
      messages: convertToOpenAICompatibleChatMessages(options.prompt),
      stream: true,
      // without this, OpenAI-compatible servers send no usage in streams (LESSONS.md)
      stream_options: { include_usage: true },
      max_tokens: options.maxOutputTokens,
      temperature: options.temperature,
      top_p: options.topP,
      stop: options.stopSequences,
      seed: options.seed,
      reasoning_effort: compat.reasoningEffort,
      tools,
      tool_choice: toolChoice,
    });
    const res = await request(this.url, {
      method: 'POST',
      headers: this.headers,
      body,
      signal: options.abortSignal,
    });
    if (res.statusCode >= 300) {
      const text = await res.body.text().catch(() => '');
      const responseHeaders = Object.fromEntries(
        Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
      );
      throw new APICallError({
        message: errorMessage(text) ?? `HTTP ${res.statusCode}`,
        url: this.url,
        requestBodyValues: {},
        statusCode: res.statusCode,
        responseHeaders,
        responseBody: text,
        isRetryable: RETRYABLE.has(res.statusCode) || res.statusCode >= 500,
      });
    }
    return { stream: partsOf(res.body, this.url) };
  }
}

function errorMessage(text: string): string | undefined {
  try {
    const m = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The response's SSE lines as stream parts: text deltas, whole tool calls, then finish. */
function partsOf(body: AsyncIterable<Buffer>, url: string): ReadableStream<LanguageModelV3StreamPart> {
  const calls = new Map<number, { id: string; name: string; args: string }>();
  let finishRaw: string | undefined;
  let usage: Chunk['usage'] = undefined;
  let textOpen = false;
  let done = false;
  const iterator = body[Symbol.asyncIterator]();
  const decoder = new TextDecoder();
  let buffer = '';

  const finish = (out: ReadableStreamDefaultController<LanguageModelV3StreamPart>) => {
    if (done) return;
    done = true;
    if (textOpen) out.enqueue({ type: 'text-end', id: '0' });
    for (const c of calls.values()) {
      out.enqueue({ type: 'tool-call', toolCallId: c.id, toolName: c.name, input: c.args });
    }
    out.enqueue({
      type: 'finish',
      finishReason: {
        unified: calls.size > 0 && !finishRaw ? 'tool-calls' : mapOpenAICompatibleFinishReason(finishRaw),
        raw: finishRaw,
      },
      usage: convertOpenAICompatibleChatUsage(usage ?? undefined),
    });
    out.close();
  };

  /** Handles one chunk; true when it enqueued a part. */
  const onChunk = (
    chunk: Chunk,
    out: ReadableStreamDefaultController<LanguageModelV3StreamPart>,
  ): boolean => {
    if (chunk.error) throw new Error(chunk.error.message ?? 'The provider sent an error in the stream.');
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return false;
    if (choice.finish_reason) finishRaw = choice.finish_reason;
    const delta = choice.delta;
    let enqueued = false;
    if (delta?.content) {
      if (!textOpen) {
        textOpen = true;
        out.enqueue({ type: 'text-start', id: '0' });
      }
      out.enqueue({ type: 'text-delta', id: '0', delta: delta.content });
      enqueued = true;
    }
    for (const t of delta?.tool_calls ?? []) {
      const index = t.index ?? calls.size;
      const c = calls.get(index) ?? { id: '', name: '', args: '' };
      if (t.id) c.id = t.id;
      if (t.function?.name) c.name += t.function.name;
      if (t.function?.arguments) c.args += t.function.arguments;
      calls.set(index, c);
    }
    return enqueued;
  };

  return new ReadableStream<LanguageModelV3StreamPart>({
    start(out) {
      out.enqueue({ type: 'stream-start', warnings: [] });
    },
    // A pull must enqueue before it returns, or the stream never pulls again: read until a
    // chunk produced a part (role-only, usage-only and tool-call fragments produce none).
    async pull(out) {
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done) return finish(out);
          buffer += decoder.decode(next.value, { stream: true });
          let emitted = false;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).trimEnd();
            buffer = buffer.slice(nl + 1);
            if (!line.startsWith('data:')) continue;
            const data = line.slice(5).trim();
            if (data === '[DONE]') return finish(out);
            if (onChunk(JSON.parse(data) as Chunk, out)) emitted = true;
          }
          if (emitted) return;
        }
      } catch (err) {
        done = true;
        // a body that breaks mid-stream: an API error with the 200 it started with
        out.enqueue({
          type: 'error',
          error: APICallError.isInstance(err)
            ? err
            : new APICallError({
                message: err instanceof Error ? err.message : String(err),
                url,
                requestBodyValues: {},
                statusCode: 200,
                cause: err,
                isRetryable: false,
              }),
        });
        out.close();
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
