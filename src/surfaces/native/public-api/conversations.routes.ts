import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { headerValue } from '../../../platform/http/headers.js';
import type { App } from '../../../platform/http/types.js';
import { errorResponses } from '../errors.js';
import { DateTime, FreeObject, Nullable } from '../schemas.js';
import type { PublicApiDeps } from './index.js';

const SessionToken = Type.Object(
  {
    session_token: Type.String({ description: 'Bearer token for every call inside the conversation.' }),
    expires_at: Type.String({ format: 'date-time', description: 'Token expiry.' }),
    expires_in: Type.Integer({ description: 'Seconds until the token expires.' }),
  },
  { $id: 'SessionToken' },
);

const ConversationCreated = Type.Object({
  id: Type.String(),
  agent_id: Type.String(),
  session_token: Type.String(),
  expires_at: Type.String({ format: 'date-time', description: 'Token expiry.' }),
  expires_in: Type.Integer(),
  created_at: DateTime,
});

export const ConversationState = Type.Object(
  {
    id: Type.String(),
    agent_id: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('closed'), Type.Literal('expired')]),
    messages_count: Type.Integer({ description: 'Visible (user + assistant) messages.' }),
    created_at: DateTime,
    updated_at: DateTime,
    expires_at: Type.String({
      format: 'date-time',
      description: 'Conversation expiry: last activity + idle TTL.',
    }),
    closed_at: Nullable(DateTime),
    user_data: FreeObject(),
    metadata: FreeObject(),
  },
  { $id: 'ConversationState' },
);

const AgentProfile = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    greeting: Nullable(Type.String({ description: 'First assistant message a widget shows.' })),
    avatar_url: Nullable(Type.String()),
    available: Type.Boolean({
      description: 'Whether a conversation can be started now (the agent is active and published).',
    }),
  },
  { $id: 'PublicAgentProfile' },
);

const CreateBody = Type.Object({
  agent_id: Type.String({ format: 'uuid', description: 'Agent to talk to.' }),
  user_data: Type.Optional(
    FreeObject(
      'End-user identification, not shown to the model; a string `external_id` becomes the external user id.',
    ),
  ),
  context: Type.Optional(FreeObject("Injected into the agent's system context.")),
  metadata: Type.Optional(FreeObject('Integrator storage, not seen by the agent.')),
});

const Conversation = Type.Object({ conversation_id: Type.String({ description: 'Conversation id' }) });
const tags = ['Public Chat API · Conversations'];
const keySecurity = [{ ApiKey: [] }];
export const tokenSecurity = [{ SessionToken: [] }];
const origin = (req: FastifyRequest) => headerValue(req, 'origin');

export const publicConversationSchemas = [SessionToken, ConversationState, AgentProfile];

export function conversationRoutes(app: App, { services, ctx }: PublicApiDeps): void {
  const svc = services.publicConversations;

  app.get(
    '/:agent_id/profile',
    {
      config: { auth: 'public-key' },
      schema: {
        tags,
        security: keySecurity,
        summary: "Papo extension · An agent's public profile (greeting, name) for chat widgets",
        description:
          'What a widget shows before the first message: no conversation is created. Same key, `Origin` and allow-list checks as P1.',
        params: Type.Object({ agent_id: Type.String({ description: 'Agent id' }) }),
        response: { 200: Type.Ref('PublicAgentProfile'), ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (req, reply) => svc.getAgentProfile(ctx(req, reply), req.params.agent_id, origin(req)),
  );

  app.post(
    '/conversations',
    {
      config: { auth: 'public-key' },
      schema: {
        tags,
        security: keySecurity,
        summary: 'P1 · Create a conversation (public key, or a secret key from a backend)',
        body: CreateBody,
        response: { 200: ConversationCreated, ...errorResponses(400, 401, 403, 404, 409, 413, 422, 429) },
      },
    },
    async (req, reply) => svc.createConversation(ctx(req, reply), req.body, origin(req)),
  );

  app.get(
    '/conversations/:conversation_id',
    {
      config: { auth: 'session-token' },
      schema: {
        tags,
        security: tokenSecurity,
        summary: 'P2 · Get the conversation state (restore a widget after a reload)',
        params: Conversation,
        response: { 200: Type.Ref('ConversationState'), ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (req, reply) => svc.getState(ctx(req, reply), req.params.conversation_id),
  );

  app.post(
    '/conversations/:conversation_id/token/refresh',
    {
      config: { auth: 'public-key', optionalBody: true },
      schema: {
        tags,
        security: keySecurity,
        summary: 'P3 · Refresh the session token (older tokens stay valid until they expire)',
        params: Conversation,
        response: { 200: Type.Ref('SessionToken'), ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (req, reply) => svc.refreshToken(ctx(req, reply), req.params.conversation_id, origin(req)),
  );

  app.post(
    '/conversations/:conversation_id/terminate',
    {
      config: { auth: 'session-token', optionalBody: true },
      schema: {
        tags,
        security: tokenSecurity,
        summary: 'P4 · Terminate the conversation (idempotent; returns the stored closing)',
        params: Conversation,
        body: Type.Object({ reason: Type.Optional(Nullable(Type.String({ maxLength: 500 }))) }),
        response: { 200: Type.Ref('Termination'), ...errorResponses(400, 401, 403, 404, 422, 429) },
      },
    },
    async (req, reply) => svc.terminate(ctx(req, reply), req.params.conversation_id, req.body.reason ?? null),
  );
}
