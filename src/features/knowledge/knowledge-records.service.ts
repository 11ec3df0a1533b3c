import { and, desc, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { knowledgeRecordColumns, knowledgeRecords } from '../../platform/db/schema/index.js';
import { NotFoundError } from '../../platform/errors.js';
import { isUuid, newId } from '../../platform/ids.js';
import { assertJsonSize } from '../../platform/json-size.js';
import { escapeLike } from '../agents/agents.repo.js';
import { workspaceOf, type RequestContext } from '../context.js';
import { requireScope } from '../keys/principal.js';
import { keysetResult, olderThan, type KeysetPage, type KeysetResult } from './keyset.js';
import { getKnowledgeBaseOrThrow } from './knowledge.repo.js';
import { toKnowledgeRecord, type KnowledgeRecord } from './knowledge.types.js';

export interface RecordInput {
  text: string;
  title?: string | null;
  meta?: Record<string, unknown>;
}

export interface RecordFilters {
  /** Case-insensitive substring of the title or the text. */
  search?: string;
  /** Records created from this file. */
  fileId?: string;
}

export interface KnowledgeRecordsService {
  /** Indexed in the same statement (generated tsvector): searchable once this returns. */
  createRecord(ctx: RequestContext, baseId: string, input: RecordInput): Promise<KnowledgeRecord>;
  listRecords(
    ctx: RequestContext,
    baseId: string,
    filters: RecordFilters,
    page: KeysetPage,
  ): Promise<KeysetResult<KnowledgeRecord>>;
  deleteRecord(ctx: RequestContext, baseId: string, recordId: string): Promise<void>;
}

export function createKnowledgeRecordsService(deps: { db: Db; clock: Clock }): KnowledgeRecordsService {
  const { db, clock } = deps;
  const r = knowledgeRecords;
  return {
    async createRecord(ctx, baseId, input) {
      requireScope(ctx.principal, 'admin');
      assertJsonSize('meta', input.meta);
      const base = await getKnowledgeBaseOrThrow(db, workspaceOf(ctx), baseId);
      const [row] = await db
        .insert(r)
        .values({
          id: newId(),
          workspaceId: base.workspaceId,
          knowledgeBaseId: base.id,
          fileId: null,
          chunkIndex: null,
          title: input.title ?? null,
          text: input.text,
          meta: input.meta ?? {},
          createdAt: clock.now(),
        })
        .returning(knowledgeRecordColumns);
      return toKnowledgeRecord(row!);
    },

    async listRecords(ctx, baseId, filters, page) {
      requireScope(ctx.principal, 'agent:run');
      const base = await getKnowledgeBaseOrThrow(db, workspaceOf(ctx), baseId);
      const conds: SQL[] = [eq(r.knowledgeBaseId, base.id)];
      if (filters.search) {
        const like = `%${escapeLike(filters.search)}%`;
        conds.push(or(ilike(r.title, like), ilike(r.text, like))!);
      }
      if (filters.fileId !== undefined) {
        // a well-formed id of no file of this dataset simply matches nothing
        conds.push(isUuid(filters.fileId) ? eq(r.fileId, filters.fileId) : sql`false`);
      }
      const total = page.withTotal
        ? await db
            .select({ n: sql<number>`count(*)::int` })
            .from(r)
            .where(and(...conds))
            .then((rows) => Number(rows[0]?.n ?? 0))
        : null;
      const after = olderThan(r.createdAt, r.id, page.after);
      const rows = await db
        .select(knowledgeRecordColumns)
        .from(r)
        .where(and(...conds, ...(after ? [after] : [])))
        .orderBy(desc(r.createdAt), desc(r.id))
        .limit(page.limit + 1);
      return keysetResult(rows, page, total, toKnowledgeRecord);
    },

    async deleteRecord(ctx, baseId, recordId) {
      requireScope(ctx.principal, 'admin');
      const base = await getKnowledgeBaseOrThrow(db, workspaceOf(ctx), baseId);
      if (!isUuid(recordId)) throw new NotFoundError('record', recordId);
      const deleted = await db
        .delete(r)
        .where(and(eq(r.id, recordId), eq(r.knowledgeBaseId, base.id)))
        .returning({ id: r.id });
      if (deleted.length === 0) throw new NotFoundError('record', recordId);
    },
  };
}
