import { and, asc, desc, eq, gt, inArray, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/client.js';
import { preparedQuery } from '../../platform/db/prepared.js';
import {
  conversations,
  messageColumns,
  messages,
  usageRecords,
  type ContentBlock,
} from '../../platform/db/schema/index.js';
import { rowPlaceholdersFrom, rowValues } from '../../platform/db/insert-select.js';
import { NotFoundError } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import type { MessageRow } from './messages.mapper.js';

export type NewMessage = typeof messages.$inferInsert;
export type NewUsageRecord = typeof usageRecords.$inferInsert;

/**
 * Inserts a message and records the activity on its conversation in one statement (a CTE:
 * the conversation UPDATE feeds the INSERT, so both commit or neither, in one round trip).
 * `requireActive` makes the write conditional: a conversation that closed or expired
 * meanwhile gets nothing (returns undefined), settled in SQL rather than in JavaScript.
 * `usage` is a usage row that commits with the message (README §8: both or neither).
 */
export async function insertMessage(
  db: DbOrTx,
  msg: NewMessage & { createdAt: Date },
  opts: {
    requireActive: boolean;
    idleTtlSeconds: number;
    visible: boolean;
    title?: string;
    usage?: NewUsageRecord;
  },
): Promise<MessageRow | undefined> {
  const now = msg.createdAt;
  const statement = opts.usage ? insertMessageWithUsage(db) : insertMessageOnly(db);
  const [row] = await statement.execute({
    conversationId: msg.conversationId,
    requireActive: opts.requireActive,
    now: now.toISOString(),
    newExpiry: new Date(now.getTime() + opts.idleTtlSeconds * 1000).toISOString(),
    countDelta: opts.visible ? 1 : 0,
    title: opts.title ?? null,
    ...rowValues(messages, 'm_', msg),
    ...(opts.usage && rowValues(usageRecords, 'u_', opts.usage)),
  });
  return row;
}

/** The conversation's activity: the UPDATE every message insert is conditional on. */
function touchConversation(db: DbOrTx) {
  const p = sql.placeholder;
  return db.$with('touched').as(
    db
      .update(conversations)
      .set({
        messagesCount: sql`${conversations.messagesCount} + ${p('countDelta')}::int`,
        lastMessageAt: sql`${p('now')}::timestamptz`,
        updatedAt: sql`${p('now')}::timestamptz`,
        // expiry is frozen once a conversation is closed or expired
        expiresAt: sql`case when ${conversations.status} = 'active' then ${p('newExpiry')}::timestamptz else ${conversations.expiresAt} end`,
        title: sql`case when ${conversations.title} = '' and ${p('title')}::text is not null then ${p('title')}::text else ${conversations.title} end`,
      })
      .where(
        and(
          eq(conversations.id, sql`${p('conversationId')}::uuid`),
          or(
            sql`not ${p('requireActive')}::boolean`,
            and(
              eq(conversations.status, 'active'),
              gt(conversations.expiresAt, sql`${p('now')}::timestamptz`),
            ),
          ),
        ),
      )
      .returning({ id: conversations.id }),
  );
}

const insertMessageOnly = preparedQuery((db) => {
  const touched = touchConversation(db);
  return db
    .with(touched)
    .insert(messages)
    .select(rowPlaceholdersFrom(messages, 'm_', touched))
    .returning(messageColumns)
    .prepare('papo_insert_message');
});

/** The same, with the generation's usage row: both commit or neither. */
const insertMessageWithUsage = preparedQuery((db) => {
  const touched = touchConversation(db);
  const usage = db
    .$with('usage_row')
    .as(db.insert(usageRecords).select(rowPlaceholdersFrom(usageRecords, 'u_', touched)));
  return db
    .with(touched, usage)
    .insert(messages)
    .select(rowPlaceholdersFrom(messages, 'm_', touched))
    .returning(messageColumns)
    .prepare('papo_insert_message_with_usage');
});

/** The last `limit` user/assistant messages that the model may see (failed replies excluded). */
export async function loadHistory(db: DbOrTx, conversationId: string, limit: number): Promise<MessageRow[]> {
  const rows = await historyQuery(db).execute({ conversationId, limit });
  return rows.reverse();
}

const historyQuery = preparedQuery((db) =>
  db
    .select(messageColumns)
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, sql.placeholder('conversationId')),
        inArray(messages.role, ['user', 'assistant']),
        ne(messages.status, 'failed'),
      ),
    )
    .orderBy(desc(messages.id))
    .limit(sql.placeholder('limit'))
    .prepare('papo_history'),
);

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
    .select(messageColumns)
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
    .select(messageColumns)
    .from(messages)
    .where(and(eq(messages.id, messageId), eq(messages.conversationId, conversationId)));
  if (!row) throw new NotFoundError('message', messageId);
  return row;
}

export function firstText(blocks: ContentBlock[]): string | undefined {
  const t = blocks.find((b) => b.type === 'text');
  return t && t.type === 'text' ? t.text.slice(0, 80) : undefined;
}
