import { and, asc, desc, eq, gte, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { conversations, files, messages, usageRecords } from '../../platform/db/schema/index.js';
import { AgentNotAllowedError, NotFoundError } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import { toPage, type Page } from '../../platform/http/pagination.js';
import { escapeLike } from '../agents/agents.repo.js';
import { findFeedback, type Feedback } from '../feedback/feedback.service.js';
import { toAgentFile, type AgentFile } from '../files/files.types.js';
import { toMessage, type Message } from '../messages/messages.mapper.js';
import { effectiveStatus, type ConversationRow, type ConversationStatus } from '../sessions/sessions.repo.js';
import { getWorkspaceOrThrow } from '../workspaces/workspaces.repo.js';

export interface ConversationSummary {
  id: string;
  kind: 'session' | 'public';
  agent_id: string;
  status: ConversationStatus;
  channel: string;
  user: { id: string; reference: string | null } | null;
  external_user_id: string | null;
  title: string;
  is_test: boolean;
  messages_count: number;
  last_message_at: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  close_reason: string | null;
  expires_at: string;
  metadata: Record<string, unknown>;
}

export interface ConversationDetail extends ConversationSummary {
  context: Record<string, unknown>;
  user_data: Record<string, unknown>;
  messages: Message[];
  /** The conversation's NPS feedback (P12), `null` until submitted. */
  feedback: Feedback | null;
  files: AgentFile[];
  usage: { input_tokens: number; output_tokens: number; cached_tokens: number; cost_usd: number };
}

export interface ConversationFilters {
  limit: number;
  offset: number;
  agent_id?: string;
  status?: ConversationStatus;
  user_id?: string;
  created_after?: string;
  created_before?: string;
  search?: string;
  /** `metadata.<key>=<value>` query parameters, exact string match. */
  metadata?: Record<string, string>;
  /** Key principals with an agent allow-list see only those agents. */
  agentIds: string[] | null;
}

export function toSummary(row: ConversationRow, now: Date): ConversationSummary {
  return {
    id: row.id,
    kind: row.kind,
    agent_id: row.agentId,
    status: effectiveStatus(row, now),
    channel: row.channel,
    user: row.userId ? { id: row.userId, reference: row.userReference } : null,
    external_user_id: row.externalUserId,
    title: row.title,
    is_test: row.isTest,
    messages_count: row.messagesCount,
    last_message_at: row.lastMessageAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    closed_at: row.closedAt?.toISOString() ?? null,
    close_reason: row.closeReason,
    expires_at: row.expiresAt.toISOString(),
    metadata: row.metadata,
  };
}

export interface ConversationsService {
  listConversations(workspaceId: string, f: ConversationFilters): Promise<Page<ConversationSummary>>;
  getConversationDetail(
    workspaceId: string,
    id: string,
    agentIds: string[] | null,
  ): Promise<ConversationDetail>;
}

/** The operator's view of conversations (admin.md): every kind, every role, with usage. */
export function createConversationsService(deps: { db: Db; clock: Clock }): ConversationsService {
  const { db, clock } = deps;
  const c = conversations;
  return {
    async listConversations(workspaceId, f) {
      await getWorkspaceOrThrow(db, workspaceId);
      const now = clock.now();
      const conds: SQL[] = [eq(c.workspaceId, workspaceId), isNull(c.deletedAt)];
      if (f.agentIds) conds.push(f.agentIds.length ? sql`${c.agentId} in ${f.agentIds}` : sql`false`);
      if (f.agent_id) {
        if (f.agentIds && !f.agentIds.includes(f.agent_id)) throw new AgentNotAllowedError(f.agent_id);
        conds.push(eq(c.agentId, f.agent_id));
      }
      if (f.user_id) conds.push(eq(c.userId, f.user_id));
      if (f.status === 'active') conds.push(eq(c.status, 'active'), gte(c.expiresAt, now));
      if (f.status === 'closed') conds.push(eq(c.status, 'closed'));
      if (f.status === 'expired') {
        conds.push(or(eq(c.status, 'expired'), and(eq(c.status, 'active'), lt(c.expiresAt, now)))!);
      }
      if (f.created_after) conds.push(gte(c.createdAt, new Date(f.created_after)));
      if (f.created_before) conds.push(lt(c.createdAt, new Date(f.created_before)));
      for (const [k, v] of Object.entries(f.metadata ?? {})) conds.push(sql`${c.metadata} ->> ${k} = ${v}`);
      if (f.search) {
        const like = `%${escapeLike(f.search)}%`;
        // Values only: matching the serialised JSON would hit keys and block types ("text").
        conds.push(
          or(
            sql`${c.id}::text ilike ${like}`,
            sql`coalesce(${c.userId}::text, '') ilike ${like}`,
            sql`coalesce(${c.userReference}, '') ilike ${like}`,
            sql`coalesce(${c.externalUserId}, '') ilike ${like}`,
            sql`exists (select 1 from jsonb_each_text(${c.userData}) ud where ud.value ilike ${like})`,
            sql`exists (select 1 from ${messages} m cross join lateral jsonb_array_elements(m.content) b
              where m.conversation_id = ${c.id} and b ->> 'text' ilike ${like})`,
          )!,
        );
      }
      const rows = await db
        .select()
        .from(c)
        .where(and(...conds))
        .orderBy(desc(c.id))
        .limit(f.limit + 1)
        .offset(f.offset);
      return toPage(rows, f, (r) => toSummary(r, now));
    },

    async getConversationDetail(workspaceId, id, agentIds) {
      await getWorkspaceOrThrow(db, workspaceId);
      if (!isUuid(id)) throw new NotFoundError('conversation', id);
      const [row] = await db
        .select()
        .from(c)
        .where(and(eq(c.id, id), eq(c.workspaceId, workspaceId), isNull(c.deletedAt)));
      if (!row) throw new NotFoundError('conversation', id);
      // Like the Agent API: a conversation of an agent outside the key's allow-list is 403.
      if (agentIds && !agentIds.includes(row.agentId)) throw new AgentNotAllowedError(row.agentId);
      const [msgRows, fileRows, feedback, [totals]] = await Promise.all([
        db.select().from(messages).where(eq(messages.conversationId, id)).orderBy(asc(messages.id)),
        db.select().from(files).where(eq(files.conversationId, id)).orderBy(desc(files.id)),
        findFeedback(db, id),
        db
          .select({
            input: sql<string>`coalesce(sum(${usageRecords.inputTokens}), 0)::text`,
            output: sql<string>`coalesce(sum(${usageRecords.outputTokens}), 0)::text`,
            cached: sql<string>`coalesce(sum(${usageRecords.cachedTokens}), 0)::text`,
            cost: sql<string>`coalesce(sum(${usageRecords.costMicroUsd}), 0)::text`,
          })
          .from(usageRecords)
          .where(eq(usageRecords.conversationId, id)),
      ]);
      return {
        ...toSummary(row, clock.now()),
        context: row.context,
        user_data: row.userData,
        messages: msgRows.map((m) => toMessage(m)),
        feedback,
        files: fileRows.map(toAgentFile),
        usage: {
          input_tokens: Number(totals?.input ?? 0),
          output_tokens: Number(totals?.output ?? 0),
          cached_tokens: Number(totals?.cached ?? 0),
          cost_usd: Number(totals?.cost ?? 0) / 1_000_000,
        },
      };
    },
  };
}
