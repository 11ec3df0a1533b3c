/**
 * The benchmark's model: the OpenAI-compatible fake of the test suite as its own process.
 * BENCH_TTFT_MS (time to first token), BENCH_GAP_MS (between tokens), BENCH_TOKENS (reply length).
 * Prints its base URL on stdout, then serves until killed.
 */
import { startFakeLlmServer } from '../test/fake-llm-server.js';

const tokens = Number(process.env['BENCH_TOKENS'] ?? 20);
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
});
process.stdout.write(`${server.url}\n`);
