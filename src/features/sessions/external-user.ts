import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/client.js';
import { conversations } from '../../platform/db/schema/index.js';
import { insertSession, type ConversationRow } from './sessions.repo.js';

/** A conversation started implicitly by a first message (Gennia send: no create endpoint). */
export interface ExternalUserConversation {
  workspaceId: string;
  agent: { id: string; idleTtlSeconds: number };
  externalUserId: string;
  isTest: boolean;
  metadata: Record<string, unknown>;
  now: Date;
}

/**
 * The newest open conversation of `agent` for `externalUserId`, or a new one (`channel: api`).
 * `reuse: false` always creates. A transaction-scoped advisory lock on (agent, external user)
 * settles concurrent first messages of one user in SQL: they share one conversation.
 */
export async function openConversationForExternalUser(
  db: Db,
  c: ExternalUserConversation,
  opts: { reuse: boolean },
): Promise<{ conversation: ConversationRow; created: boolean }> {
  return db.transaction(async (tx) => {
    if (opts.reuse) {
      const lockKey = `papo:external-user:${c.agent.id}:${c.externalUserId}`;
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${lockKey}, 0))`);
      const [open] = await tx
        .select()
        .from(conversations)
        .where(
          and(
            eq(conversations.workspaceId, c.workspaceId),
            eq(conversations.agentId, c.agent.id),
            eq(conversations.externalUserId, c.externalUserId),
            eq(conversations.status, 'active'),
            gt(conversations.expiresAt, c.now),
            isNull(conversations.deletedAt),
          ),
        )
        .orderBy(desc(conversations.id))
        .limit(1);
      if (open) return { conversation: open, created: false };
    }
    const conversation = await insertSession(tx, {
      workspaceId: c.workspaceId,
      agent: c.agent,
      user: null,
      context: {},
      metadata: c.metadata,
      now: c.now,
      externalUserId: c.externalUserId,
      isTest: c.isTest,
    });
    return { conversation, created: true };
  });
}
