import type { Config } from '../../config.js';
import type { Runtime } from '../../services.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import type { ContentBlock } from '../../platform/db/schema/index.js';
import {
  AgentUnavailableError,
  AppError,
  ConversationClosedError,
  ServiceUnavailableError,
} from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { ModelGateway } from '../../platform/llm/gateway.js';
import { assertJsonSize } from '../../platform/json-size.js';
import type { PublicFetcher } from '../../platform/net/public-fetch.js';
import type { QueueSlot } from '../../platform/runtime/conversation-queue.js';
import type { StreamWriter } from '../../platform/streams/stream-hub.js';
import {
  getAgentOrThrow,
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
import { toMessage, type Message, type MessageRow } from './messages.mapper.js';
import { firstText, insertMessage, loadHistory } from './messages.repo.js';
import { toModelMessages } from './model-input.js';
import { generationIds, storeReply } from './reply.js';
import { agentTools } from './tools.js';
import { buildSystemContext } from './system-context.js';
// RD Station additions (rdstation.md R1, README §6.3): agent instruction lines, caller system messages
import { agentInstructionLines } from '../leads/lead-capture.js';
import { abilitiesSystemBlock } from '../abilities/abilities.js';
import { callerSystemTexts } from '../sessions/rdstation-conversations.js';

export interface MessageCreateInput {
  content: ContentInput;
  role?: 'user' | 'assistant';
  metadata?: Record<string, unknown>;
}

/** A message of a turn; `system` (RD Station only) is an internal message joining the model context. */
export interface TurnMessageInput extends Omit<MessageCreateInput, 'role'> {
  role?: 'user' | 'assistant' | 'system';
}

/** Options of one turn that only RD Station R1 sets (rdstation.md §4); the native API sets none. */
export interface TurnOptions {
  /** Messages stored before the main one, in order, in the same turn (RD `messages`). */
  preceding?: TurnMessageInput[];
  /**
   * A test (`is_test`, RD `preview`) conversation runs the agent's draft runtime fields, and
   * the agent then need not be runnable (README §6.3).
   */
  draftForTestConversations?: boolean;
  /** The conversation's internal system messages join the system context. */
  withSystemMessages?: boolean;
}

/** A message to store in a turn, its content already checked. */
export interface PreparedInput {
  role: 'user' | 'assistant' | 'system';
  blocks: ContentBlock[];
  fetched: Map<ContentBlock, FetchedImage>;
  metadata: Record<string, unknown>;
}

/** What a turn stored (in order) and its reply (null when nothing was generated). */
export interface TurnRows {
  stored: MessageRow[];
  reply: MessageRow | null;
  format: OutputFormat;
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

export interface Prepared extends PreparedInput {
  conversation: ConversationRow;
  /** The agent and version as of `prepare`: the turn's own when nothing was queued ahead. */
  agent: AgentRow;
  version: AgentVersionRow;
  /** The queue place reserved on arrival; a fresh one otherwise. */
  turn: QueueSlot;
  /** RD Station (TurnOptions): stored before this message, in order. */
  preceding: PreparedInput[];
  /** RD Station preview: the version is the agent's draft (see draftVersion). */
  runDraft: boolean;
  withSystemMessages: boolean;
}

/**
 * The agent's draft runtime fields as a version row (RD Station preview runs the draft).
 * Version 0 marks replies generated from the draft.
 */
export function draftVersion(agent: AgentRow): AgentVersionRow {
  return {
    id: agent.id,
    agentId: agent.id,
    workspaceId: agent.workspaceId,
    version: 0,
    instructions: agent.draft.instructions,
    model: agent.draft.model,
    temperature: agent.draft.temperature,
    maxOutputTokens: agent.draft.maxOutputTokens,
    thinking: agent.draft.thinking,
    extras: agent.draft.extras ?? {},
    notes: null,
    createdAt: agent.updatedAt,
  };
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
    input: TurnMessageInput,
    opts: TurnOptions = {},
  ): Promise<Prepared> {
    requireScope(ctx.principal, 'agent:run');
    if (runtime.tracker.isDraining) throw new ServiceUnavailableError();
    assertJsonSize('metadata', input.metadata);
    const workspaceId = workspaceOf(ctx);
    const row = await getConversationWithAgentForPrincipal(db, ctx.principal, sessionId);
    const { conversation } = row;

    const normalise = (content: ContentInput, path?: string) =>
      normaliseContent(content, {
        files,
        fetchUrl: deps.fetchUrl,
        workspaceId,
        ...(path !== undefined && { path }),
        // the Public Chat API may name only files uploaded to the same conversation (quintus.md §5.1)
        ...(ctx.principal.conversationId !== undefined && {
          visibleFile: (fileConversationId: string | null) => fileConversationId === conversation.id,
        }),
      });
    const preceding: PreparedInput[] = [];
    for (const [i, m] of (opts.preceding ?? []).entries()) {
      assertJsonSize(`messages[${i}].metadata`, m.metadata);
      const n = await normalise(m.content, `messages[${i}].content`);
      preceding.push({
        role: m.role ?? 'user',
        blocks: n.blocks,
        fetched: n.fetched,
        metadata: m.metadata ?? {},
      });
    }
    const { blocks, fetched } = await normalise(input.content);
    const status = effectiveStatus(conversation, clock.now());
    if (status !== 'active') throw new ConversationClosedError(conversation.id, status);
    const runDraft = opts.draftForTestConversations === true && conversation.isTest;
    const { agent, version } = runDraft
      ? draftOf(row.agent)
      : runnableAgentOfConversation(row.agent, row.version);
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
      preceding,
      runDraft,
      withSystemMessages: opts.withSystemMessages === true,
    };
  }

  /** A preview turn runs the draft of any agent that is not deleted. */
  function draftOf(agent: AgentRow): { agent: AgentRow; version: AgentVersionRow } {
    if (agent.deletedAt) throw new AgentUnavailableError(agent.id, 'deleted');
    return { agent, version: draftVersion(agent) };
  }

  /** The agent as it is now (for a turn that waited behind others). */
  async function currentAgent(p: Prepared): Promise<{ agent: AgentRow; version: AgentVersionRow }> {
    if (!p.runDraft) return getRunnableAgentOfConversation(db, p.conversation);
    const agent = await getAgentOrThrow(db, p.conversation.workspaceId, p.conversation.agentId).catch(() => {
      throw new AgentUnavailableError(p.conversation.agentId, 'deleted');
    });
    return draftOf(agent);
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
    const { stored, reply, format } = await runTurn(p, emit, onStarted);
    const last = stored.at(-1)!;
    if (!reply) return { user_message: null, agent_message: toMessage(last, format) };
    return { user_message: toMessage(last), agent_message: toMessage(reply, format) };
  }

  /** execute, returning the stored rows (RD Station R1 shapes its own messages from them). */
  async function runTurn(
    p: Prepared,
    emit: Emit | undefined,
    onStarted: (() => void) | undefined,
  ): Promise<TurnRows> {
    return p.turn.run(async () => {
      const workspaceId = p.conversation.workspaceId;
      // a turn that waited behind others runs the agent as it is when its turn starts
      const { agent, version } = p.turn.waitsBehindOthers ? await currentAgent(p) : p;
      const format: OutputFormat = agent.outputFormat;
      const stored: MessageRow[] = [];
      for (const m of [...p.preceding, p]) {
        assignFetchedIds(m.fetched);
        const row = await insertMessage(
          db,
          {
            id: newId(),
            workspaceId,
            conversationId: p.conversation.id,
            role: m.role,
            content: m.blocks,
            status: 'completed',
            metadata: m.metadata,
            createdAt: clock.now(),
          },
          {
            requireActive: true,
            idleTtlSeconds: agent.idleTtlSeconds,
            visible: m.role !== 'system',
            title: m.role === 'user' ? firstText(m.blocks) : undefined,
          },
        );
        if (!row) {
          const status = await currentStatus(p.conversation);
          throw new ConversationClosedError(p.conversation.id, status);
        }
        await storeFetchedImages(files, workspaceId, p.conversation.id, m.fetched);
        stored.push(row);
      }
      onStarted?.();
      if (p.role !== 'user') return { stored, reply: null, format };
      emit?.('message.created', { message: toMessage(stored.at(-1)!) });

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
            abilities: abilitiesSystemBlock(agent),
            // RD Station: lead capture / fallback lines, and the caller's own system messages
            agentLines: agentInstructionLines(agent),
            callerSystem: p.withSystemMessages ? await callerSystemTexts(db, p.conversation.id) : [],
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
      return { stored, reply, format };
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

  return { prepare, execute, runTurn, runInStream };
}
