import { and, asc, desc, eq, gt, gte, inArray, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { agents, conversations, messageColumns, messages } from '../../platform/db/schema/index.js';
import { renderReply } from '../../platform/text/render.js';
import { NotFoundError } from '../../platform/errors.js';
import { agentOutputFormat } from '../../features/agents/agents.repo.js';
import { assertAgentAllowed, type KeyPrincipal } from '../../features/keys/principal.js';
import { textOf, toMessage, type Message, type MessageRow } from '../../features/messages/messages.mapper.js';
import {
  effectiveStatus,
  getConversationForPrincipal,
  type ConversationRow,
} from '../../features/sessions/sessions.repo.js';
import {
  offsetOf,
  paged,
  type ConversationListQuery,
  type MessageListQuery,
  type Paged,
  type PublicConversation,
  type PublicConversationListItem,
  type PublicMessage,
} from './schemas.js';

/** Gennia's reads of Papo conversations and messages (gennia.md §3.3–3.7). */

const SNIPPET = 120;

export function toPublicConversation(row: ConversationRow, now: Date): PublicConversation {
  return {
    publicId: row.id,
    agentPublicId: row.agentId,
    channel: row.channel,
    externalUserId: row.externalUserId,
    isEnded: effectiveStatus(row, now) !== 'active',
    isPaused: false,
    isTest: row.isTest,
    lastMessageAt: row.lastMessageAt?.toISOString() ?? null,
    messageCount: row.messagesCount,
    metadata: row.metadata,
    startedAt: row.createdAt.toISOString(),
  };
}

/** A native Message (rendered in the agent's output format) as Gennia's PublicMessageDTO. */
export function toPublicMessage(m: Message, conversationId: string): PublicMessage {
  const assistant = m.role === 'assistant';
  return {
    publicId: m.id,
    conversationPublicId: conversationId,
    role: assistant ? 'agent' : 'user',
    content: textOf(m.content),
    sentAt: m.created_at,
    model: assistant ? m.model : null,
    costOps: 0,
    costUsd: assistant ? (m.cost_usd ?? 0) : 0,
    tokenUsage:
      assistant && m.usage
        ? {
            inputTokens: m.usage.input_tokens,
            outputTokens: m.usage.output_tokens,
            totalTokens: m.usage.total_tokens,
          }
        : null,
  };
}

export interface GenniaConversations {
  list(p: KeyPrincipal, q: ConversationListQuery): Promise<Paged<PublicConversationListItem>>;
  get(p: KeyPrincipal, id: string): Promise<PublicConversation>;
  remove(p: KeyPrincipal, id: string): Promise<void>;
  messages(p: KeyPrincipal, id: string, q: MessageListQuery): Promise<Paged<PublicMessage>>;
}

export function createGenniaConversations(deps: { db: Db; clock: Clock }): GenniaConversations {
  const { db, clock } = deps;
  const c = conversations;
  const find = (p: KeyPrincipal, id: string) => getConversationForPrincipal(db, p, id, 'conversation');

  /**
   * The text of each conversation's last visible message (one query for a page), replies
   * rendered in their agent's output format like every complete text (README §9).
   */
  async function snippets(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await db
      .selectDistinctOn([messages.conversationId], {
        conversationId: messages.conversationId,
        role: messages.role,
        content: messages.content,
        format: agents.outputFormat,
      })
      .from(messages)
      .innerJoin(c, eq(c.id, messages.conversationId))
      .innerJoin(agents, eq(agents.id, c.agentId))
      .where(and(inArray(messages.conversationId, ids), inArray(messages.role, ['user', 'assistant'])))
      .orderBy(messages.conversationId, desc(messages.id));
    return new Map(
      rows.map((r) => {
        const text = textOf(r.content);
        const shown = r.role === 'assistant' ? renderReply(text, r.format) : text;
        return [r.conversationId, shown.slice(0, SNIPPET)];
      }),
    );
  }

  return {
    async list(p, q) {
      const now = clock.now();
      const conds: SQL[] = [eq(c.workspaceId, p.workspaceId), isNull(c.deletedAt)];
      if (p.agentIds) {
        if (p.agentIds.length === 0) return paged([], 0, q);
        conds.push(inArray(c.agentId, p.agentIds));
      }
      if (q.agentPublicId !== undefined) {
        const agentId = q.agentPublicId.toLowerCase();
        assertAgentAllowed(p, agentId);
        conds.push(eq(c.agentId, agentId));
      }
      if (q.externalUserId !== undefined) conds.push(eq(c.externalUserId, q.externalUserId));
      if (q.channel !== undefined) conds.push(eq(c.channel, q.channel));
      if (q.isTest !== undefined) conds.push(eq(c.isTest, q.isTest));
      if (q.isEnded === false) conds.push(eq(c.status, 'active'), gt(c.expiresAt, now));
      if (q.isEnded === true) {
        conds.push(or(inArray(c.status, ['closed', 'expired']), lte(c.expiresAt, now))!);
      }
      if (q.since !== undefined) conds.push(gte(c.lastMessageAt, new Date(q.since)));
      if (q.until !== undefined) conds.push(lte(c.lastMessageAt, new Date(q.until)));
      const where = and(...conds);
      const [rows, [count]] = await Promise.all([
        db.select().from(c).where(where).orderBy(desc(c.id)).limit(q.limit).offset(offsetOf(q)),
        db
          .select({ n: sql<number>`count(*)::int` })
          .from(c)
          .where(where),
      ]);
      const texts = await snippets(rows.map((r) => r.id));
      const items = rows.map((r): PublicConversationListItem => {
        const { metadata: _metadata, ...rest } = toPublicConversation(r, now);
        return { ...rest, lastMessageSnippet: texts.get(r.id) ?? '' };
      });
      return paged(items, count?.n ?? 0, q);
    },

    async get(p, id) {
      return toPublicConversation(await find(p, id), clock.now());
    },

    async remove(p, id) {
      const row = await find(p, id);
      const deleted = await db
        .update(c)
        .set({ deletedAt: clock.now() })
        .where(and(eq(c.id, row.id), isNull(c.deletedAt)))
        .returning({ id: c.id });
      if (deleted.length === 0) throw new NotFoundError('conversation', id);
    },

    async messages(p, id, q) {
      const row = await find(p, id);
      const roles: Array<MessageRow['role']> =
        q.role === 'user' ? ['user'] : q.role === 'agent' ? ['assistant'] : ['user', 'assistant'];
      const where = and(eq(messages.conversationId, row.id), inArray(messages.role, roles));
      const [rows, [count], format] = await Promise.all([
        db
          .select(messageColumns)
          .from(messages)
          .where(where)
          .orderBy(q.order === 'desc' ? desc(messages.id) : asc(messages.id))
          .limit(q.limit)
          .offset(offsetOf(q)),
        db
          .select({ n: sql<number>`count(*)::int` })
          .from(messages)
          .where(where),
        agentOutputFormat(db, row.agentId),
      ]);
      const items = rows.map((m) => toPublicMessage(toMessage(m, format), row.id));
      return paged(items, count?.n ?? 0, q);
    },
  };
}
