import {
  and,
  asc,
  desc,
  eq,
  exists,
  gte,
  inArray,
  isNotNull,
  isNull,
  notExists,
  sql,
  type SQL,
} from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/client.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import {
  agents,
  conversations,
  messageColumns,
  messages,
  workspaces,
} from '../../platform/db/schema/index.js';
import { NotFoundError } from '../../platform/errors.js';
import { getAgentOrThrow, type AgentRow } from '../agents/agents.repo.js';
import { workspaceOf, type RequestContext } from '../context.js';
import { assertAgentAllowed, requireScope } from '../keys/principal.js';
import { leadSettingsOf } from '../leads/lead-capture.js';
import { leadsById, type LeadField, type LeadRow } from '../leads/leads.repo.js';
import type { MessageRow } from '../messages/messages.mapper.js';
import { textOf } from '../messages/messages.mapper.js';
import {
  effectiveStatus,
  getConversationForPrincipal,
  insertSession,
  type ConversationRow,
} from './sessions.repo.js';

/**
 * Conversation queries of the RD Station surface (rdstation.md R1, R3–R5). RD conversations are
 * ordinary Agent API sessions (`channel: api`) with RD's attributes (README §6.2).
 */

export interface NewRdConversation {
  workspaceId: string;
  agent: { id: string; idleTtlSeconds: number };
  /** RD `preview`: the conversation runs the agent's draft for its whole life. */
  isTest: boolean;
  utm: Record<string, unknown> | null;
  leadId: string | null;
  externalUserId: string | null;
  now: Date;
}

export async function insertRdConversation(db: DbOrTx, c: NewRdConversation): Promise<ConversationRow> {
  return insertSession(db, {
    workspaceId: c.workspaceId,
    agent: c.agent,
    user: null,
    context: {},
    metadata: {},
    now: c.now,
    externalUserId: c.externalUserId,
    isTest: c.isTest,
    utm: c.utm,
    leadId: c.leadId,
  });
}

/**
 * Removes a conversation this request created when the request then failed before storing
 * anything (bad input changes nothing). Conditional on it still being empty.
 */
export async function discardEmptyConversation(db: DbOrTx, id: string): Promise<void> {
  await db.delete(conversations).where(and(eq(conversations.id, id), eq(conversations.messagesCount, 0)));
}

/** R1 on an existing conversation: `leadId` replaces the link; the external id is set only once. */
export async function updateRdLinks(
  db: DbOrTx,
  id: string,
  r: { leadId?: string; externalUserId?: string },
): Promise<void> {
  if (r.leadId !== undefined) {
    await db.update(conversations).set({ leadId: r.leadId }).where(eq(conversations.id, id));
  }
  if (r.externalUserId !== undefined) {
    await db
      .update(conversations)
      .set({ externalUserId: r.externalUserId })
      .where(and(eq(conversations.id, id), isNull(conversations.externalUserId)));
  }
}

/** The conversation's internal system messages (sent by RD callers), oldest first, as text. */
export async function callerSystemTexts(db: DbOrTx, conversationId: string): Promise<string[]> {
  const rows = await db
    .select({ content: messages.content })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), eq(messages.role, 'system')))
    .orderBy(asc(messages.id));
  return rows.map((r) => textOf(r.content)).filter((t) => t.trim() !== '');
}

export interface RdConversationFilters {
  agentId: string;
  createdAtStart?: string;
  /** true: only conversations with a message that carries feedback; false: only those without. */
  feedback?: boolean;
}

/** R3: one agent's conversations, newest first, with the total count. */
export async function listRdConversationRows(
  db: DbOrTx,
  workspaceId: string,
  f: RdConversationFilters,
  page: { limit: number; offset: number },
): Promise<{ rows: ConversationRow[]; total: number }> {
  const conds: SQL[] = [
    eq(conversations.workspaceId, workspaceId),
    eq(conversations.agentId, f.agentId),
    isNull(conversations.deletedAt),
  ];
  if (f.createdAtStart !== undefined) conds.push(gte(conversations.createdAt, new Date(f.createdAtStart)));
  if (f.feedback !== undefined) {
    const withFeedback = db
      .select({ one: sql`1` })
      .from(messages)
      .where(and(eq(messages.conversationId, conversations.id), isNotNull(messages.feedback)));
    conds.push(f.feedback ? exists(withFeedback) : notExists(withFeedback));
  }
  const where = and(...conds);
  const [rows, [count]] = await Promise.all([
    db
      .select()
      .from(conversations)
      .where(where)
      .orderBy(desc(conversations.id))
      .limit(page.limit)
      .offset(page.offset),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(conversations)
      .where(where),
  ]);
  return { rows, total: count?.n ?? 0 };
}

/** R4: the visible messages (user/assistant), the `limit` most recent, oldest first. */
export async function recentVisibleMessages(
  db: DbOrTx,
  conversationId: string,
  limit: number,
): Promise<MessageRow[]> {
  const rows = await db
    .select(messageColumns)
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), inArray(messages.role, ['user', 'assistant'])))
    .orderBy(desc(messages.id))
    .limit(limit);
  return rows.reverse();
}

/** R5: soft delete; false when it was already gone. */
export async function softDeleteConversation(db: DbOrTx, id: string, at: Date): Promise<boolean> {
  const rows = await db
    .update(conversations)
    .set({ deletedAt: at, updatedAt: at })
    .where(and(eq(conversations.id, id), isNull(conversations.deletedAt)))
    .returning({ id: conversations.id });
  return rows.length > 0;
}

/** R2: an assistant-or-not message of a live conversation of `agentId` in `workspaceId`. */
export async function findMessageOfAgent(
  db: DbOrTx,
  r: { workspaceId: string; agentId: string; messageId: string },
): Promise<MessageRow | undefined> {
  const [row] = await db
    .select(messageColumns)
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .innerJoin(workspaces, eq(workspaces.id, conversations.workspaceId))
    .where(
      and(
        isNull(workspaces.deletedAt),
        eq(messages.id, r.messageId),
        eq(messages.workspaceId, r.workspaceId),
        eq(conversations.workspaceId, r.workspaceId),
        eq(conversations.agentId, r.agentId),
        isNull(conversations.deletedAt),
        inArray(messages.role, ['user', 'assistant']),
      ),
    );
  return row;
}

export interface RdConversationView {
  row: ConversationRow;
  status: 'active' | 'closed' | 'expired';
  lead: LeadRow | null;
}

export interface RdConversationsService {
  /** R3: 404 when the agent is missing, 403 outside the key's allow-list. */
  list(
    ctx: RequestContext,
    f: RdConversationFilters,
    page: { limit: number; offset: number },
  ): Promise<{ items: RdConversationView[]; total: number; leadFields: LeadField[] }>;
  /** R4: the conversation, its agent and its most recent visible messages. */
  get(
    ctx: RequestContext,
    id: string,
  ): Promise<{ row: ConversationRow; agent: AgentRow; messages: MessageRow[] }>;
  /** R5: soft delete. */
  remove(ctx: RequestContext, id: string): Promise<void>;
}

/** R4 shows at most this many messages (the most recent). */
const R4_MESSAGES = 1000;

export function createRdConversationsService(deps: { db: Db; clock: Clock }): RdConversationsService {
  const { db, clock } = deps;
  return {
    async list(ctx, f, page) {
      requireScope(ctx.principal, 'agent:run');
      assertAgentAllowed(ctx.principal, f.agentId);
      const workspaceId = workspaceOf(ctx);
      const agent = await getAgentOrThrow(db, workspaceId, f.agentId);
      const { rows, total } = await listRdConversationRows(db, workspaceId, f, page);
      const leadRows = await leadsById(
        db,
        workspaceId,
        rows.map((r) => r.leadId),
      );
      const now = clock.now();
      return {
        items: rows.map((row) => ({
          row,
          status: effectiveStatus(row, now),
          lead: row.leadId ? (leadRows.get(row.leadId) ?? null) : null,
        })),
        total,
        leadFields: leadSettingsOf(agent).fields,
      };
    },

    async get(ctx, id) {
      requireScope(ctx.principal, 'agent:run');
      const row = await getConversationForPrincipal(db, ctx.principal, id, 'conversation');
      // the conversation's agent even when deleted since (the conversation stays readable)
      const [agent] = await db.select().from(agents).where(eq(agents.id, row.agentId));
      if (!agent) throw new NotFoundError('conversation', id);
      return { row, agent, messages: await recentVisibleMessages(db, row.id, R4_MESSAGES) };
    },

    async remove(ctx, id) {
      requireScope(ctx.principal, 'agent:run');
      const row = await getConversationForPrincipal(db, ctx.principal, id, 'conversation');
      if (!(await softDeleteConversation(db, row.id, clock.now())))
        throw new NotFoundError('conversation', id);
    },
  };
}
