import { and, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/client.js';
import { conversationCsat } from '../../platform/db/schema/index.js';

/**
 * Conversation CSAT (README §6.4; EvaGPT survey): one 1–5 score per conversation, replaced by
 * each submission (INSERT … ON CONFLICT), accepted whatever the conversation's status.
 */
export async function upsertCsat(
  db: DbOrTx,
  r: { workspaceId: string; conversationId: string; score: number; at: Date },
): Promise<number> {
  const [row] = await db
    .insert(conversationCsat)
    .values({
      conversationId: r.conversationId,
      workspaceId: r.workspaceId,
      score: r.score,
      createdAt: r.at,
      updatedAt: r.at,
    })
    .onConflictDoUpdate({
      target: conversationCsat.conversationId,
      set: { score: r.score, updatedAt: r.at },
    })
    .returning({ score: conversationCsat.score });
  return row!.score;
}

/** CSAT scores by conversation id (conversations without one are absent). */
export async function csatScores(
  db: DbOrTx,
  workspaceId: string,
  conversationIds: string[],
): Promise<Map<string, number>> {
  if (conversationIds.length === 0) return new Map();
  const rows = await db
    .select({ id: conversationCsat.conversationId, score: conversationCsat.score })
    .from(conversationCsat)
    .where(
      and(
        eq(conversationCsat.workspaceId, workspaceId),
        inArray(conversationCsat.conversationId, conversationIds),
      ),
    );
  return new Map(rows.map((r) => [r.id, r.score]));
}
