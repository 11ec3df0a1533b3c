import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { conversations } from '../../platform/db/schema/index.js';
import { newId } from '../../platform/ids.js';
import { assertJsonSize } from '../../platform/json-size.js';
import { getAgentOrThrow, getRunnableAgent } from '../agents/agents.repo.js';
import { workspaceOf, type RequestContext } from '../context.js';
import { assertOriginAllowed } from '../keys/origins.js';
import { assertAgentAllowed } from '../keys/principal.js';
import {
  effectiveStatus,
  expireIfDue,
  getConversationForPrincipal,
  type ConversationRow,
  type ConversationStatus,
} from '../sessions/sessions.repo.js';
import { terminateConversation, type Termination } from '../sessions/sessions.service.js';
import type { IssuedToken, SessionTokens } from './session-tokens.js';

/** quintus.md §5.4 */
export interface ConversationCreated extends IssuedToken {
  id: string;
  agent_id: string;
  created_at: string;
}

export interface ConversationState {
  id: string;
  agent_id: string;
  status: ConversationStatus;
  messages_count: number;
  created_at: string;
  updated_at: string;
  expires_at: string;
  closed_at: string | null;
  user_data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** What a chat widget shows before a conversation exists (Papo extension of the Public Chat API). */
export interface PublicAgentProfile {
  id: string;
  name: string;
  greeting: string | null;
  avatar_url: string | null;
  /** Whether a conversation can be started now (agent active with a published version). */
  available: boolean;
}

export interface CreateConversationInput {
  agent_id: string;
  user_data?: Record<string, unknown>;
  context?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export function toState(row: ConversationRow, now: Date): ConversationState {
  return {
    id: row.id,
    agent_id: row.agentId,
    status: effectiveStatus(row, now),
    messages_count: row.messagesCount,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    expires_at: row.expiresAt.toISOString(),
    closed_at: row.closedAt?.toISOString() ?? null,
    user_data: row.userData,
    metadata: row.metadata,
  };
}

export interface PublicConversationsService {
  /** The agent's public profile for widgets: same key, origin and allow-list checks as P1. */
  getAgentProfile(
    ctx: RequestContext,
    agentId: string,
    origin: string | undefined,
  ): Promise<PublicAgentProfile>;
  /** P1: a `web_chat` conversation and its first session token. */
  createConversation(
    ctx: RequestContext,
    input: CreateConversationInput,
    origin: string | undefined,
  ): Promise<ConversationCreated>;
  /** P2 */
  getState(ctx: RequestContext, conversationId: string): Promise<ConversationState>;
  /** P3: a new token for any key of the workspace that may use the agent; older tokens live on. */
  refreshToken(ctx: RequestContext, conversationId: string, origin: string | undefined): Promise<IssuedToken>;
  /** P4 */
  terminate(ctx: RequestContext, conversationId: string, reason: string | null): Promise<Termination>;
}

export function createPublicConversationsService(deps: {
  db: Db;
  clock: Clock;
  tokens: SessionTokens;
}): PublicConversationsService {
  const { db, clock, tokens } = deps;
  return {
    async getAgentProfile(ctx, agentId, origin) {
      assertOriginAllowed(ctx.principal, origin);
      assertAgentAllowed(ctx.principal, agentId);
      const agent = await getAgentOrThrow(db, workspaceOf(ctx), agentId);
      const avatar = agent.extras['avatar_url'];
      return {
        id: agent.id,
        name: agent.name,
        greeting: agent.greeting,
        avatar_url: typeof avatar === 'string' ? avatar : null,
        available: agent.status === 'active' && agent.latestVersion > 0,
      };
    },

    async createConversation(ctx, input, origin) {
      assertJsonSize('user_data', input.user_data);
      assertJsonSize('context', input.context);
      assertJsonSize('metadata', input.metadata);
      assertOriginAllowed(ctx.principal, origin);
      assertAgentAllowed(ctx.principal, input.agent_id);
      const workspaceId = workspaceOf(ctx);
      const { agent } = await getRunnableAgent(db, workspaceId, input.agent_id);
      const externalId = input.user_data?.['external_id'];
      const now = clock.now();
      const [row] = await db
        .insert(conversations)
        .values({
          id: newId(),
          workspaceId,
          agentId: agent.id,
          kind: 'public',
          channel: 'web_chat',
          status: 'active',
          externalUserId: typeof externalId === 'string' && externalId.length <= 255 ? externalId : null,
          userData: input.user_data ?? {},
          context: input.context ?? {},
          metadata: input.metadata ?? {},
          expiresAt: new Date(now.getTime() + agent.idleTtlSeconds * 1000),
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      const token = await tokens.issue({
        conversationId: row!.id,
        workspaceId,
        agentId: agent.id,
        keyId: ctx.principal.keyId,
        ttlSeconds: agent.sessionTokenTtlSeconds,
      });
      return { id: row!.id, agent_id: agent.id, ...token, created_at: row!.createdAt.toISOString() };
    },

    async getState(ctx, conversationId) {
      const now = clock.now();
      const row = await getConversationForPrincipal(db, ctx.principal, conversationId, 'conversation');
      return toState(await expireIfDue(db, row, now), now);
    },

    async refreshToken(ctx, conversationId, origin) {
      assertOriginAllowed(ctx.principal, origin);
      const row = await getConversationForPrincipal(db, ctx.principal, conversationId, 'conversation');
      // the agent's current TTL; a deleted agent still lets its conversations be read
      const agent = await getAgentOrThrow(db, row.workspaceId, row.agentId).catch(() => undefined);
      return tokens.issue({
        conversationId: row.id,
        workspaceId: row.workspaceId,
        agentId: row.agentId,
        keyId: ctx.principal.keyId,
        ttlSeconds: agent?.sessionTokenTtlSeconds ?? 3600,
      });
    },

    async terminate(ctx, conversationId, reason) {
      const row = await getConversationForPrincipal(db, ctx.principal, conversationId, 'conversation');
      return terminateConversation(db, row, reason, clock.now());
    },
  };
}
