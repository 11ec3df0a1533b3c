import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/client.js';
import { knowledgeBases, knowledgeRecords } from '../../platform/db/schema/index.js';

export interface KnowledgeHit {
  id: string;
  knowledgeBaseId: string;
  knowledgeBaseName: string;
  fileId: string | null;
  title: string | null;
  text: string;
  score: number;
}

/** At most this many words of a query are searched (a model may pass a whole paragraph). */
const MAX_TERMS = 32;

/**
 * The words of a query, space-separated. papo_knowledge_query drops the stop words of either
 * language and ORs the rest (`a | b | c`), so a question in natural language finds passages
 * sharing some of its words; ranking favours those sharing the most. Only letters and digits
 * reach to_tsquery, so no input can break its syntax.
 */
export function queryTerms(query: string): string | undefined {
  const words = query.normalize('NFC').match(/[\p{L}\p{N}]+/gu) ?? [];
  const unique = [...new Set(words.map((w) => w.toLowerCase()))].slice(0, MAX_TERMS);
  return unique.length > 0 ? unique.join(' ') : undefined;
}

/**
 * Full-text retrieval over the records of live knowledge bases: Portuguese and English stems
 * of accent-folded text (papo_knowledge_tsv / papo_knowledge_query, the knowledge migration),
 * GIN-indexed, ranked by ts_rank (title words weigh more; long records are not favoured).
 */
export async function searchKnowledge(
  db: DbOrTx,
  q: { workspaceId: string; knowledgeBaseIds: string[]; query: string; limit: number },
): Promise<KnowledgeHit[]> {
  const terms = queryTerms(q.query);
  if (!terms || q.knowledgeBaseIds.length === 0) return [];
  const r = knowledgeRecords;
  const tsq = sql`papo_knowledge_query(${terms})`;
  const score = sql<number>`ts_rank(${r.search}, ${tsq}, 1)`;
  const rows = await db
    .select({
      id: r.id,
      knowledgeBaseId: r.knowledgeBaseId,
      knowledgeBaseName: knowledgeBases.name,
      fileId: r.fileId,
      title: r.title,
      text: r.text,
      score: score.as('score'),
    })
    .from(r)
    .innerJoin(knowledgeBases, eq(knowledgeBases.id, r.knowledgeBaseId))
    .where(
      and(
        eq(r.workspaceId, q.workspaceId),
        inArray(r.knowledgeBaseId, q.knowledgeBaseIds),
        isNull(knowledgeBases.deletedAt),
        sql`${r.search} @@ ${tsq}`,
      ),
    )
    .orderBy(sql`score desc`, sql`${r.id} desc`)
    .limit(q.limit);
  return rows.map((row) => ({ ...row, score: Number(row.score) }));
}
