import type { Config } from '../../config.js';
import type { Runtime } from '../../services.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import type { ContentBlock } from '../../platform/db/schema/index.js';
import { AppError, ConversationClosedError, ServiceUnavailableError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { ModelGateway } from '../../platform/llm/gateway.js';
import { assertJsonSize } from '../../platform/json-size.js';
import type { PublicFetcher } from '../../platform/net/public-fetch.js';
import type { QueueSlot } from '../../platform/runtime/conversation-queue.js';
import type { StreamWriter } from '../../platform/streams/stream-hub.js';
import {
  getRunnableAgentOfConversation,
  runnableAgentOfConversation,
  type AgentRow,
  type AgentVersionRow,
} from '../agents/agents.repo.js';
import type { OutputFormat } from '../agents/agents.service.js';
import { workspaceOf, type RequestContext } from '../context.js';
import type { FilesService } from '../files/files.service.js';
import { requireScope } from '../keys/principal.js';
import {
  effectiveStatus,
  findConversation,
  getConversationWithAgentForPrincipal,
  type ConversationRow,
} from '../sessions/sessions.repo.js';
import { getUserOrThrow } from '../users/users.service.js';
import {
  assignFetchedIds,
  normaliseContent,
  storeFetchedImages,
  type ContentInput,
  type FetchedImage,
} from './content.js';
import { generate, generationError } from './generate.js';
import { toMessage, type Message } from './messages.mapper.js';
import { firstText, insertMessage, loadHistory } from './messages.repo.js';
import { toModelMessages } from './model-input.js';
import { generationIds, storeReply } from './reply.js';
import { agentTools } from './tools.js';
import { buildSystemContext } from './system-context.js';

export interface MessageCreateInput {
  content: ContentInput;
  role?: 'user' | 'assistant';
  metadata?: Record<string, unknown>;
}

export interface SendMessageResult {
  user_message: Message | null;
  agent_message: Message;
}

export interface MessagesDeps {
  fetchUrl: PublicFetcher;
  db: Db;
  clock: Clock;
  config: Config;
  gateway: ModelGateway;
  runtime: Runtime;
  files: FilesService;
}

export interface Prepared {
  conversation: ConversationRow;
  /** The agent and version as of `prepare`: the turn's own when nothing was queued ahead. */
  agent: AgentRow;
  version: AgentVersionRow;
  role: 'user' | 'assistant';
  blocks: ContentBlock[];
  fetched: Map<ContentBlock, FetchedImage>;
  /** The queue place reserved on arrival; a fresh one otherwise. */
  turn: QueueSlot;
  metadata: Record<string, unknown>;
}

export type Emit = (event: string, data: unknown) => void;

/**
 * One conversation turn (README §6.3): the checks that can fail before anything runs, then the
 * FIFO turn that stores the user message, generates and stores the reply.
 */
export function createTurns(deps: MessagesDeps) {
  const { db, clock, config, runtime, files } = deps;
  const timeoutMs = config.runtime.modelTimeoutMs;

  /** Every check that can fail before execution (README §5 order), so streams can still answer JSON. */
  async function prepare(
    ctx: RequestContext,
    sessionId: string,
    input: MessageCreateInput,
  ): Promise<Prepared> {
    requireScope(ctx.principal, 'agent:run');
    if (runtime.tracker.isDraining) throw new ServiceUnavailableError();
    assertJsonSize('metadata', input.metadata);
    const workspaceId = workspaceOf(ctx);
    const row = await getConversationWithAgentForPrincipal(db, ctx.principal, sessionId);
    const { conversation } = row;

    const { blocks, fetched } = await normaliseContent(input.content, {
      files,
      fetchUrl: deps.fetchUrl,
      workspaceId,
      // the Public Chat API may name only files uploaded to the same conversation (quintus.md §5.1)
      ...(ctx.principal.conversationId !== undefined && {
        visibleFile: (fileConversationId: string | null) => fileConversationId === conversation.id,
      }),
    });
    const status = effectiveStatus(conversation, clock.now());
    if (status !== 'active') throw new ConversationClosedError(conversation.id, status);
    const { agent, version } = runnableAgentOfConversation(row.agent, row.version);
    if (agent.rateLimits.requests_per_minute)
      await ctx.charge(`agent:${agent.id}`, agent.rateLimits.requests_per_minute);
    const perConversation = agent.rateLimits.messages_per_minute_per_conversation;
    if (perConversation) await ctx.charge(`conversation:${conversation.id}`, perConversation);
    return {
      conversation,
      agent,
      version,
      role: input.role ?? 'user',
      blocks,
      fetched,
      metadata: input.metadata ?? {},
      turn: ctx.turn ?? runtime.queue.reserve(conversation.id),
    };
  }

  /**
   * Runs one turn once it is this conversation's turn (FIFO). The user message is stored
   * first, conditionally on the conversation still being active; then the reply is generated
   * and stored whatever happens to the caller. Model failures store a `failed` reply.
   */
  async function execute(
    p: Prepared,
    emit: Emit | undefined,
    onStarted: (() => void) | undefined,
  ): Promise<SendMessageResult> {
    return p.turn.run(async () => {
      const workspaceId = p.conversation.workspaceId;
      // a turn that waited behind others runs the agent as it is when its turn starts
      const { agent, version } = p.turn.waitsBehindOthers
        ? await getRunnableAgentOfConversation(db, p.conversation)
        : p;
      const format: OutputFormat = agent.outputFormat;
      const now = clock.now();
      assignFetchedIds(p.fetched);
      const stored = await insertMessage(
        db,
        {
          id: newId(),
          workspaceId,
          conversationId: p.conversation.id,
          role: p.role,
          content: p.blocks,
          status: 'completed',
          metadata: p.metadata,
          createdAt: now,
        },
        {
          requireActive: true,
          idleTtlSeconds: agent.idleTtlSeconds,
          visible: true,
          title: p.role === 'user' ? firstText(p.blocks) : undefined,
        },
      );
      if (!stored) {
        const status = await currentStatus(p.conversation);
        throw new ConversationClosedError(p.conversation.id, status);
      }
      await storeFetchedImages(files, workspaceId, p.conversation.id, p.fetched);
      onStarted?.();
      if (p.role === 'assistant') return { user_message: null, agent_message: toMessage(stored, format) };
      const userMessage = toMessage(stored);
      emit?.('message.created', { message: userMessage });

      const history = await loadHistory(db, p.conversation.id, agent.historyLimit);
      const user = p.conversation.userId
        ? await getUserOrThrow(db, workspaceId, p.conversation.userId).catch(() => null)
        : null;
      const tools = await agentTools({ db, workspaceId, agent, conversationId: p.conversation.id });
      const { toolIds, replyId } = generationIds(Object.keys(tools).length > 0);
      const outcome = await generate(
        { gateway: deps.gateway, prices: runtime.prices },
        {
          agent,
          version,
          system: buildSystemContext({
            instructions: version.instructions,
            context: p.conversation.context,
            user,
          }),
          messages: await toModelMessages(
            history.map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content })),
            files,
            workspaceId,
          ),
          replyId,
          timeoutMs,
          onDelta: emit ? (d) => emit('agent_message.delta', d) : undefined,
          tools,
          onToolEvent: emit,
        },
      );
      const reply = await storeReply(db, {
        toolIds,
        workspaceId,
        conversationId: p.conversation.id,
        agent,
        version,
        replyId,
        outcome,
        at: clock.now(),
      });
      if (!outcome.ok) {
        const error = generationError(outcome, timeoutMs, reply.id);
        emit?.('error', { error: { code: error.code, message: error.message }, message_id: reply.id });
        throw error;
      }
      const agentMessage = toMessage(reply, format);
      emit?.('agent_message.completed', {
        message: agentMessage,
        usage: agentMessage.usage,
        cost_usd: agentMessage.cost_usd,
        model: outcome.model,
        duration_ms: outcome.durationMs,
      });
      return { user_message: userMessage, agent_message: agentMessage };
    });
  }

  async function currentStatus(c: ConversationRow): Promise<string> {
    const fresh = await findConversation(db, c.id);
    return fresh ? effectiveStatus(fresh, clock.now()) : 'closed';
  }

  function runInStream(writer: StreamWriter, p: Prepared, ctx: RequestContext): void {
    const emit: Emit = (event, data) => writer.emit(event, data);
    const work = execute(p, emit, undefined)
      .catch((err: unknown) => {
        if (err instanceof AppError && (err.code === 'model_error' || err.code === 'model_timeout')) return; // already emitted
        const code =
          err instanceof AppError && err.code === 'conversation_closed' ? err.code : 'internal_error';
        if (code === 'internal_error') ctx.log.error({ err }, 'streamed generation failed');
        const message =
          err instanceof AppError && code !== 'internal_error'
            ? err.message
            : 'An unexpected error occurred.';
        writer.emit('error', { error: { code, message } });
      })
      .finally(() => {
        writer.emit('done', {});
        writer.end();
      });
    void runtime.tracker.track(work);
  }

  return { prepare, execute, runInStream };
}
