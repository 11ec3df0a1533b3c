/**
 * Scenario 5: the management API's conversation list and full-text search over a workspace of
 * 1,000,000 seeded messages (bench/seed.ts). Sequential requests (concurrency 1), each kind
 * BENCH_SEARCH_REQUESTS times after a warm-up; latency from request start to the full body.
 */
import { request } from 'undici';

export interface SearchKind {
  name: string;
  query: () => string;
}

/** Queries of every selectivity over the seed's vocabulary (see bench/seed.ts). */
export function searchKinds(conversations: number): SearchKind[] {
  const rand = (n: number) => Math.floor(Math.random() * n);
  return [
    { name: 'list, first page', query: () => 'limit=20' },
    { name: 'list, page at offset 2000', query: () => 'limit=20&offset=2000' },
    { name: 'list, status=closed', query: () => 'limit=20&status=closed' },
    // one message in 1,000,000: a customer's order code
    {
      name: 'search, rare (1 message)',
      query: () => `limit=20&search=PED-${rand(conversations)}-${2 * rand(5)}`,
    },
    { name: 'search, medium (1 % of messages)', query: () => 'limit=20&search=reembolso' },
    { name: 'search, common (50 % of messages)', query: () => 'limit=20&search=preciso%20de%20ajuda' },
    { name: 'search, common, page 3', query: () => 'limit=20&offset=40&search=preciso%20de%20ajuda' },
    { name: 'search, no match', query: () => `limit=20&search=xilofone${rand(1e6)}` },
  ];
}

export interface SearchResult {
  kind: string;
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const round = (x: number) => Math.round(x * 10) / 10;

export async function measureSearch(o: {
  base: string;
  workspaceId: string;
  operatorToken: string;
  kinds: SearchKind[];
  requests: number;
}): Promise<SearchResult[]> {
  const out: SearchResult[] = [];
  for (const kind of o.kinds) {
    const samples: number[] = [];
    for (let i = -3; i < o.requests; i++) {
      const started = performance.now();
      const res = await request(
        `${o.base}/v1/admin/workspaces/${o.workspaceId}/conversations?${kind.query()}`,
        {
          headers: { authorization: `Bearer ${o.operatorToken}` },
        },
      );
      const body = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${kind.name}: HTTP ${res.statusCode} ${body}`);
      if (i >= 0) samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    out.push({
      kind: kind.name,
      p50_ms: round(pct(samples, 0.5)),
      p95_ms: round(pct(samples, 0.95)),
      max_ms: round(samples.at(-1)!),
    });
  }
  return out;
}
