import type { Config } from '../../config.js';
import type { Runtime } from '../../services.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import type { ContentBlock } from '../../platform/db/schema/index.js';
import {
  AppError,
  ConversationClosedError,
  NotFoundError,
  ServiceUnavailableError,
} from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { ModelGateway } from '../../platform/llm/gateway.js';
import { toPage, type Page } from '../../platform/http/pagination.js';
import { assertJsonSize } from '../../platform/json-size.js';
import type { StreamWriter } from '../../platform/streams/stream-hub.js';
import { agentOutputFormat, getRunnableAgentOfConversation, type AgentRow } from '../agents/agents.repo.js';
import type { OutputFormat } from '../agents/agents.service.js';
import { workspaceOf, type RequestContext } from '../context.js';
import type { FilesService } from '../files/files.service.js';
import { requireScope } from '../keys/principal.js';
import {
  effectiveStatus,
  findConversation,
  getConversationForPrincipal,
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
import type { PublicFetcher } from '../../platform/net/public-fetch.js';
import { generate, generationError } from './generate.js';
import { toMessage, type Message, type MessageRole } from './messages.mapper.js';
import {
  firstText,
  getMessageOrThrow,
  insertMessage,
  listMessageRows,
  loadHistory,
} from './messages.repo.js';
import { toModelMessages } from './model-input.js';
import { storeReply } from './reply.js';
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

export interface ListMessagesQuery {
  limit: number;
  offset: number;
  after?: string;
  before?: string;
  roles?: string;
}

export interface MessagesService {
  /** 404/403 for a session the caller may not use; run before idempotent replays. */
  authorise(ctx: RequestContext, sessionId: string): Promise<void>;
  /** Sync send (A10): waits for its turn, stores the user message and the reply. */
  sendMessage(
    ctx: RequestContext,
    sessionId: string,
    input: MessageCreateInput,
    onStarted?: () => void,
  ): Promise<SendMessageResult>;
  /** Streaming send (A11): checks everything, then generates in the background into a replayable stream. */
  streamMessage(
    ctx: RequestContext,
    sessionId: string,
    input: MessageCreateInput,
  ): Promise<{ streamId: string }>;
  listMessages(ctx: RequestContext, sessionId: string, q: ListMessagesQuery): Promise<Page<Message>>;
  getMessage(ctx: RequestContext, sessionId: string, messageId: string): Promise<Message>;
  /** Finds a stream of this session for resume (A20); 404 when unknown, expired or another session's. */
  openStream(ctx: RequestContext, sessionId: string, streamId: string): Promise<void>;
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

interface Prepared {
  conversation: ConversationRow;
  agent: AgentRow;
  role: 'user' | 'assistant';
  blocks: ContentBlock[];
  fetched: Map<ContentBlock, FetchedImage>;
  metadata: Record<string, unknown>;
}

type Emit = (event: string, data: unknown) => void;

const ALL_ROLES = ['user', 'assistant', 'system', 'tool'] as const;

export function createMessagesService(deps: MessagesDeps): MessagesService {
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
    const conversation = await getConversationForPrincipal(db, ctx.principal, sessionId);

    const { blocks, fetched } = await normaliseContent(input.content, {
      files,
      fetchUrl: deps.fetchUrl,
      workspaceId,
    });
    const status = effectiveStatus(conversation, clock.now());
    if (status !== 'active') throw new ConversationClosedError(conversation.id, status);
    const { agent } = await getRunnableAgentOfConversation(db, conversation);
    if (agent.rateLimits.requests_per_minute)
      await ctx.charge(`agent:${agent.id}`, agent.rateLimits.requests_per_minute);
    const perConversation = agent.rateLimits.messages_per_minute_per_conversation;
    if (perConversation) await ctx.charge(`conversation:${conversation.id}`, perConversation);
    return {
      conversation,
      agent,
      role: input.role ?? 'user',
      blocks,
      fetched,
      metadata: input.metadata ?? {},
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
    return runtime.queue.run(p.conversation.id, async () => {
      const workspaceId = p.conversation.workspaceId;
      const { agent, version } = await getRunnableAgentOfConversation(db, p.conversation);
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
      const replyId = newId();
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
        },
      );
      const reply = await storeReply(db, {
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

  return {
    async authorise(ctx, sessionId) {
      requireScope(ctx.principal, 'agent:run');
      await getConversationForPrincipal(db, ctx.principal, sessionId);
    },

    async sendMessage(ctx, sessionId, input, onStarted) {
      const p = await prepare(ctx, sessionId, input);
      return runtime.tracker.track(execute(p, undefined, onStarted));
    },

    async streamMessage(ctx, sessionId, input) {
      const p = await prepare(ctx, sessionId, input);
      if (p.role === 'assistant') {
        throw new AppError(
          'validation_error',
          'role: assistant messages cannot be streamed; use the sync endpoint.',
          {
            issues: [{ location: 'body', path: 'role', message: 'must be user on the streaming endpoint' }],
          },
        );
      }
      const writer = runtime.hub.create({
        workspaceId: p.conversation.workspaceId,
        conversationId: p.conversation.id,
      });
      writer.emit('stream.started', { stream_id: writer.streamId, session_id: p.conversation.id });
      runInStream(writer, p, ctx);
      return { streamId: writer.streamId };
    },

    async listMessages(ctx, sessionId, q) {
      requireScope(ctx.principal, 'agent:run');
      const conversation = await getConversationForPrincipal(db, ctx.principal, sessionId);
      const roles = parseRoles(q.roles);
      const format = await agentOutputFormat(db, conversation.agentId);
      const rows = await listMessageRows(db, conversation.id, { ...q, roles });
      return toPage(rows, q, (r) => toMessage(r, format));
    },

    async getMessage(ctx, sessionId, messageId) {
      requireScope(ctx.principal, 'agent:run');
      const conversation = await getConversationForPrincipal(db, ctx.principal, sessionId);
      const row = await getMessageOrThrow(db, conversation.id, messageId);
      return toMessage(row, await agentOutputFormat(db, conversation.agentId));
    },

    async openStream(ctx, sessionId, streamId) {
      requireScope(ctx.principal, 'agent:run');
      const conversation = await getConversationForPrincipal(db, ctx.principal, sessionId);
      const owner = runtime.hub.ownerOf(streamId);
      if (!owner || owner.conversationId !== conversation.id) throw new NotFoundError('stream', streamId);
    },
  };
}

function parseRoles(roles: string | undefined): MessageRole[] {
  if (roles === undefined) return ['user', 'assistant'];
  const list = roles.split(',').map((r) => r.trim());
  const bad = list.filter((r) => !(ALL_ROLES as readonly string[]).includes(r));
  if (list.length === 0 || roles.trim() === '' || bad.length > 0) {
    throw new AppError(
      'validation_error',
      'roles must be a comma-separated subset of user, assistant, system, tool.',
      {
        issues: [
          {
            location: 'query',
            path: 'roles',
            message: 'must be a comma-separated subset of user, assistant, system, tool',
          },
        ],
      },
    );
  }
  return [...new Set(list)] as MessageRole[];
}
