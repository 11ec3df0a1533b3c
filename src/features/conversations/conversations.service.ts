import { and, asc, desc, eq, gte, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import {
  conversations,
  files,
  messageColumns,
  messages,
  usageRecords,
} from '../../platform/db/schema/index.js';
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
  /** Test conversations (Gennia `isTest`, RD Station `preview`, dashboard playground sessions). */
  is_test?: boolean;
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

/** How many of the newest conversations a search checks one by one before using the indexes. */
const SEARCH_PROBE = 500;

/**
 * Conversations (newest first) whose message text, user reference, external id or user data
 * values contain `term` (case-insensitive), or whose id or user id is `term`.
 * Two plans, because no single one is fast for both kinds of term over millions of messages:
 * 1. a common term fills the page among the newest conversations: check the newest
 *    SEARCH_PROBE one by one (each an index probe of its messages) and stop;
 * 2. otherwise the term is rare there, so the trigram indexes (migration 0002) find every
 *    match, few by construction, and those are sorted.
 * Both return the same rows: plan 1 answers only when its window holds the whole page (or is
 * every conversation), and any match outside the window is older than all inside it.
 */
export async function searchConversations(
  db: Db,
  workspaceId: string,
  filters: SQL,
  term: string,
  page: { limit: number; offset: number },
  probe = SEARCH_PROBE,
): Promise<ConversationRow[]> {
  const c = conversations;
  const like = `%${escapeLike(term)}%`;
  const need = page.offset + page.limit + 1;
  if (need <= probe) {
    const window = await db
      .select({ id: c.id, matches: matchesIn(c, like, term) })
      .from(c)
      .where(filters)
      .orderBy(desc(c.id))
      .limit(probe);
    const hits = window.filter((w) => w.matches).map((w) => w.id);
    if (hits.length >= need || window.length < probe) {
      const pageIds = hits.slice(page.offset, need);
      if (pageIds.length === 0) return [];
      return db.select().from(c).where(inArray(c.id, pageIds)).orderBy(desc(c.id));
    }
  }
  const ids = [
    sql`select m.conversation_id from ${messages} m where m.workspace_id = ${workspaceId} and m.search_text ilike ${like}`,
    sql`select x.id from ${c} x where x.workspace_id = ${workspaceId}
      and papo_conversation_text(x.user_reference, x.external_user_id, x.user_data) ilike ${like}`,
  ];
  if (isUuid(term)) {
    ids.push(
      sql`select x.id from ${c} x where x.workspace_id = ${workspaceId} and (x.id = ${term} or x.user_id = ${term})`,
    );
  }
  return db
    .select()
    .from(c)
    .where(and(filters, sql`${c.id} in (${sql.join(ids, sql` union `)})`))
    .orderBy(desc(c.id))
    .limit(page.limit + 1)
    .offset(page.offset);
}

/** The search predicate on one conversation row. */
function matchesIn(t: typeof conversations, like: string, term: string): SQL<boolean> {
  const checks: SQL[] = [
    sql`exists (select 1 from ${messages} m where m.conversation_id = ${t.id} and m.search_text ilike ${like})`,
    sql`papo_conversation_text(${t.userReference}, ${t.externalUserId}, ${t.userData}) ilike ${like}`,
  ];
  if (isUuid(term)) checks.push(sql`${t.id} = ${term}`, sql`${t.userId} = ${term}`);
  return sql<boolean>`(${sql.join(checks, sql` or `)})`;
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
      if (f.is_test !== undefined) conds.push(eq(c.isTest, f.is_test));
      if (f.created_after) conds.push(gte(c.createdAt, new Date(f.created_after)));
      if (f.created_before) conds.push(lt(c.createdAt, new Date(f.created_before)));
      for (const [k, v] of Object.entries(f.metadata ?? {})) conds.push(sql`${c.metadata} ->> ${k} = ${v}`);
      const rows = f.search
        ? await searchConversations(db, workspaceId, and(...conds)!, f.search, f)
        : await db
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
        db
          .select(messageColumns)
          .from(messages)
          .where(eq(messages.conversationId, id))
          .orderBy(asc(messages.id)),
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
