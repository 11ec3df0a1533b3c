/**
 * The benchmark's model: the OpenAI-compatible fake of the test suite as its own process.
 * BENCH_TTFT_MS (time to first token), BENCH_GAP_MS (between tokens), BENCH_TOKENS (reply length).
 * A `[fake:slow]` marker in the last user message picks the open-streams scenario instead:
 * BENCH_STREAM_TOKENS tokens BENCH_STREAM_GAP_MS apart. Prints its base URL, then serves until killed.
 */
import { startFakeLlmServer } from '../test/fake-llm-server.js';

const tokens = Number(process.env['BENCH_TOKENS'] ?? 20);
const slowTokens = Number(process.env['BENCH_STREAM_TOKENS'] ?? 30);
const server = await startFakeLlmServer({
  record: false,
  port: Number(process.env['BENCH_FAKE_PORT'] ?? 0),
  scenario: {
    kind: 'reply',
    reply: Array.from({ length: tokens }, (_, i) => `w${i} `),
    firstByteDelayMs: Number(process.env['BENCH_TTFT_MS'] ?? 0),
    chunkDelayMs: Number(process.env['BENCH_GAP_MS'] ?? 0),
    usage: { promptTokens: 100, completionTokens: tokens, cachedTokens: 0 },
  },
  scenarios: {
    slow: {
      kind: 'reply',
      reply: Array.from({ length: slowTokens }, (_, i) => `w${i} `),
      chunkDelayMs: Number(process.env['BENCH_STREAM_GAP_MS'] ?? 2000),
      usage: { promptTokens: 100, completionTokens: slowTokens, cachedTokens: 0 },
    },
  },
});
process.stdout.write(`${server.url}\n`);
