/**
 * `npm run bench`: Papo against the physical floor on this machine (issue 4).
 *
 * Targets, each in the same run: the fake model called directly (floor), a bare Node pass-through
 * (one HTTP hop, nothing stored), Papo on PGlite, Papo on PostgreSQL. The server under test is
 * pinned to core 0; the load generator and the fake model to core 1.
 * Scenarios: (1) sync turn, concurrency 1; (2) sync turns at 32 and 128; (3) streaming, time to
 * first token at concurrency 1. Medians of BENCH_RUNS runs. Writes bench/results.json.
 * Options: BENCH_TARGETS (subset of floor,pass,pglite,pg; the floor always runs), BENCH_CPU_PROF=1.
 */
import autocannon from 'autocannon';
import { measureSearch, searchKinds, type SearchResult } from './search.js';
import { holdStreams } from './streams.js';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const PG_URL = process.env['BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const OPERATOR = 'bench-operator-token-0123456789';
/** Comma-separated subset of scenarios: turns (1–3), streams (4), search (5). */
const SCENARIOS = new Set((process.env['BENCH_SCENARIOS'] ?? 'turns,streams,search').split(','));
/** Comma-separated subset of targets to run: floor,pass,pglite,pg (default: all). */
const ONLY = new Set((process.env['BENCH_TARGETS'] ?? 'floor,pass,pglite,pg').split(','));
/** Writes a CPU profile of each Papo server to bench/profiles/ (inspect with Chrome DevTools). */
const CPU_PROF = process.env['BENCH_CPU_PROF'] === '1';
const children: ChildProcess[] = [];

function start(
  cmd: string[],
  env: Record<string, string>,
  core: number,
  ready: RegExp,
): Promise<{ child: ChildProcess; out: string }> {
  const child = spawn('taskset', ['-c', String(core), ...cmd], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) resolve({ child, out });
    });
    child.on('exit', (code) => reject(new Error(`${cmd.join(' ')} exited ${code}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  // exited already (with a code, or killed by a signal): nothing to wait for
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.removeAllListeners('exit');
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

/** Scenario 4: how many streams at once, opened how fast; the fake's slow reply keeps each open. */
const STREAM_COUNTS = (process.env['BENCH_STREAMS'] ?? '1000,5000').split(',').map(Number);
const OPEN_PER_SECOND = Number(process.env['BENCH_OPEN_PER_SECOND'] ?? 100);
/** PGlite starts turns one database call at a time: opening faster than it can start them only queues. */
const OPEN_PER_SECOND_PGLITE = Number(process.env['BENCH_OPEN_PER_SECOND_PGLITE'] ?? 50);
const STREAM_GAP_MS = Number(process.env['BENCH_STREAM_GAP_MS'] ?? 2000);
/** The fake's slow reply for `n` streams opened at `rate`/s: the first is still open when the last opens (plus 15 s). */
function slowMarker(n: number, rate: number): string {
  const tokens = Math.min(300, 5 * Math.ceil(((n / rate + 15) * 1000) / STREAM_GAP_MS / 5));
  return `[fake:slow-${tokens}]`;
}
const OPENAI_TOKEN = /"content":"w\d+ "/;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Target {
  name: string;
  /** Sync turn request: path relative to base, body. */
  turn: () => { path: string; body: string };
  stream: () => { path: string; body: string };
  headers: Record<string, string>;
  base: string;
  /** Marks the first token in the stream body. */
  firstToken: string;
  /** Scenario 4: `n` slow streams' requests (fresh conversations), and the line of a token. */
  slowStreams: (n: number, marker: string) => Promise<() => { path: string; body: string }>;
  /** Streams opened per second in scenario 4. */
  openPerSecond: number;
  tokenLine: RegExp;
  rssKiB?: () => number;
  close: () => Promise<void>;
}

async function papoTarget(name: string, fakeUrl: string, databaseUrl: string | undefined): Promise<Target> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'papo-bench-'));
  const port = 3990;
  const { child, out } = await start(
    ['node', ...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=bench/profiles'] : []), 'bin/papo.js', 'serve'],
    {
      PORT: String(port),
      PAPO_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      PAPO_ADMIN_TOKEN: OPERATOR,
      PAPO_RATE_LIMIT_SECRET_KEY: '1000000',
      PAPO_OPENAI_COMPATIBLE_BASE_URL: fakeUrl,
      DATABASE_URL: databaseUrl ?? '',
    },
    0,
    /Public key/,
  );
  const base = `http://127.0.0.1:${port}`;
  const key = /Secret key\s+(\S+)/.exec(out)![1]!;
  const ws = /Workspace\s+default\s+(\S+)/.exec(out)![1]!;
  const headers = { 'x-api-key': key, 'content-type': 'application/json' };
  const agent = (await (
    await fetch(`${base}/v1/admin/workspaces/${ws}/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', instructions: 'Be brief.', model: 'openai-compatible:fake' }),
    })
  ).json()) as { id: string };
  // sends to one conversation are serialised by design: one session per in-flight request
  const newSessions = async (n: number) => {
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (ids.length < n) {
          ids.push('');
          const r = await fetch(`${base}/v1/agents/${agent.id}/sessions`, {
            method: 'POST',
            headers,
            body: '{}',
          });
          if (r.status !== 200) throw new Error(`session: HTTP ${r.status} ${await r.text()}`);
          ids[ids.indexOf('')] = ((await r.json()) as { id: string }).id;
        }
      }),
    );
    return ids.slice(0, n);
  };
  const sessions = await newSessions(256);
  let next = 0;
  const pick = () => sessions[next++ % sessions.length]!;
  const body = JSON.stringify({ content: 'Hello' });
  return {
    name,
    base,
    headers,
    turn: () => ({ path: `/v1/agents/sessions/${pick()}/messages`, body }),
    stream: () => ({ path: `/v1/agents/sessions/${pick()}/messages/stream`, body }),
    firstToken: 'event: agent_message.delta',
    tokenLine: /^event: agent_message\.delta$/,
    openPerSecond: databaseUrl ? OPEN_PER_SECOND : OPEN_PER_SECOND_PGLITE,
    slowStreams: async (n, marker) => {
      const ids = await newSessions(n);
      const slowBody = JSON.stringify({ content: `Hello ${marker}` });
      let i = 0;
      return () => ({ path: `/v1/agents/sessions/${ids[i++ % n]}/messages/stream`, body: slowBody });
    },
    rssKiB: () =>
      Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0),
    close: async () => {
      await stop(child);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function syncRun(t: Target, connections: number) {
  const r = await autocannon({
    url: t.base,
    duration: SECONDS,
    connections,
    requests: [{ method: 'POST', headers: t.headers, setupRequest: (req) => ({ ...req, ...t.turn() }) }],
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

/** Sequential streams for SECONDS; time from request start to the first token. */
async function ttftRun(t: Target) {
  const samples: number[] = [];
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    const { path: p, body } = t.stream();
    const started = performance.now();
    const res = await fetch(`${t.base}${p}`, {
      method: 'POST',
      headers: t.headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let seen = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (!seen && text.includes(t.firstToken)) {
        samples.push(performance.now() - started);
        seen = true;
      }
    }
  }
  samples.sort((a, b) => a - b);
  return {
    p50: samples[Math.floor(samples.length * 0.5)]!,
    p99: samples[Math.floor(samples.length * 0.99)]!,
    n: samples.length,
  };
}

type Sync = Awaited<ReturnType<typeof syncRun>>;
interface Run {
  c1: Sync;
  c32: Sync;
  c128: Sync;
  ttft: Awaited<ReturnType<typeof ttftRun>>;
}

async function measure(t: Target) {
  const runs: Run[] = [];
  const log = (m: string) => process.stderr.write(`[bench] ${t.name}: ${m}\n`);
  for (let i = 0; i < (SCENARIOS.has('turns') ? RUNS : 0); i++) {
    log(`run ${i + 1}: c=1`);
    const c1 = await syncRun(t, 1);
    log(`run ${i + 1}: c=32`);
    const c32 = await syncRun(t, 32);
    log(`run ${i + 1}: c=128`);
    const c128 = await syncRun(t, 128);
    log(`run ${i + 1}: time to first token`);
    runs.push({ c1, c32, c128, ttft: await ttftRun(t) });
  }
  const rssAfterTurns = t.rssKiB ? Math.round(t.rssKiB() / 1024) : null;
  const streams = [];
  for (const n of SCENARIOS.has('streams') ? STREAM_COUNTS : []) {
    log(`${n} open streams`);
    const marker = slowMarker(n, t.openPerSecond);
    const next = await t.slowStreams(n, marker);
    const before = t.rssKiB?.();
    let atPeak: number | undefined;
    const r = await holdStreams({
      base: t.base,
      headers: t.headers,
      next,
      count: n,
      openPerSecond: t.openPerSecond,
      tokenLine: t.tokenLine,
      onAllOpen: () => (atPeak = t.rssKiB?.()),
    });
    const perStream =
      before !== undefined && atPeak !== undefined ? Math.round(((atPeak - before) / n) * 10) / 10 : null;
    streams.push({
      streams: n,
      open_per_second: t.openPerSecond,
      tokens_per_stream: Number(/slow-(\d+)/.exec(marker)![1]),
      ...r,
      rss_kib_per_stream: perStream,
      rss_mib_at_peak: atPeak && Math.round(atPeak / 1024),
    });
  }
  const pick = (f: (r: Run) => number) => (runs.length ? Math.round(median(runs.map(f)) * 100) / 100 : NaN);
  return {
    name: t.name,
    c1_p50_ms: pick((r) => r.c1.p50),
    c1_p99_ms: pick((r) => r.c1.p99),
    c32_rps: pick((r) => r.c32.rps),
    c32_p99_ms: pick((r) => r.c32.p99),
    c128_rps: pick((r) => r.c128.rps),
    c128_p99_ms: pick((r) => r.c128.p99),
    ttft_p50_ms: pick((r) => r.ttft.p50),
    ttft_p99_ms: pick((r) => r.ttft.p99),
    errors: runs.reduce((n, r) => n + r.c1.errors + r.c32.errors + r.c128.errors, 0),
    rss_mib: rssAfterTurns,
    streams,
  };
}

async function main() {
  const fake = await start(
    ['node', '--import', 'tsx', 'bench/fake-model.ts'],
    {
      BENCH_TOKENS: '20',
      BENCH_STREAM_GAP_MS: String(STREAM_GAP_MS),
    },
    1,
    /http/,
  );
  const fakeUrl = fake.out.trim();
  const results: Array<Awaited<ReturnType<typeof measure>>> = [];
  const search: Array<Awaited<ReturnType<typeof searchScenario>>> = [];
  const machine = `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  // written after every target, so a failure late in a long run keeps what was measured
  const save = () => {
    const out = {
      date: new Date().toISOString(),
      machine,
      seconds: SECONDS,
      runs: RUNS,
      tokens: 20,
      results,
      search,
    };
    fs.writeFileSync('bench/results.json', JSON.stringify(out, null, 2) + '\n');
  };

  const floorBody = JSON.stringify({
    model: 'fake',
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Hello' }],
  });
  results.push(
    await measure({
      name: 'floor (fake model direct)',
      base: fakeUrl.replace(/\/v1$/, ''),
      headers: { 'content-type': 'application/json' },
      turn: () => ({ path: '/v1/chat/completions', body: floorBody }),
      stream: () => ({ path: '/v1/chat/completions', body: floorBody }),
      firstToken: '"content":"w0',
      tokenLine: OPENAI_TOKEN,
      openPerSecond: OPEN_PER_SECOND,
      slowStreams: async (_n, marker) => {
        const slow = floorBody.replace('"Hello"', `"Hello ${marker}"`);
        return () => ({ path: '/v1/chat/completions', body: slow });
      },
      close: async () => undefined,
    }),
  );

  if (ONLY.has('pass')) {
    const pass = await start(
      ['node', '--import', 'tsx', 'bench/passthrough.ts'],
      { BENCH_FAKE_URL: fakeUrl },
      0,
      /http/,
    );
    results.push(
      await measure({
        name: 'Node pass-through',
        base: pass.out.trim(),
        headers: { 'content-type': 'application/json' },
        turn: () => ({ path: '/turn', body: '{}' }),
        stream: () => ({ path: '/stream', body: '{}' }),
        firstToken: '"content":"w0',
        tokenLine: OPENAI_TOKEN,
        openPerSecond: OPEN_PER_SECOND,
        slowStreams: async (_n, marker) => {
          const slow = JSON.stringify({ content: `Hello ${marker}` });
          return () => ({ path: '/stream', body: slow });
        },
        close: () => stop(pass.child),
      }),
    );
    await stop(pass.child);
  }

  for (const [name, url] of [
    ...(ONLY.has('pglite') ? [['Papo on PGlite', undefined] as const] : []),
    ...(ONLY.has('pg') ? [['Papo on PostgreSQL', freshPgDatabase()] as const] : []),
  ]) {
    const t = await papoTarget(name, fakeUrl, url);
    results.push(await measure(t));
    save();
    await t.close();
  }
  await stop(fake.child);

  if (SCENARIOS.has('search')) {
    if (ONLY.has('pg')) search.push(await searchScenario('Papo on PostgreSQL', freshPgDatabase()));
    save();
    if (ONLY.has('pglite')) search.push(await searchScenario('Papo on PGlite', undefined));
    save();
  }

  save();
  const floor = results[0]!;
  process.stdout.write(
    `\n${machine}; ${RUNS} runs × ${SECONDS} s per cell, medians; reply of 20 tokens, no model delay\n\n`,
  );
  process.stdout.write(
    '| target | c=1 p50 ms (added) | c=1 p99 ms | c=32 turns/s | c=32 p99 ms | c=128 turns/s | c=128 p99 ms | TTFT p50 ms (added) | TTFT p99 ms | errors | RSS MiB |\n',
  );
  process.stdout.write('|---|---|---|---|---|---|---|---|---|---|---|\n');
  for (const r of results) {
    const add = (v: number, f: number) =>
      r === floor ? `${v}` : `${v} (+${Math.round((v - f) * 100) / 100})`;
    process.stdout.write(
      `| ${r.name} | ${add(r.c1_p50_ms, floor.c1_p50_ms)} | ${r.c1_p99_ms} | ${r.c32_rps} | ${r.c32_p99_ms} | ${r.c128_rps} | ${r.c128_p99_ms} | ${add(r.ttft_p50_ms, floor.ttft_p50_ms)} | ${r.ttft_p99_ms} | ${r.errors} | ${r.rss_mib ?? '—'} |\n`,
    );
  }
  printStreams(results);
  printSearch(search);
}

const SEARCH_MESSAGES = Number(process.env['BENCH_SEARCH_MESSAGES'] ?? 1_000_000);
const SEARCH_REQUESTS = Number(process.env['BENCH_SEARCH_REQUESTS'] ?? 40);

/** Scenario 5 on one driver: seed SEARCH_MESSAGES messages, start Papo on them, list and search. */
async function searchScenario(name: string, databaseUrl: string | undefined) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'papo-bench-search-'));
  const env = {
    PAPO_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl ?? '',
    BENCH_SEARCH_MESSAGES: String(SEARCH_MESSAGES),
  };
  process.stderr.write(`[bench] ${name}: seeding ${SEARCH_MESSAGES} messages\n`);
  const seeded = Date.now();
  const seed = await start(['node', '--import', 'tsx', 'bench/seed.ts'], env, 0, /^[0-9a-f-]{36}\n/m);
  const workspaceId = seed.out.trim();
  await new Promise((r) => (seed.child.exitCode === null ? seed.child.once('exit', r) : r(null)));
  const seedSeconds = Math.round((Date.now() - seeded) / 1000);
  const port = 3992;
  const server = await start(
    ['node', 'bin/papo.js', 'serve'],
    { ...env, PORT: String(port), LOG_LEVEL: 'info', PAPO_ADMIN_TOKEN: OPERATOR },
    0,
    /Papo listening/,
  );
  try {
    process.stderr.write(`[bench] ${name}: list and search\n`);
    const results = await measureSearch({
      base: `http://127.0.0.1:${port}`,
      workspaceId,
      operatorToken: OPERATOR,
      kinds: searchKinds(Math.ceil(SEARCH_MESSAGES / 10)),
      requests: SEARCH_REQUESTS,
    });
    return { name, messages: SEARCH_MESSAGES, seed_seconds: seedSeconds, results };
  } finally {
    await stop(server.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function printSearch(rows: Array<{ name: string; results: SearchResult[] }>) {
  if (rows.length === 0) return;
  process.stdout.write(
    `\nManagement API over ${SEARCH_MESSAGES} messages (${Math.ceil(SEARCH_MESSAGES / 10)} conversations), concurrency 1, ${SEARCH_REQUESTS} requests per kind\n\n`,
  );
  process.stdout.write(`| query | ${rows.map((r) => `${r.name} p50 / p95 ms`).join(' | ')} |\n`);
  process.stdout.write(`|---|${rows.map(() => '---').join('|')}|\n`);
  for (const [i, k] of rows[0]!.results.entries()) {
    process.stdout.write(
      `| ${k.kind} | ${rows.map((r) => `${r.results[i]!.p50_ms} / ${r.results[i]!.p95_ms}`).join(' | ')} |\n`,
    );
  }
}

function printStreams(results: Array<{ name: string; streams: Array<Record<string, unknown>> }>) {
  process.stdout.write(
    `\nOpen streams: tokens ${STREAM_GAP_MS} ms apart, streams long enough that all are open at once at the peak\n\n`,
  );
  process.stdout.write(
    '| target | streams | opened/s | failed | TTFT p50 ms | TTFT p99 ms | gap p50 ms | gap p99 ms | RSS KiB per stream | RSS MiB at peak |\n',
  );
  process.stdout.write('|---|---|---|---|---|---|---|---|---|---|\n');
  for (const r of results)
    for (const x of r.streams)
      process.stdout.write(
        `| ${r.name} | ${x['streams']} | ${x['open_per_second']} | ${x['failed']} | ${x['ttft_p50_ms']} | ${x['ttft_p99_ms']} | ${x['gap_p50_ms']} | ${x['gap_p99_ms']} | ${x['rss_kib_per_stream'] ?? '—'} | ${x['rss_mib_at_peak'] ?? '—'} |\n`,
      );
}

function freshPgDatabase(): string {
  const name = `papo_bench_${Date.now().toString(36)}`;
  execFileSync('psql', [PG_URL, '-qc', `create database ${name}`]);
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

try {
  await main();
} finally {
  await Promise.all(children.map(stop));
}
