import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake OpenAI-compatible server for tests: `POST /v1/chat/completions`, streaming and not, in
 * OpenAI's wire format, on 127.0.0.1 only.
 *
 * Choosing a scenario:
 * - `setScenario(s)` sets the server's default for every following request;
 * - a marker `[fake:<name>]` in the last user message picks a named scenario for that request
 *   alone (the presets below, plus `opts.scenarios`). An unknown name answers HTTP 400, so a
 *   typo fails loudly. Markers let concurrent requests through one server behave differently.
 */

export interface FakeUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens?: number;
}

export type FakeScenario =
  | {
      kind: 'reply';
      /** A string is streamed word by word; an array is streamed chunk by chunk as given. */
      reply?: string | string[];
      /** OpenAI's raw finish reason; 'stop' by default. */
      finishReason?: 'stop' | 'length' | 'content_filter' | 'tool_calls';
      /** Reported usage; by default ≈4 characters a prompt token and one token a chunk. */
      usage?: FakeUsage;
      /** Wait before the response headers are sent. */
      firstByteDelayMs?: number;
      /** Wait between content chunks (the first one is sent at once). */
      chunkDelayMs?: number;
      /**
       * Function calls streamed after the text, as OpenAI does: the id and name first, then the
       * arguments in the given fragments; the finish reason becomes `tool_calls`.
       */
      toolCalls?: Array<{ id: string; name: string; arguments: string[] }>;
    }
  | {
      kind: 'http-error';
      status: number;
      /** OpenAI error object, sent as `{"error": {...}}`. */
      error?: { message: string; type: string; code: string | null };
      /** Sent as `retry-after-ms`, which the AI SDK honours instead of its 2 s backoff. */
      retryAfterMs?: number;
    }
  | {
      kind: 'break';
      reply?: string | string[];
      /** Content chunks sent before the socket is destroyed. */
      afterChunks: number;
    };

/** Looks like a credential, so tests can prove provider error bodies never reach clients. */
export const FAKE_PROVIDER_SECRET = 'sk-proj-FAKEsecret0123456789abcdef';

export const DEFAULT_FAKE_REPLY = 'Hello from the fake model.';

export const PRESET_SCENARIOS: Readonly<Record<string, FakeScenario>> = {
  reply: { kind: 'reply' },
  length: { kind: 'reply', reply: 'This reply was cut', finishReason: 'length' },
  'error-401': {
    kind: 'http-error',
    status: 401,
    error: {
      message: `Incorrect API key provided: ${FAKE_PROVIDER_SECRET}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    },
  },
  'error-500': {
    kind: 'http-error',
    status: 500,
    error: {
      message: `The server had an error while processing your request (key ${FAKE_PROVIDER_SECRET}).`,
      type: 'server_error',
      code: null,
    },
    retryAfterMs: 0,
  },
  break: { kind: 'break', reply: 'One two three four five six', afterChunks: 3 },
  slow: { kind: 'reply', firstByteDelayMs: 2_000 },
};

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined when the body was not JSON. */
  body: ChatRequestBody | undefined;
}

/** The parts of an OpenAI chat request the fake reads; everything else is kept as sent. */
export interface ChatRequestBody {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages?: { role: string; content: unknown }[];
  [key: string]: unknown;
}

export interface FakeLlmServer {
  /** Base URL ending in `/v1`, for PAPO_OPENAI_COMPATIBLE_BASE_URL. */
  url: string;
  requests: RecordedRequest[];
  setScenario(scenario: FakeScenario): void;
  /** Scenarios for the next requests, one each, before the default applies again. */
  queue(...scenarios: FakeScenario[]): void;
  close(): Promise<void>;
}

export async function startFakeLlmServer(
  opts: {
    scenario?: FakeScenario;
    scenarios?: Record<string, FakeScenario>;
    /** Keep every request for assertions (default); benchmarks turn it off. */
    record?: boolean;
    port?: number;
  } = {},
): Promise<FakeLlmServer> {
  const named: Record<string, FakeScenario> = { ...PRESET_SCENARIOS, ...opts.scenarios };
  let current: FakeScenario = opts.scenario ?? { kind: 'reply' };
  const queued: FakeScenario[] = [];
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const body = parseJson(raw);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (opts.record !== false) requests.push({ method: req.method ?? '', path, headers: req.headers, body });

    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return sendError(res, 404, {
        message: `Unknown route ${req.method} ${path}`,
        type: 'invalid_request_error',
        code: null,
      });
    }
    if (!body || !Array.isArray(body.messages)) {
      return sendError(res, 400, {
        message: 'messages is required',
        type: 'invalid_request_error',
        code: null,
      });
    }
    const marker = markerIn(body);
    const scenario = marker === undefined ? (queued.shift() ?? current) : named[marker];
    if (!scenario) {
      return sendError(res, 400, {
        message: `Unknown fake scenario "${marker}"`,
        type: 'invalid_request_error',
        code: null,
      });
    }
    switch (scenario.kind) {
      case 'http-error':
        return sendError(
          res,
          scenario.status,
          scenario.error ?? { message: `HTTP ${scenario.status}`, type: 'server_error', code: null },
          scenario.retryAfterMs === undefined ? {} : { 'retry-after-ms': String(scenario.retryAfterMs) },
        );
      case 'reply':
      case 'break':
        return body.stream === true ? streamReply(res, body, scenario) : sendReply(res, body, scenario);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    setScenario(scenario) {
      current = scenario;
    },
    queue(...scenarios) {
      queued.push(...scenarios);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

type ReplyScenario = Extract<FakeScenario, { kind: 'reply' | 'break' }>;
type Delays = { firstByteDelayMs?: number; chunkDelayMs?: number };

async function streamReply(res: ServerResponse, body: ChatRequestBody, s: ReplyScenario): Promise<void> {
  const slow: Delays = s.kind === 'reply' ? s : {};
  if (!(await wait(res, slow.firstByteDelayMs))) return;
  const chunks = chunksOf(s.reply);
  const includeUsage = body.stream_options?.include_usage === true;
  const base = {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: body.model ?? 'fake-model',
    system_fingerprint: 'fp_fake',
  };
  // Like OpenAI: with include_usage every chunk carries `usage: null` until the usage chunk.
  const frame = (choices: unknown[], usage: unknown = null) =>
    `data: ${JSON.stringify({ ...base, choices, ...(includeUsage && { usage }) })}\n\n`;
  const choice = (delta: object, finishReason: string | null = null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });

  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  await write(res, frame([choice({ role: 'assistant', content: '', refusal: null })]));
  for (const [i, chunk] of chunks.entries()) {
    if (s.kind === 'break' && i === s.afterChunks) {
      res.socket?.destroy();
      return;
    }
    if (i > 0 && !(await wait(res, slow.chunkDelayMs))) return;
    await write(res, frame([choice({ content: chunk })]));
  }
  if (s.kind === 'break') {
    res.socket?.destroy();
    return;
  }
  const calls = s.toolCalls ?? [];
  for (const [index, c] of calls.entries()) {
    await write(
      res,
      frame([
        choice({
          tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }],
        }),
      ]),
    );
    for (const fragment of c.arguments) {
      await write(res, frame([choice({ tool_calls: [{ index, function: { arguments: fragment } }] })]));
    }
  }
  await write(res, frame([choice({}, s.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop'))]));
  if (includeUsage) await write(res, frame([], usageOf(body, chunks, s.usage)));
  res.end('data: [DONE]\n\n');
}

async function sendReply(res: ServerResponse, body: ChatRequestBody, s: ReplyScenario): Promise<void> {
  const slow: Delays = s.kind === 'reply' ? s : {};
  if (!(await wait(res, slow.firstByteDelayMs))) return;
  if (s.kind === 'break') {
    res.socket?.destroy();
    return;
  }
  const chunks = chunksOf(s.reply);
  sendJson(res, 200, {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: body.model ?? 'fake-model',
    system_fingerprint: 'fp_fake',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: chunks.join(''), refusal: null },
        logprobs: null,
        finish_reason: s.finishReason ?? 'stop',
      },
    ],
    usage: usageOf(body, chunks, s.usage),
  });
}

function usageOf(body: ChatRequestBody, chunks: string[], usage: FakeUsage | undefined) {
  const prompt = usage?.promptTokens ?? Math.max(1, Math.ceil(JSON.stringify(body.messages).length / 4));
  const completion = usage?.completionTokens ?? chunks.length;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: usage?.cachedTokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function chunksOf(reply: string | string[] | undefined): string[] {
  if (Array.isArray(reply)) return reply;
  return (reply ?? DEFAULT_FAKE_REPLY).match(/\S+\s*/g) ?? [];
}

function markerIn(body: ChatRequestBody): string | undefined {
  const last = body.messages?.filter((m) => m.role === 'user').at(-1);
  const content = last?.content;
  const text =
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content
            .map((p: { type?: string; text?: string }) => (p.type === 'text' ? (p.text ?? '') : ''))
            .join(' ')
        : '';
  return /\[fake:([\w-]+)\]/.exec(text)?.[1];
}

function sendError(
  res: ServerResponse,
  status: number,
  error: { message: string; type: string; code: string | null },
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { ...error, param: null } }, headers);
}

function sendJson(
  res: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function parseJson(text: string): ChatRequestBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as ChatRequestBody) : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves once the data is handed to the socket, so a later destroy() cannot drop it. */
function write(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    res.write(data, () => resolve());
  });
}

/** Waits `ms`, ending early when the client goes away; resolves whether it is still there. */
function wait(res: ServerResponse, ms: number | undefined): Promise<boolean> {
  if (!ms) return Promise.resolve(!res.destroyed);
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    res.once('close', onClose);
  });
}
