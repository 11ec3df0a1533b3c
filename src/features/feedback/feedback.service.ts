import { eq } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/client.js';
import { conversationFeedback } from '../../platform/db/schema/index.js';
import { assertJsonSize } from '../../platform/json-size.js';
import type { RequestContext } from '../context.js';
import { requireScope } from '../keys/principal.js';
import { getConversationForPrincipal } from '../sessions/sessions.repo.js';

type FeedbackRow = typeof conversationFeedback.$inferSelect;

/** quintus.md §5.4 Feedback: `id` is the conversation's. */
export interface Feedback {
  id: string;
  score: number;
  comment: string | null;
  submitted_at: string;
  metadata: Record<string, unknown>;
}

export interface FeedbackInput {
  score: number;
  comment?: string | null;
  metadata?: Record<string, unknown>;
}

export function toFeedback(row: FeedbackRow): Feedback {
  return {
    id: row.conversationId,
    score: row.score,
    comment: row.comment,
    submitted_at: row.submittedAt.toISOString(),
    metadata: row.metadata,
  };
}

/** The conversation's feedback, if any was submitted (admin conversation detail). */
export async function findFeedback(db: DbOrTx, conversationId: string): Promise<Feedback | null> {
  const [row] = await db
    .select()
    .from(conversationFeedback)
    .where(eq(conversationFeedback.conversationId, conversationId));
  return row ? toFeedback(row) : null;
}

export interface FeedbackService {
  /** P12: one NPS feedback per conversation; each submission replaces the last entirely. */
  submitFeedback(ctx: RequestContext, conversationId: string, input: FeedbackInput): Promise<Feedback>;
}

export function createFeedbackService(deps: { db: Db; clock: Clock }): FeedbackService {
  const { db, clock } = deps;
  return {
    async submitFeedback(ctx, conversationId, input) {
      requireScope(ctx.principal, 'agent:run');
      assertJsonSize('metadata', input.metadata);
      // accepted in every conversation status (README §6.1)
      const conversation = await getConversationForPrincipal(
        db,
        ctx.principal,
        conversationId,
        'conversation',
      );
      const now = clock.now();
      const values = {
        score: input.score,
        comment: input.comment ?? null,
        metadata: input.metadata ?? {},
        submittedAt: now,
      };
      const [row] = await db
        .insert(conversationFeedback)
        .values({
          conversationId: conversation.id,
          workspaceId: conversation.workspaceId,
          createdAt: now,
          ...values,
        })
        .onConflictDoUpdate({ target: conversationFeedback.conversationId, set: values })
        .returning();
      return toFeedback(row!);
    },
  };
}
