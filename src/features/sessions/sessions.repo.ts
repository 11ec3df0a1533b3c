import { and, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/client.js';
import { preparedQuery } from '../../platform/db/prepared.js';
import { agents, agentVersions, conversations, endUsers } from '../../platform/db/schema/index.js';
import type { AgentRow, AgentVersionRow } from '../agents/agents.repo.js';
import { AppError, NotFoundError } from '../../platform/errors.js';
import { isUuid, newId } from '../../platform/ids.js';
import { assertAgentAllowed, type KeyPrincipal } from '../keys/principal.js';

export type ConversationRow = typeof conversations.$inferSelect;
export type ConversationStatus = ConversationRow['status'];

/**
 * Status as of `now`: an active conversation at or past expires_at is expired even before the
 * sweeper runs. Every expiry test (here, SQL filters, the sweeper) uses this same boundary.
 */
export function effectiveStatus(row: ConversationRow, now: Date): ConversationStatus {
  return row.status === 'active' && row.expiresAt.getTime() <= now.getTime() ? 'expired' : row.status;
}

const conversationInWorkspace = preparedQuery((db) =>
  db
    .select()
    .from(conversations)
    .where(
      and(
        eq(conversations.id, sql.placeholder('id')),
        eq(conversations.workspaceId, sql.placeholder('workspaceId')),
        isNull(conversations.deletedAt),
      ),
    )
    .prepare('papo_conversation_in_workspace'),
);

/** A malformed id is a 404; a session token names its one conversation (403 otherwise). */
function assertAddressable(principal: KeyPrincipal, conversationId: string, resource: string): void {
  if (!isUuid(conversationId)) throw new NotFoundError(resource, conversationId);
  if (principal.conversationId !== undefined && principal.conversationId !== conversationId) {
    throw new AppError('session_token_scope_mismatch', 'This session token belongs to another conversation.');
  }
}

/** Tenant-scoped fetch-or-throw; another workspace's id is 404, an agent outside the allow-list 403. */
export async function getConversationForPrincipal(
  db: DbOrTx,
  principal: KeyPrincipal,
  conversationId: string,
  resource = principal.conversationId === undefined ? 'session' : 'conversation',
): Promise<ConversationRow> {
  assertAddressable(principal, conversationId, resource);
  const [row] = await conversationInWorkspace(db).execute({
    id: conversationId,
    workspaceId: principal.workspaceId,
  });
  if (!row) throw new NotFoundError(resource, conversationId);
  assertAgentAllowed(principal, row.agentId);
  return row;
}

const conversationWithAgent = preparedQuery((db) =>
  db
    .select({ conversation: conversations, agent: agents, version: agentVersions })
    .from(conversations)
    .innerJoin(agents, eq(agents.id, conversations.agentId))
    .leftJoin(
      agentVersions,
      and(eq(agentVersions.agentId, agents.id), eq(agentVersions.version, agents.latestVersion)),
    )
    .where(
      and(
        eq(conversations.id, sql.placeholder('id')),
        eq(conversations.workspaceId, sql.placeholder('workspaceId')),
        isNull(conversations.deletedAt),
      ),
    )
    .prepare('papo_conversation_with_agent'),
);

/**
 * getConversationForPrincipal and the conversation's agent with its latest version, in one
 * round trip (a turn needs all three). Same errors, same order.
 */
export async function getConversationWithAgentForPrincipal(
  db: DbOrTx,
  principal: KeyPrincipal,
  conversationId: string,
): Promise<{ conversation: ConversationRow; agent: AgentRow; version: AgentVersionRow | null }> {
  const resource = principal.conversationId === undefined ? 'session' : 'conversation';
  assertAddressable(principal, conversationId, resource);
  const [row] = await conversationWithAgent(db).execute({
    id: conversationId,
    workspaceId: principal.workspaceId,
  });
  if (!row) throw new NotFoundError(resource, conversationId);
  assertAgentAllowed(principal, row.conversation.agentId);
  return row;
}

/** Persists expiry for conversations found past their expires_at (conditional, race-free). */
export async function expireIfDue(db: DbOrTx, row: ConversationRow, now: Date): Promise<ConversationRow> {
  if (effectiveStatus(row, now) !== 'expired' || row.status === 'expired') return row;
  const [updated] = await db
    .update(conversations)
    .set({ status: 'expired', updatedAt: now })
    .where(
      and(
        eq(conversations.id, row.id),
        eq(conversations.status, 'active'),
        lte(conversations.expiresAt, now),
      ),
    )
    .returning();
  return updated ?? { ...row, status: 'expired' };
}

/** The sweeper's work: every active conversation past expires_at becomes expired. */
export async function expireDueConversations(db: DbOrTx, now: Date): Promise<number> {
  const rows = await db
    .update(conversations)
    .set({ status: 'expired', updatedAt: now })
    .where(and(eq(conversations.status, 'active'), lte(conversations.expiresAt, now)))
    .returning({ id: conversations.id });
  return rows.length;
}

/** Unscoped read by id, for re-checking a conversation the caller was already authorised for. */
export async function findConversation(db: DbOrTx, id: string): Promise<ConversationRow | undefined> {
  const [row] = await db.select().from(conversations).where(eq(conversations.id, id));
  return row;
}

/**
 * Current references of the bound users that still exist (id → reference). A session shows
 * its user's current reference; the one copied at binding time only once the user is deleted.
 */
export async function liveUserReferences(
  db: DbOrTx,
  workspaceId: string,
  userIds: Array<string | null>,
): Promise<Map<string, string | null>> {
  const ids = [...new Set(userIds.filter((id): id is string => id !== null))];
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: endUsers.id, reference: endUsers.reference })
    .from(endUsers)
    .where(and(eq(endUsers.workspaceId, workspaceId), inArray(endUsers.id, ids), isNull(endUsers.deletedAt)));
  return new Map(rows.map((r) => [r.id, r.reference]));
}

/** A new active Agent API session (`channel: api`); a bound user's reference is its external id. */
export async function insertSession(
  db: DbOrTx,
  s: {
    workspaceId: string;
    agent: { id: string; idleTtlSeconds: number };
    user: { id: string; reference: string | null } | null | undefined;
    context: Record<string, unknown>;
    metadata: Record<string, unknown>;
    now: Date;
    /** README §6.2: the bound user's reference unless a compat surface names its own. */
    externalUserId?: string | null;
    isTest?: boolean;
    utm?: Record<string, unknown> | null;
    leadId?: string | null;
  },
): Promise<ConversationRow> {
  const [row] = await db
    .insert(conversations)
    .values({
      id: newId(),
      workspaceId: s.workspaceId,
      agentId: s.agent.id,
      kind: 'session',
      channel: 'api',
      status: 'active',
      userId: s.user?.id ?? null,
      userReference: s.user?.reference ?? null,
      externalUserId: s.externalUserId !== undefined ? s.externalUserId : (s.user?.reference ?? null),
      userData: {},
      context: s.context,
      metadata: s.metadata,
      isTest: s.isTest ?? false,
      utm: s.utm ?? null,
      leadId: s.leadId ?? null,
      expiresAt: new Date(s.now.getTime() + s.agent.idleTtlSeconds * 1000),
      createdAt: s.now,
      updatedAt: s.now,
    })
    .returning();
  return row!;
}
