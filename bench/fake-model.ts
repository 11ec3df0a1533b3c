/**
 * The benchmark's model: the OpenAI-compatible fake of the test suite as its own process.
 * BENCH_TTFT_MS (time to first token), BENCH_GAP_MS (between tokens), BENCH_TOKENS (reply length).
 * A `[fake:slow-<n>]` marker in the last user message picks the open-streams scenario instead:
 * n tokens (5 to 300, a multiple of 5) BENCH_STREAM_GAP_MS apart. Prints its base URL, then
 * serves until killed.
 */
import { startFakeLlmServer } from '../test/fake-llm-server.js';

const tokens = Number(process.env['BENCH_TOKENS'] ?? 20);
const gap = Number(process.env['BENCH_STREAM_GAP_MS'] ?? 2000);
const slow = Object.fromEntries(
  Array.from({ length: 60 }, (_, i) => {
    const n = (i + 1) * 5;
    return [
      `slow-${n}`,
      {
        kind: 'reply' as const,
        reply: Array.from({ length: n }, (_, k) => `w${k} `),
        chunkDelayMs: gap,
        usage: { promptTokens: 100, completionTokens: n, cachedTokens: 0 },
      },
    ];
  }),
);
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
  scenarios: slow,
});
process.stdout.write(`${server.url}\n`);
