import { and, asc, desc, eq, gt, inArray, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/client.js';
import { conversations, messages, type ContentBlock } from '../../platform/db/schema/index.js';
import { NotFoundError } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import type { MessageRow } from './messages.mapper.js';

export type NewMessage = typeof messages.$inferInsert;

/**
 * Inserts a message and records the activity on its conversation in one statement pair.
 * `requireActive` makes the write conditional: a conversation that closed or expired
 * meanwhile gets nothing (returns undefined), settled in SQL rather than in JavaScript.
 */
export async function insertMessage(
  db: DbOrTx,
  msg: NewMessage & { createdAt: Date },
  opts: {
    requireActive: boolean;
    idleTtlSeconds: number;
    visible: boolean;
    title?: string;
    /** More writes that must commit with the message (one commit, one WAL flush). */
    alongside?: (tx: DbOrTx, row: MessageRow) => Promise<void>;
  },
): Promise<MessageRow | undefined> {
  const now = msg.createdAt;
  return db.transaction(async (tx) => {
    const conds: SQL[] = [eq(conversations.id, msg.conversationId)];
    if (opts.requireActive) conds.push(eq(conversations.status, 'active'), gt(conversations.expiresAt, now));
    const newExpiry = new Date(now.getTime() + opts.idleTtlSeconds * 1000);
    const touched = await tx
      .update(conversations)
      .set({
        messagesCount: opts.visible ? sql`${conversations.messagesCount} + 1` : conversations.messagesCount,
        lastMessageAt: now,
        updatedAt: now,
        // expiry is frozen once a conversation is closed or expired
        expiresAt: sql`case when ${conversations.status} = 'active' then ${newExpiry.toISOString()}::timestamptz else ${conversations.expiresAt} end`,
        ...(opts.title !== undefined && {
          title: sql`case when ${conversations.title} = '' then ${opts.title} else ${conversations.title} end`,
        }),
      })
      .where(and(...conds))
      .returning({ id: conversations.id });
    if (touched.length === 0) return undefined;
    const [row] = await tx.insert(messages).values(msg).returning();
    if (row && opts.alongside) await opts.alongside(tx, row);
    return row;
  });
}

/** The last `limit` user/assistant messages that the model may see (failed replies excluded). */
export async function loadHistory(db: DbOrTx, conversationId: string, limit: number): Promise<MessageRow[]> {
  const rows = await db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, conversationId),
        inArray(messages.role, ['user', 'assistant']),
        ne(messages.status, 'failed'),
      ),
    )
    .orderBy(desc(messages.id))
    .limit(limit);
  return rows.reverse();
}

export interface MessageQuery {
  limit: number;
  offset: number;
  after?: string;
  before?: string;
  roles: Array<MessageRow['role']>;
}

export async function listMessageRows(
  db: DbOrTx,
  conversationId: string,
  q: MessageQuery,
): Promise<MessageRow[]> {
  const conds: SQL[] = [eq(messages.conversationId, conversationId), inArray(messages.role, q.roles)];
  if (q.after !== undefined) conds.push(gt(messages.id, q.after));
  if (q.before !== undefined) conds.push(lt(messages.id, q.before));
  return db
    .select()
    .from(messages)
    .where(and(...conds))
    .orderBy(asc(messages.id))
    .limit(q.limit + 1)
    .offset(q.offset);
}

export async function getMessageOrThrow(
  db: DbOrTx,
  conversationId: string,
  messageId: string,
): Promise<MessageRow> {
  if (!isUuid(messageId)) throw new NotFoundError('message', messageId);
  const [row] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.id, messageId), eq(messages.conversationId, conversationId)));
  if (!row) throw new NotFoundError('message', messageId);
  return row;
}

export function firstText(blocks: ContentBlock[]): string | undefined {
  const t = blocks.find((b) => b.type === 'text');
  return t && t.type === 'text' ? t.text.slice(0, 80) : undefined;
}
