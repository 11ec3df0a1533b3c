import type { Services } from '../../services.js';
import type { AgentState } from '../../features/agents/agent-versions.js';
import type { RequestContext } from '../../features/context.js';
import type { MessageCreateInput } from '../../features/messages/messages.service.js';
import type { Message } from '../../features/messages/messages.mapper.js';
import { openConversationForExternalUser } from '../../features/sessions/external-user.js';
import {
  effectiveStatus,
  findConversation,
  getConversationForPrincipal,
  type ConversationRow,
} from '../../features/sessions/sessions.repo.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { ConversationClosedError, NotFoundError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { assertJsonSize } from '../../platform/json-size.js';
import type { PublicFetcher } from '../../platform/net/public-fetch.js';
import { checkMessageShape, ingestAttachments, storeAttachments } from './attachments.js';
import { toPublicConversation, toPublicMessage } from './conversations.service.js';
import { GenniaError, toGenniaError } from './errors.js';
import type { PublicConversation, PublicMessage, SendMessageBody } from './schemas.js';

/** One Gennia SSE event (gennia.md §3.2). */
export interface GenniaEvent {
  event: 'conversation-id' | 'text-delta' | 'debug-info' | 'error' | 'done';
  data: unknown;
}

export type GenniaEvents = (signal: AbortSignal) => AsyncIterable<GenniaEvent>;

export interface SendResult {
  conversation: PublicConversation;
  durationMs: number;
  message: PublicMessage;
}

export interface GenniaChat {
  /** §3.1: waits for the reply, or answers 408 TIMEOUT while the generation goes on. */
  send(ctx: RequestContext, agentId: string, body: SendMessageBody, startedAt: number): Promise<SendResult>;
  /**
   * §3.2: throws only the HTTP-level errors (400, 403, 404 agent or conversation); every later
   * failure becomes an `error` event of the returned stream.
   */
  stream(ctx: RequestContext, agentId: string, body: SendMessageBody): Promise<GenniaEvents>;
}

const DEFAULT_TIMEOUT_S = 60;

/** Statuses a stream answers as HTTP errors even after the body was read (gennia.md §3.2). */
const HTTP_LEVEL = new Set([401, 403, 404, 413, 429]);

/**
 * Sending a message the Gennia way (conversations start implicitly with the first message) on
 * top of the one turn engine (services.messages): this only resolves the conversation and the
 * attachments, then translates the result and the native stream events.
 */
export function createGenniaChat(deps: {
  db: Db;
  clock: Clock;
  services: Services;
  fetchUrl: PublicFetcher;
}): GenniaChat {
  const { db, clock, services } = deps;

  /** HTTP-level checks: body shape, agent and named conversation exist (404). */
  async function lookup(ctx: RequestContext, agentId: string, body: SendMessageBody) {
    checkMessageShape(body);
    assertJsonSize('metadata', body.metadata);
    const agent = await services.agents.getAgentState(ctx.principal.workspaceId, agentId);
    let conversation: ConversationRow | undefined;
    if (body.conversationId !== undefined) {
      const id = body.conversationId.toLowerCase();
      conversation = await getConversationForPrincipal(db, ctx.principal, id, 'conversation');
      if (conversation.agentId !== agent.id) throw new NotFoundError('conversation', id);
    }
    return { agent, conversation };
  }

  /** State checks, attachments, then the conversation (created or reused) and the turn's input. */
  async function prepare(
    agent: AgentState,
    named: ConversationRow | undefined,
    body: SendMessageBody,
    onConversation: (id: string) => void,
  ): Promise<{ conversation: ConversationRow; input: MessageCreateInput }> {
    if (agent.publishedVersion === 0) {
      throw new GenniaError('AGENT_NOT_PUBLISHED', 422, 'The agent has no published version.');
    }
    if (agent.status !== 'active') throw new GenniaError('AGENT_NOT_ACTIVE', 422, 'The agent is not active.');
    if (named) {
      const status = effectiveStatus(named, clock.now());
      if (status !== 'active') throw new ConversationClosedError(named.id, status);
    }
    const ingested = await ingestAttachments(body.attachments ?? [], deps.fetchUrl);
    const conversation =
      named ??
      (
        await openConversationForExternalUser(
          db,
          {
            workspaceId: agent.workspaceId,
            agent: { id: agent.id, idleTtlSeconds: agent.idleTtlSeconds },
            externalUserId: body.externalUserId ?? newId(),
            isTest: body.isTest ?? false,
            metadata: body.metadata ?? {},
            now: clock.now(),
          },
          { reuse: body.externalUserId !== undefined },
        )
      ).conversation;
    if (!named) onConversation(conversation.id);
    const content = await storeAttachments(
      services.files,
      agent.workspaceId,
      conversation.id,
      body.content ?? '',
      ingested,
    );
    return { conversation, input: { content } };
  }

  async function currentConversation(id: string): Promise<PublicConversation> {
    const row = await findConversation(db, id);
    if (!row) throw new NotFoundError('conversation', id);
    return toPublicConversation(row, clock.now());
  }

  return {
    async send(ctx, agentId, body, startedAt) {
      const { agent, conversation: named } = await lookup(ctx, agentId, body);
      const { conversation, input } = await prepare(agent, named, body, () => undefined);
      const work = services.messages.sendMessage(ctx, conversation.id, input);
      const timeoutMs = (body.timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000 - (Date.now() - startedAt);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs));
      });
      const outcome = await Promise.race([work, timedOut]).finally(() => clearTimeout(timer));
      if (outcome === 'timeout') {
        // the generation goes on (tracked by the turn engine) and its reply is stored
        work.catch((err: unknown) => ctx.log.warn({ err }, 'generation after a Gennia timeout failed'));
        throw new GenniaError(
          'TIMEOUT',
          408,
          'The reply was not ready in time; it will be stored when done.',
          [{ conversationPublicId: conversation.id }],
        );
      }
      return {
        conversation: await currentConversation(conversation.id),
        durationMs: Date.now() - startedAt,
        message: toPublicMessage(outcome.agent_message, conversation.id),
      };
    },

    async stream(ctx, agentId, body) {
      const { agent, conversation: named } = await lookup(ctx, agentId, body);
      let conversationId = named?.id;
      try {
        const { conversation, input } = await prepare(agent, named, body, (id) => {
          conversationId = id;
        });
        const { streamId } = await services.messages.streamMessage(ctx, conversation.id, input);
        return (signal) => translate(services.runtime.hub.read(streamId, 0, signal), conversation.id);
      } catch (err) {
        ctx.turn?.release();
        const { status, body: error, unexpected } = toGenniaError(err);
        // credential, permission, existence and rate-limit failures stay HTTP errors (§3.2)
        if (HTTP_LEVEL.has(status)) throw err;
        if (unexpected) ctx.log.error({ err }, 'Gennia stream failed before generating');
        return () => failed(conversationId, error);
      }
    },
  };
}

async function* failed(conversationId: string | undefined, error: unknown): AsyncIterable<GenniaEvent> {
  if (conversationId) yield { event: 'conversation-id', data: { conversationPublicId: conversationId } };
  yield { event: 'error', data: error };
  yield { event: 'done', data: { message: null } };
}

const STREAM_ERROR_CODES: Record<string, string> = {
  model_error: 'UPSTREAM_ERROR',
  model_timeout: 'MODEL_TIMEOUT',
  conversation_closed: 'CONVERSATION_ENDED',
};

/** Native stream events (quintus.md §6) → Gennia's; tool events and ids stay internal. */
async function* translate(
  events: AsyncIterable<{ event: string; json: string }>,
  conversationId: string,
): AsyncIterable<GenniaEvent> {
  let reply: PublicMessage | null = null;
  for await (const ev of events) {
    switch (ev.event) {
      case 'stream.started':
        yield { event: 'conversation-id', data: { conversationPublicId: conversationId } };
        break;
      case 'agent_message.delta':
        yield { event: 'text-delta', data: { delta: (JSON.parse(ev.json) as { delta: string }).delta } };
        break;
      case 'agent_message.completed': {
        const c = JSON.parse(ev.json) as { message: Message; model: string; duration_ms: number };
        reply = toPublicMessage(c.message, conversationId);
        yield {
          event: 'debug-info',
          data: {
            model: c.model,
            tokenUsage: reply.tokenUsage ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
            costUsd: reply.costUsd,
            costOps: 0,
            durationMs: c.duration_ms,
          },
        };
        break;
      }
      case 'error': {
        const e = (JSON.parse(ev.json) as { error: { code: string; message: string } }).error;
        reply = null;
        yield {
          event: 'error',
          data: { code: STREAM_ERROR_CODES[e.code] ?? 'INTERNAL_ERROR', message: e.message, details: [] },
        };
        break;
      }
      case 'done':
        yield { event: 'done', data: { message: reply } };
        return;
      default:
        break; // message.created, tool_call.*: not part of Gennia's stream
    }
  }
}
