import { Type } from '@sinclair/typebox';
import { InvalidRequestError } from '../../../platform/errors.js';
import { headerValue } from '../../../platform/http/headers.js';
import { PageQuery, PageSchema } from '../../../platform/http/pagination.js';
import { sendSse } from '../../../platform/http/sse.js';
import type { App } from '../../../platform/http/types.js';
import { errorResponses } from '../errors.js';
import { replyIdempotent } from '../idempotent.js';
import { IdParam } from '../schemas.js';
import type { AgentApiDeps } from './index.js';

const SessionId = IdParam('session_id', 'Session id');
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

const tags = ['Agent API · Messages'];
const security = [{ ApiKey: [] }];
const common = [400, 401, 403, 429];
const sendErrors = errorResponses(...common, 404, 409, 413, 422, 502, 503, 504);

/** Parses Last-Event-ID (header, or `last_event_id` query); absent = from the start. */
export function lastEventId(header: string | undefined, query: string | undefined): number {
  const raw = header ?? query;
  if (raw === undefined) return 0;
  if (!/^\d{1,9}$/.test(raw.trim()))
    throw new InvalidRequestError('Last-Event-ID must be a non-negative integer.');
  return Number(raw.trim());
}

export function messageRoutes(app: App, { services, ctx, hide }: AgentApiDeps): void {
  app.post(
    '/sessions/:session_id/messages',
    {
      config: { auth: 'agent-key', conversationParam: 'session_id' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A10 · Send a message and wait for the reply',
        description:
          'Optional `Idempotency-Key` header: a retry with the same key and body replays the stored response (`Idempotency-Replayed: true`).',
        params: SessionId,
        body: Type.Ref('MessageCreateRequest'),
        response: { 200: Type.Ref('SendMessageResult'), ...sendErrors },
      },
    },
    async (req, reply) => {
      const c = ctx(req, reply);
      // a stored response is replayed only to callers who may use this session
      await services.messages.authorise(c, req.params.session_id);
      return replyIdempotent(
        services,
        req,
        reply,
        { workspaceId: c.principal.workspaceId, scope: `A10:${req.params.session_id}` },
        (started) => services.messages.sendMessage(c, req.params.session_id, req.body as never, started),
      );
    },
  );

  app.post(
    '/sessions/:session_id/messages/stream',
    {
      config: { auth: 'agent-key', conversationParam: 'session_id' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A11 · Send a message and stream the reply (SSE)',
        description:
          'Events: stream.started, message.created, agent_message.delta, agent_message.completed | error, done. Every event has an id; resume with A20.',
        params: SessionId,
        body: Type.Ref('MessageCreateRequest'),
        produces: ['text/event-stream'],
        response: {
          200: {
            description: 'text/event-stream of quintus.md §6 events',
            content: { 'text/event-stream': { schema: {} } },
          },
          ...sendErrors,
        },
      },
    },
    async (req, reply) => {
      const { streamId } = await services.messages.streamMessage(
        ctx(req, reply),
        req.params.session_id,
        req.body as never,
      );
      await sendSse(req, reply, (signal) => services.runtime.hub.read(streamId, 0, signal));
    },
  );

  app.get(
    '/sessions/:session_id/messages',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A18 · List session messages (oldest first)',
        params: SessionId,
        querystring: MessageListQuery,
        response: { 200: PageSchema(Type.Ref('Message')), ...errorResponses(...common, 404, 422) },
      },
    },
    async (req, reply) => services.messages.listMessages(ctx(req, reply), req.params.session_id, req.query),
  );

  app.get(
    '/sessions/:session_id/messages/:message_id',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A12 · Get one message (any role)',
        params: Type.Object({ session_id: Type.String(), message_id: Type.String() }),
        response: { 200: Type.Ref('Message'), ...errorResponses(...common, 404) },
      },
    },
    async (req, reply) =>
      services.messages.getMessage(ctx(req, reply), req.params.session_id, req.params.message_id),
  );

  app.get(
    '/sessions/:session_id/streams/:stream_id',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A20 · Resume a session stream from Last-Event-ID',
        params: Type.Object({ session_id: Type.String(), stream_id: Type.String() }),
        querystring: Type.Object({ last_event_id: Type.Optional(Type.String()) }),
        produces: ['text/event-stream'],
        response: {
          200: {
            description: 'the remaining events, then live ones until done',
            content: { 'text/event-stream': { schema: {} } },
          },
          ...errorResponses(...common, 404),
        },
      },
    },
    async (req, reply) => {
      const after = lastEventId(headerValue(req, 'last-event-id'), req.query.last_event_id);
      await services.messages.openStream(ctx(req, reply), req.params.session_id, req.params.stream_id);
      await sendSse(req, reply, (signal) => services.runtime.hub.read(req.params.stream_id, after, signal));
    },
  );
}
