import { and, eq, gt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/client.js';
import { agents, conversations } from '../../platform/db/schema/index.js';
import type { ConversationRow } from '../sessions/sessions.repo.js';

/**
 * Records activity that is not a stored message (a file upload, the start of an inactivity
 * turn): `expires_at` = now + the agent's idle TTL (README §6.1). Conditional on the
 * conversation still being active, settled in SQL; undefined when it closed or expired.
 */
export async function touchActiveConversation(
  db: DbOrTx,
  conversationId: string,
  now: Date,
): Promise<ConversationRow | undefined> {
  const idleTtl = sql`(select ${agents.idleTtlSeconds} from ${agents} where ${agents.id} = ${conversations.agentId})`;
  const [row] = await db
    .update(conversations)
    .set({
      updatedAt: now,
      expiresAt: sql`${now.toISOString()}::timestamptz + ${idleTtl} * interval '1 second'`,
    })
    .where(
      and(
        eq(conversations.id, conversationId),
        eq(conversations.status, 'active'),
        gt(conversations.expiresAt, now),
      ),
    )
    .returning();
  return row;
}
