import { and, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/client.js';
import { usageRecords } from '../../platform/db/schema/index.js';
import { getWorkspaceOrThrow } from '../workspaces/workspaces.repo.js';

export interface UsageItem {
  key: string;
  messages: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cost_usd: number;
}

export interface UsageQuery {
  from?: string;
  to?: string;
  group_by?: 'agent' | 'day' | 'model';
  /** A key with an agent allow-list sees only those agents' usage (README §3.3). */
  agentIds?: string[] | null;
}

export interface UsageService {
  workspaceUsage(workspaceId: string, q: UsageQuery): Promise<{ items: UsageItem[] }>;
}

/** Sums usage_records (one per generation, persisted or not); cost is exact micro-USD summed, then shown in USD. */
export function createUsageService(deps: { db: Db }): UsageService {
  const { db } = deps;
  return {
    async workspaceUsage(workspaceId, q) {
      await getWorkspaceOrThrow(db, workspaceId);
      const t = usageRecords;
      const conds: SQL[] = [eq(t.workspaceId, workspaceId)];
      if (q.from) conds.push(gte(t.createdAt, new Date(q.from)));
      if (q.to) conds.push(lt(t.createdAt, new Date(q.to)));
      if (q.agentIds) conds.push(q.agentIds.length > 0 ? inArray(t.agentId, q.agentIds) : sql`false`);
      const key =
        q.group_by === 'agent'
          ? sql<string>`${t.agentId}::text`
          : q.group_by === 'model'
            ? sql<string>`${t.model}`
            : q.group_by === 'day'
              ? sql<string>`to_char(${t.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`
              : sql<string>`'total'`;
      const rows = await db
        .select({
          key,
          messages: sql<number>`count(*)::int`,
          input: sql<string>`coalesce(sum(${t.inputTokens}), 0)::text`,
          output: sql<string>`coalesce(sum(${t.outputTokens}), 0)::text`,
          cached: sql<string>`coalesce(sum(${t.cachedTokens}), 0)::text`,
          cost: sql<string>`coalesce(sum(${t.costMicroUsd}), 0)::text`,
        })
        .from(t)
        .where(and(...conds))
        .groupBy(sql`1`)
        .orderBy(sql`1`);
      // Without group_by the answer is always one `total` row, zero when nothing was used.
      if (rows.length === 0 && !q.group_by) {
        return {
          items: [
            { key: 'total', messages: 0, input_tokens: 0, output_tokens: 0, cached_tokens: 0, cost_usd: 0 },
          ],
        };
      }
      return {
        items: rows.map((r) => ({
          key: r.key,
          messages: r.messages,
          input_tokens: Number(r.input),
          output_tokens: Number(r.output),
          cached_tokens: Number(r.cached),
          cost_usd: Number(r.cost) / 1_000_000,
        })),
      };
    },
  };
}
