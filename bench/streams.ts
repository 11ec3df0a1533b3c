/**
 * The SSE probe of scenario 4: holds many concurrent streams open and times every token.
 * Streams are opened at a steady rate until `count` are open at once; each must outlast the
 * ramp (the fake model's slow gaps keep it open), so the probe measures the server while it
 * holds them all. Lines matching `tokenLine` are tokens; the probe keeps only timestamps.
 */
import { Agent, request } from 'undici';

export interface StreamsOptions {
  base: string;
  headers: Record<string, string>;
  /** One stream's request (a fresh conversation each: sends to one are serialised). */
  next: () => { path: string; body: string };
  count: number;
  /** Streams opened per second while ramping up. */
  openPerSecond: number;
  tokenLine: RegExp;
  /** Called once every stream is open and has produced a token (e.g. to sample the server's RSS). */
  onAllOpen?: () => void;
}

export interface StreamsResult {
  opened: number;
  failed: number;
  ttft_p50_ms: number;
  ttft_p99_ms: number;
  gap_p50_ms: number;
  gap_p99_ms: number;
  /** Streams that were open at the same time at the peak. */
  peak_open: number;
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const round = (x: number) => Math.round(x * 100) / 100;

export async function holdStreams(o: StreamsOptions): Promise<StreamsResult> {
  const agent = new Agent({
    connections: null,
    pipelining: 0,
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  const ttfts: number[] = [];
  const gaps: number[] = [];
  let open = 0;
  let peak = 0;
  let firstTokens = 0;
  let failed = 0;
  let signalled = false;

  async function one(): Promise<void> {
    const { path, body } = o.next();
    const started = performance.now();
    let last: number | undefined;
    let carry = '';
    open++;
    peak = Math.max(peak, open);
    try {
      const res = await request(`${o.base}${path}`, {
        method: 'POST',
        headers: o.headers,
        body,
        dispatcher: agent,
      });
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${await res.body.text()}`);
      res.body.setEncoding('utf8');
      for await (const chunk of res.body as AsyncIterable<string>) {
        const lines = (carry + chunk).split('\n');
        carry = lines.pop() ?? '';
        for (const line of lines) {
          if (!o.tokenLine.test(line)) continue;
          const now = performance.now();
          if (last === undefined) {
            ttfts.push(now - started);
            if (++firstTokens === o.count && !signalled) {
              signalled = true;
              o.onAllOpen?.();
            }
          } else gaps.push(now - last);
          last = now;
        }
      }
    } catch (err) {
      failed++;
      if (failed <= 3) process.stderr.write(`[bench] stream failed: ${String(err)}\n`);
    } finally {
      open--;
    }
  }

  const all: Array<Promise<void>> = [];
  const interval = 1000 / o.openPerSecond;
  const t0 = performance.now();
  for (let i = 0; i < o.count; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    all.push(one());
  }
  await Promise.all(all);
  await agent.close();
  ttfts.sort((a, b) => a - b);
  gaps.sort((a, b) => a - b);
  return {
    opened: o.count,
    failed,
    ttft_p50_ms: round(pct(ttfts, 0.5)),
    ttft_p99_ms: round(pct(ttfts, 0.99)),
    gap_p50_ms: round(pct(gaps, 0.5)),
    gap_p99_ms: round(pct(gaps, 0.99)),
    peak_open: peak,
  };
}
