import { and, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/client.js';
import { knowledgeBases, knowledgeFiles, knowledgeRecords } from '../../platform/db/schema/index.js';
import { NotFoundError } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import type { KnowledgeBase, KnowledgeBaseRow, KnowledgeFileRow } from './knowledge.types.js';

/**
 * The ids among `ids` that are not live knowledge bases of the workspace (malformed, missing,
 * deleted or another workspace's), in the order given, without duplicates. Used to validate
 * agent links (RD Station `kbs`, the admin link endpoint).
 */
export async function missingKnowledgeBaseIds(
  db: DbOrTx,
  workspaceId: string,
  ids: string[],
): Promise<string[]> {
  const unique = [...new Set(ids)];
  const candidates = unique.filter(isUuid);
  const live = new Set<string>();
  if (candidates.length > 0) {
    const rows = await db
      .select({ id: knowledgeBases.id })
      .from(knowledgeBases)
      .where(
        and(
          eq(knowledgeBases.workspaceId, workspaceId),
          inArray(knowledgeBases.id, candidates),
          isNull(knowledgeBases.deletedAt),
        ),
      );
    for (const r of rows) live.add(r.id);
  }
  return unique.filter((id) => !live.has(id));
}

/** The knowledge base `id` of the workspace, not deleted (a WHERE condition). */
export function liveKnowledgeBase(workspaceId: string, id: string): SQL {
  return and(
    eq(knowledgeBases.id, id),
    eq(knowledgeBases.workspaceId, workspaceId),
    isNull(knowledgeBases.deletedAt),
  )!;
}

/** Tenant-scoped fetch-or-throw: deleted, missing, malformed and foreign ids are all 404. */
export async function getKnowledgeBaseOrThrow(
  db: DbOrTx,
  workspaceId: string,
  id: string,
): Promise<KnowledgeBaseRow> {
  if (!isUuid(id)) throw new NotFoundError('knowledge base', id);
  const [row] = await db.select().from(knowledgeBases).where(liveKnowledgeBase(workspaceId, id));
  if (!row) throw new NotFoundError('knowledge base', id);
  return row;
}

/** A knowledge file of the workspace whose knowledge base is live; 404 otherwise. */
export async function getKnowledgeFileOrThrow(
  db: DbOrTx,
  workspaceId: string,
  fileId: string,
  opts: { lock?: boolean } = {},
): Promise<KnowledgeFileRow> {
  if (!isUuid(fileId)) throw new NotFoundError('file', fileId);
  const query = db
    .select({ file: knowledgeFiles })
    .from(knowledgeFiles)
    .innerJoin(knowledgeBases, eq(knowledgeBases.id, knowledgeFiles.knowledgeBaseId))
    .where(
      and(
        eq(knowledgeFiles.id, fileId),
        eq(knowledgeFiles.workspaceId, workspaceId),
        isNull(knowledgeBases.deletedAt),
      ),
    );
  const [row] = await (opts.lock ? query.for('update', { of: knowledgeFiles }) : query);
  if (!row) throw new NotFoundError('file', fileId);
  return row.file;
}

/**
 * Live record and file counts of each knowledge base, as select fields. The outer column is
 * spelled out: drizzle leaves it unqualified in single-table selects, where the subquery's own
 * `id` would capture it.
 */
export const baseCounts = {
  records: sql<number>`(select count(*)::int from ${knowledgeRecords} kr where kr.knowledge_base_id = "knowledge_bases"."id")`,
  files: sql<number>`(select count(*)::int from ${knowledgeFiles} kf where kf.knowledge_base_id = "knowledge_bases"."id")`,
};

export function toKnowledgeBase(
  row: KnowledgeBaseRow,
  counts: { records: number; files: number },
): KnowledgeBase {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    description: row.description,
    metadata: row.metadata,
    records: Number(counts.records),
    files: Number(counts.files),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Live record counts of files, by file id. */
export async function fileRecordCounts(db: DbOrTx, fileIds: string[]): Promise<Map<string, number>> {
  if (fileIds.length === 0) return new Map();
  const rows = await db
    .select({ fileId: knowledgeRecords.fileId, n: sql<number>`count(*)::int` })
    .from(knowledgeRecords)
    .where(inArray(knowledgeRecords.fileId, fileIds))
    .groupBy(knowledgeRecords.fileId);
  return new Map(rows.map((r) => [r.fileId!, Number(r.n)]));
}
