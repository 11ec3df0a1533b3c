import { and, desc, eq, gt, gte, inArray, isNull, lt, lte, notExists, or, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { conversations, endUsers } from '../../platform/db/schema/index.js';
import { toPage, type Page } from '../../platform/http/pagination.js';
import { assertJsonSize } from '../../platform/json-size.js';
import { getRunnableAgent } from '../agents/agents.repo.js';
import { workspaceOf, type RequestContext } from '../context.js';
import { assertAgentAllowed, requireScope } from '../keys/principal.js';
import { resolveSessionUser, type SessionUserRef } from '../users/users.service.js';
import {
  effectiveStatus,
  expireIfDue,
  getConversationForPrincipal,
  liveUserReferences,
  type ConversationRow,
  type ConversationStatus,
  insertSession,
} from './sessions.repo.js';

export interface Session {
  id: string;
  agent_id: string;
  status: ConversationStatus;
  created_at: string;
  updated_at: string;
  user: { id: string; reference: string | null } | null;
  messages_count: number;
  last_message_at: string | null;
  closed_at: string | null;
  expires_at: string;
  context: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface Termination {
  id: string;
  status: 'closed';
  closed_at: string;
  reason: string | null;
}

export interface CreateSessionInput {
  user?: SessionUserRef;
  context?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  /** Papo extension: a test conversation (read back as `is_test` through the management API). */
  is_test?: boolean;
}

export interface SessionFilters {
  agent_id?: string;
  user_id?: string;
  user_reference?: string;
  status?: ConversationStatus;
  created_after?: string;
  created_before?: string;
  limit: number;
  offset: number;
}

/** `liveRefs`: current references of bound users that still exist (see liveUserReferences). */
export function toSession(row: ConversationRow, now: Date, liveRefs: Map<string, string | null>): Session {
  return {
    id: row.id,
    agent_id: row.agentId,
    status: effectiveStatus(row, now),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    user: row.userId
      ? {
          id: row.userId,
          reference: liveRefs.has(row.userId) ? liveRefs.get(row.userId)! : row.userReference,
        }
      : null,
    messages_count: row.messagesCount,
    last_message_at: row.lastMessageAt?.toISOString() ?? null,
    closed_at: row.closedAt?.toISOString() ?? null,
    expires_at: row.expiresAt.toISOString(),
    context: row.context,
    metadata: row.metadata,
  };
}

export interface SessionsService {
  createSession(ctx: RequestContext, agentId: string, input: CreateSessionInput): Promise<Session>;
  listSessions(ctx: RequestContext, filters: SessionFilters): Promise<Page<Session>>;
  getSession(ctx: RequestContext, sessionId: string): Promise<Session>;
  terminateSession(ctx: RequestContext, sessionId: string, reason: string | null): Promise<Termination>;
}

export function createSessionsService(deps: { db: Db; clock: Clock }): SessionsService {
  const { db, clock } = deps;
  return {
    async createSession(ctx, agentId, input) {
      requireScope(ctx.principal, 'agent:run');
      assertAgentAllowed(ctx.principal, agentId);
      assertJsonSize('context', input.context);
      assertJsonSize('metadata', input.metadata);
      const workspaceId = workspaceOf(ctx);
      const { agent } = await getRunnableAgent(db, workspaceId, agentId);
      const user = input.user ? await resolveSessionUser(db, workspaceId, input.user) : undefined;
      const now = clock.now();
      const row = await insertSession(db, {
        workspaceId,
        agent,
        user,
        context: input.context ?? {},
        metadata: input.metadata ?? {},
        isTest: input.is_test ?? false,
        now,
      });
      return toSession(row, now, new Map());
    },

    async listSessions(ctx, f) {
      requireScope(ctx.principal, 'agent:run');
      const workspaceId = workspaceOf(ctx);
      const now = clock.now();
      const conds: SQL[] = [eq(conversations.workspaceId, workspaceId), isNull(conversations.deletedAt)];
      const allowed = ctx.principal.agentIds;
      if (allowed) {
        if (allowed.length === 0) return { items: [], next_offset: null };
        conds.push(inArray(conversations.agentId, allowed));
      }
      if (f.agent_id !== undefined) {
        assertAgentAllowed(ctx.principal, f.agent_id);
        conds.push(eq(conversations.agentId, f.agent_id));
      }
      if (f.user_id !== undefined) conds.push(eq(conversations.userId, f.user_id));
      if (f.user_reference !== undefined) {
        // the reference a Session shows: the live user's current one, else the one kept from binding
        const liveWithReference = db
          .select({ id: endUsers.id })
          .from(endUsers)
          .where(
            and(
              eq(endUsers.workspaceId, workspaceId),
              eq(endUsers.reference, f.user_reference),
              isNull(endUsers.deletedAt),
            ),
          );
        const boundUserLive = db
          .select({ one: sql`1` })
          .from(endUsers)
          .where(and(eq(endUsers.id, conversations.userId), isNull(endUsers.deletedAt)));
        conds.push(
          or(
            inArray(conversations.userId, liveWithReference),
            and(eq(conversations.userReference, f.user_reference), notExists(boundUserLive)),
          )!,
        );
      }
      if (f.status === 'active') {
        conds.push(eq(conversations.status, 'active'), gt(conversations.expiresAt, now));
      } else if (f.status === 'expired') {
        // stored as expired, or still active but past expiry (the sweeper has not run yet)
        conds.push(
          or(
            eq(conversations.status, 'expired'),
            and(eq(conversations.status, 'active'), lte(conversations.expiresAt, now)),
          )!,
        );
      } else if (f.status === 'closed') {
        conds.push(eq(conversations.status, 'closed'));
      }
      if (f.created_after !== undefined) conds.push(gte(conversations.createdAt, new Date(f.created_after)));
      if (f.created_before !== undefined) conds.push(lt(conversations.createdAt, new Date(f.created_before)));
      const rows = await db
        .select()
        .from(conversations)
        .where(and(...conds))
        .orderBy(desc(conversations.id))
        .limit(f.limit + 1)
        .offset(f.offset);
      const liveRefs = await liveUserReferences(
        db,
        workspaceId,
        rows.map((r) => r.userId),
      );
      return toPage(rows, f, (r) => toSession(r, now, liveRefs));
    },

    async getSession(ctx, sessionId) {
      requireScope(ctx.principal, 'agent:run');
      const now = clock.now();
      const row = await expireIfDue(db, await getConversationForPrincipal(db, ctx.principal, sessionId), now);
      return toSession(row, now, await liveUserReferences(db, row.workspaceId, [row.userId]));
    },

    async terminateSession(ctx, sessionId, reason) {
      requireScope(ctx.principal, 'agent:run');
      const row = await getConversationForPrincipal(db, ctx.principal, sessionId);
      return terminateConversation(db, row, reason, clock.now());
    },
  };
}

/**
 * Closes a conversation once; later calls return the stored closing (idempotent). The
 * conditional UPDATE settles concurrent terminations in SQL.
 */
export async function terminateConversation(
  db: Db,
  row: ConversationRow,
  reason: string | null,
  now: Date,
): Promise<Termination> {
  const [closed] = await db
    .update(conversations)
    .set({ status: 'closed', closedAt: now, closeReason: reason, updatedAt: now })
    .where(and(eq(conversations.id, row.id), inArray(conversations.status, ['active', 'expired'])))
    .returning();
  const final =
    closed ?? (await db.select().from(conversations).where(eq(conversations.id, row.id)))[0] ?? row;
  return {
    id: final.id,
    status: 'closed',
    closed_at: (final.closedAt ?? now).toISOString(),
    reason: final.closeReason,
  };
}
