import { AppError, NotFoundError } from '../../platform/errors.js';
import { toPage, type Page } from '../../platform/http/pagination.js';
import { agentOutputFormat } from '../agents/agents.repo.js';
import type { RequestContext } from '../context.js';
import { requireScope } from '../keys/principal.js';
import { getConversationForPrincipal } from '../sessions/sessions.repo.js';
import { toMessage, type Message, type MessageRole } from './messages.mapper.js';
import { getMessageOrThrow, listMessageRows } from './messages.repo.js';
import { createTurns, type MessageCreateInput, type MessagesDeps, type SendMessageResult } from './turn.js';

export type { MessageCreateInput, MessagesDeps, SendMessageResult } from './turn.js';

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
    /** How `stream.started` names the conversation: `session_id` (Agent API) or `conversation_id`. */
    idKey?: 'session_id' | 'conversation_id',
  ): Promise<{ streamId: string }>;
  listMessages(ctx: RequestContext, sessionId: string, q: ListMessagesQuery): Promise<Page<Message>>;
  getMessage(ctx: RequestContext, sessionId: string, messageId: string): Promise<Message>;
  /** Finds a stream of this session for resume (A20); 404 when unknown, expired or another session's. */
  openStream(ctx: RequestContext, sessionId: string, streamId: string): Promise<void>;
}

const ALL_ROLES = ['user', 'assistant', 'system', 'tool'] as const;

export function createMessagesService(deps: MessagesDeps): MessagesService {
  const { db, runtime } = deps;
  const { prepare, execute, runInStream } = createTurns(deps);

  return {
    async authorise(ctx, sessionId) {
      requireScope(ctx.principal, 'agent:run');
      await getConversationForPrincipal(db, ctx.principal, sessionId);
    },

    async sendMessage(ctx, sessionId, input, onStarted) {
      const p = await prepare(ctx, sessionId, input);
      return runtime.tracker.track(execute(p, undefined, onStarted));
    },

    async streamMessage(ctx, sessionId, input, idKey = 'session_id') {
      const p = await prepare(ctx, sessionId, input);
      if (p.role === 'assistant') {
        p.turn.release();
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
      writer.emit('stream.started', { stream_id: writer.streamId, [idKey]: p.conversation.id });
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
      const owner = await runtime.hub.ownerOf(streamId);
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
