import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../features/context.js';
import type { Services } from '../../services.js';
import { InvalidRequestError } from '../../platform/errors.js';
import { headerValue } from '../../platform/http/headers.js';
import { PageQuery, PageSchema } from '../../platform/http/pagination.js';
import { sendSse } from '../../platform/http/sse.js';
import type { App, AuthMode } from '../../platform/http/types.js';
import { errorResponses } from './errors.js';
import { replyIdempotent } from './idempotent.js';

const MessageListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    after: Type.Optional(Type.String({ format: 'uuid', description: 'Only messages with id > after.' })),
    before: Type.Optional(Type.String({ format: 'uuid', description: 'Only messages with id < before.' })),
    roles: Type.Optional(
      Type.String({
        description: 'Comma-separated subset of user, assistant, system, tool (default user,assistant).',
      }),
    ),
  }),
]);

/** Parses Last-Event-ID (header, or `last_event_id` query); absent = from the start. */
export function lastEventId(header: string | undefined, query: string | undefined): number {
  const raw = header ?? query;
  if (raw === undefined) return 0;
  if (!/^\d{1,9}$/.test(raw.trim()))
    throw new InvalidRequestError('Last-Event-ID must be a non-negative integer.');
  return Number(raw.trim());
}

export interface ConversationMessageRoutes {
  services: Services;
  ctx: (req: FastifyRequest, reply: FastifyReply) => RequestContext;
  hide: boolean;
  /** `sessions`/`session_id` (Agent API) or `conversations`/`conversation_id` (Public Chat API). */
  collection: 'sessions' | 'conversations';
  param: 'session_id' | 'conversation_id';
  auth: AuthMode;
  security: Array<Record<string, string[]>>;
  tag: string;
  /** Contract labels of send, stream, list, get and resume (A10… or P6…). */
  labels: { send: string; stream: string; list: string; get: string; resume: string };
}

/**
 * The message endpoints both native APIs share (send, stream, list, get one, resume): one
 * implementation mounted twice, with each API's auth, path names and contract labels.
 */
export function conversationMessageRoutes(app: App, o: ConversationMessageRoutes): void {
  const { services, ctx, hide, param, labels } = o;
  const base = `/${o.collection}/:${param}`;
  const idSchema = () =>
    Type.String({ description: param === 'session_id' ? 'Session id' : 'Conversation id' });
  const Params = Type.Object({ [param]: idSchema() });
  const id = (req: FastifyRequest) => (req.params as Record<string, string>)[param]!;
  const tags = [o.tag];
  const security = o.security;
  const common = [400, 401, 403, 429];
  const sendErrors = errorResponses(...common, 404, 409, 413, 422, 502, 503, 504);
  const sse = (description: string) => ({ description, content: { 'text/event-stream': { schema: {} } } });

  app.post(
    `${base}/messages`,
    {
      config: { auth: o.auth, conversationParam: param },
      schema: {
        hide,
        tags,
        security,
        summary: `${labels.send} · Send a message and wait for the reply`,
        description:
          'Optional `Idempotency-Key` header: a retry with the same key and body replays the stored response (`Idempotency-Replayed: true`).',
        params: Params,
        body: Type.Ref('MessageCreateRequest'),
        response: { 200: Type.Ref('SendMessageResult'), ...sendErrors },
      },
    },
    async (req, reply) => {
      const c = ctx(req, reply);
      // a stored response is replayed only to callers who may use this conversation (without a
      // key there is no replay, and the send itself checks the same before anything runs)
      if (headerValue(req, 'idempotency-key') !== undefined) await services.messages.authorise(c, id(req));
      return replyIdempotent(
        services,
        req,
        reply,
        { workspaceId: c.principal.workspaceId, scope: `${labels.send}:${id(req)}` },
        (started) => services.messages.sendMessage(c, id(req), req.body as never, started),
      );
    },
  );

  app.post(
    `${base}/messages/stream`,
    {
      config: { auth: o.auth, conversationParam: param },
      schema: {
        hide,
        tags,
        security,
        summary: `${labels.stream} · Send a message and stream the reply (SSE)`,
        description:
          'Events: stream.started, message.created, agent_message.delta, agent_message.completed | error, done. Every event has an id; resume from Last-Event-ID.',
        params: Params,
        body: Type.Ref('MessageCreateRequest'),
        produces: ['text/event-stream'],
        response: { 200: sse('text/event-stream of quintus.md §6 events'), ...sendErrors },
      },
    },
    async (req, reply) => {
      const { streamId } = await services.messages.streamMessage(
        ctx(req, reply),
        id(req),
        req.body as never,
        param,
      );
      await sendSse(req, reply, (signal) => services.runtime.hub.read(streamId, 0, signal));
    },
  );

  app.get(
    `${base}/messages`,
    {
      config: { auth: o.auth },
      schema: {
        hide,
        tags,
        security,
        summary: `${labels.list} · List messages (oldest first)`,
        params: Params,
        querystring: MessageListQuery,
        response: { 200: PageSchema(Type.Ref('Message')), ...errorResponses(...common, 404, 422) },
      },
    },
    async (req, reply) => services.messages.listMessages(ctx(req, reply), id(req), req.query),
  );

  app.get(
    `${base}/messages/:message_id`,
    {
      config: { auth: o.auth },
      schema: {
        hide,
        tags,
        security,
        summary: `${labels.get} · Get one message (any role)`,
        params: Type.Object({ [param]: idSchema(), message_id: Type.String() }),
        response: { 200: Type.Ref('Message'), ...errorResponses(...common, 404) },
      },
    },
    async (req, reply) =>
      services.messages.getMessage(
        ctx(req, reply),
        id(req),
        (req.params as { message_id: string }).message_id,
      ),
  );

  app.get(
    `${base}/streams/:stream_id`,
    {
      config: { auth: o.auth },
      schema: {
        hide,
        tags,
        security,
        summary: `${labels.resume} · Resume a stream from Last-Event-ID`,
        params: Type.Object({ [param]: idSchema(), stream_id: Type.String() }),
        querystring: Type.Object({ last_event_id: Type.Optional(Type.String()) }),
        produces: ['text/event-stream'],
        response: {
          200: sse('the remaining events, then live ones until done'),
          ...errorResponses(...common, 404),
        },
      },
    },
    async (req, reply) => {
      const after = lastEventId(headerValue(req, 'last-event-id'), req.query.last_event_id);
      const streamId = (req.params as { stream_id: string }).stream_id;
      await services.messages.openStream(ctx(req, reply), id(req), streamId);
      await sendSse(req, reply, (signal) => services.runtime.hub.read(streamId, after, signal));
    },
  );
}
