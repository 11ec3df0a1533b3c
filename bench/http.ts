/**
 * HTTP benchmark of the native API on the built server (`npm run bench`): a separate server
 * process (dist/, embedded PGlite, demo model without word delay) driven by autocannon.
 * Scenarios: authenticated read, sync send (full generation + 2 stored messages), streamed send.
 * Prints a Markdown table for docs/performance.md.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PORT = 3991;
const BASE = `http://127.0.0.1:${PORT}`;
const DURATION = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'papo-bench-'));
const server = spawn(process.execPath, ['bin/papo.js', 'serve'], {
  env: {
    ...process.env,
    PORT: String(PORT),
    PAPO_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    PAPO_DEMO_WORD_DELAY_MS: '0',
    PAPO_RATE_LIMIT_SECRET_KEY: '1000000',
    DATABASE_URL: process.env['BENCH_DATABASE_URL'] ?? '',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});

const banner = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('Public key')) resolve(out);
  });
  server.on('exit', (code) => reject(new Error(`server exited ${code}`)));
});
const key = /Secret key\s+(\S+)/.exec(banner)![1]!;
const agentId = /Demo agent\s+(\S+)/.exec(banner)![1]!;
const headers = { 'x-api-key': key, 'content-type': 'application/json' };

async function newSession(): Promise<string> {
  const res = await fetch(`${BASE}/v1/agents/${agentId}/sessions`, { method: 'POST', headers, body: '{}' });
  return ((await res.json()) as { id: string }).id;
}
// one session per connection: sends to one conversation are serialised by design
const sessions = await Promise.all(Array.from({ length: CONNECTIONS * 2 }, newSession));
let next = 0;
const pick = () => sessions[next++ % sessions.length]!;

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}
const rows: Row[] = [];

async function run(name: string, opts: autocannon.Options): Promise<void> {
  const r = await autocannon({ duration: DURATION, connections: CONNECTIONS, ...opts });
  rows.push({
    name,
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
  });
}

await run('GET session (auth + read)', { url: `${BASE}/v1/agents/sessions/${sessions[0]}`, headers });
await run('POST message, sync (demo model)', {
  url: BASE,
  requests: [
    {
      method: 'POST',
      headers,
      setupRequest: (req) => ({
        ...req,
        path: `/v1/agents/sessions/${pick()}/messages`,
        body: JSON.stringify({ content: 'Hello, how are you?' }),
      }),
    },
  ],
});
await run('POST message, SSE stream to done', {
  url: BASE,
  requests: [
    {
      method: 'POST',
      headers,
      setupRequest: (req) => ({
        ...req,
        path: `/v1/agents/sessions/${pick()}/messages/stream`,
        body: JSON.stringify({ content: 'Stream me a reply' }),
      }),
    },
  ],
});

const rss = fs.readFileSync(`/proc/${server.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1];
server.kill('SIGTERM');
await new Promise((r) => server.on('exit', r));
fs.rmSync(dataDir, { recursive: true, force: true });

const driver = process.env['BENCH_DATABASE_URL'] ? 'PostgreSQL' : 'PGlite';
process.stdout.write(
  `\n${driver}, ${CONNECTIONS} connections, ${DURATION} s each, server RSS after run ${Math.round(Number(rss) / 1024)} MiB\n\n`,
);
process.stdout.write('| scenario | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|\n');
for (const r of rows) process.stdout.write(`| ${r.name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} |\n`);
