import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';

/**
 * Papo's built-in offline model (`demo:papo-demo`): deterministic, streams word by word,
 * honours the output-token cap and the abort signal, and reports token usage (≈4 characters
 * a token). It lets the product work end to end with no provider key.
 */
export function createDemoModel(modelId: string, opts: { wordDelayMs: number }): LanguageModelV3 {
  return {
    specificationVersion: 'v3',
    provider: 'demo',
    modelId,
    supportedUrls: {},
    async doGenerate(options) {
      const { words, usage, length } = plan(options);
      return {
        content: [{ type: 'text', text: words.join('') }],
        finishReason: { unified: length ? 'length' : 'stop', raw: length ? 'length' : 'stop' },
        usage,
        warnings: [],
      };
    },
    async doStream(options) {
      const { words, usage, length } = plan(options);
      const signal = options.abortSignal;
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        async start(controller) {
          controller.enqueue({ type: 'stream-start', warnings: [] });
          controller.enqueue({ type: 'text-start', id: 't0' });
          for (const word of words) {
            if (opts.wordDelayMs > 0) await sleep(opts.wordDelayMs, signal);
            if (signal?.aborted) {
              controller.error(signal.reason ?? new DOMException('Aborted', 'AbortError'));
              return;
            }
            controller.enqueue({ type: 'text-delta', id: 't0', delta: word });
          }
          controller.enqueue({ type: 'text-end', id: 't0' });
          controller.enqueue({
            type: 'finish',
            usage,
            finishReason: { unified: length ? 'length' : 'stop', raw: length ? 'length' : 'stop' },
          });
          controller.close();
        },
      });
      return { stream };
    },
  };
}

function plan(options: LanguageModelV3CallOptions): {
  words: string[];
  usage: LanguageModelV3Usage;
  length: boolean;
} {
  const reply = replyFor(options.prompt);
  let words: string[] = reply.match(/\S+\s*/g) ?? [];
  const cap = options.maxOutputTokens;
  const length = cap !== undefined && words.length > cap;
  if (length) words = words.slice(0, cap);
  const inputTokens = estimateTokens(JSON.stringify(options.prompt));
  const outputTokens = words.length;
  return {
    words,
    length,
    usage: {
      inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
    },
  };
}

function replyFor(prompt: LanguageModelV3Prompt): string {
  const last = [...prompt].reverse().find((m) => m.role === 'user');
  const parts = last && last.role === 'user' ? last.content : [];
  const text = parts
    .map((p) => (p.type === 'text' ? p.text : ''))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  const attachments = parts.filter((p) => p.type === 'file').length;
  const turns = prompt.filter((m) => m.role === 'user').length;
  const quoted = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  const lines = [
    text ? `You said: "${quoted}".` : 'I received your message.',
    attachments > 0 ? `I also received ${attachments} attachment${attachments === 1 ? '' : 's'}.` : '',
    `This is turn ${turns} of our conversation.`,
    "I am Papo's offline demo model: configure a real provider to get real answers.",
  ];
  return lines.filter(Boolean).join(' ');
}

export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
