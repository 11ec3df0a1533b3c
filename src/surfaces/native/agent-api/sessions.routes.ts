import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { assertAgentAllowed } from '../../../features/keys/principal.js';
import { PageQuery, PageSchema } from '../../../platform/http/pagination.js';
import type { App } from '../../../platform/http/types.js';
import { keyPrincipal } from '../auth.js';
import { errorResponses } from '../errors.js';
import { DateTime, FreeObject, IdParam, Nullable, SessionUser } from '../schemas.js';
import type { AgentApiDeps } from './index.js';

const Status = Type.Union([Type.Literal('active'), Type.Literal('closed'), Type.Literal('expired')]);

export const Session = Type.Object(
  {
    id: Type.String(),
    agent_id: Type.String(),
    status: Status,
    created_at: DateTime,
    updated_at: DateTime,
    user: Nullable(Type.Object({ id: Type.String(), reference: Nullable(Type.String()) })),
    messages_count: Type.Integer(),
    last_message_at: Nullable(DateTime),
    closed_at: Nullable(DateTime),
    expires_at: Type.String({ format: 'date-time', description: 'Last activity + the agent idle TTL.' }),
    context: FreeObject(),
    metadata: FreeObject(),
  },
  { $id: 'Session' },
);

export const Termination = Type.Object(
  {
    id: Type.String(),
    status: Type.Literal('closed'),
    closed_at: DateTime,
    reason: Nullable(Type.String()),
  },
  { $id: 'Termination' },
);

const CreateSessionBody = Type.Object({
  user: Type.Optional(SessionUser),
  context: Type.Optional(FreeObject('Injected into the system context as a <context> JSON block.')),
  metadata: Type.Optional(FreeObject('Integrator storage, not seen by the agent.')),
  is_test: Type.Optional(
    Type.Boolean({
      description:
        'Papo extension: marks a test conversation (e.g. the dashboard playground), hidden from the dashboard inbox by default; the management API shows it as `is_test`.',
    }),
  ),
});

const SessionListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    agent_id: Type.Optional(Type.String({ format: 'uuid' })),
    user_id: Type.Optional(Type.String({ format: 'uuid' })),
    user_reference: Type.Optional(Type.String()),
    status: Type.Optional(Status),
    created_after: Type.Optional(DateTime),
    created_before: Type.Optional(DateTime),
  }),
]);

const TerminateBody = Type.Object({ reason: Type.Optional(Nullable(Type.String({ maxLength: 500 }))) });

/**
 * README §5 check order: the allow-list is checked before the body is validated when the agent
 * is named in the path (A6, A17), so a forbidden agent answers 403 whatever the body.
 */
export async function agentInPathAllowed(req: FastifyRequest): Promise<void> {
  assertAgentAllowed(keyPrincipal(req), (req.params as { agent_id: string }).agent_id);
}

const tags = ['Agent API · Sessions'];
const security = [{ ApiKey: [] }];
const common = [400, 401, 403, 429];

export function sessionRoutes(app: App, { services, ctx, hide }: AgentApiDeps): void {
  app.post(
    '/:agent_id/sessions',
    {
      config: { auth: 'agent-key', optionalBody: true },
      preValidation: agentInPathAllowed,
      schema: {
        hide,
        tags,
        security,
        summary: 'A6 · Create a session with an agent',
        params: IdParam('agent_id', 'Agent id'),
        body: CreateSessionBody,
        response: { 200: Type.Ref('Session'), ...errorResponses(...common, 404, 409, 413, 422) },
      },
    },
    async (req, reply) => services.sessions.createSession(ctx(req, reply), req.params.agent_id, req.body),
  );

  app.get(
    '/sessions',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A7 · List sessions (every conversation of the workspace, newest first)',
        querystring: SessionListQuery,
        response: { 200: PageSchema(Type.Ref('Session')), ...errorResponses(...common, 422) },
      },
    },
    async (req, reply) => services.sessions.listSessions(ctx(req, reply), req.query),
  );

  app.get(
    '/sessions/:session_id',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A8 · Get a session',
        params: IdParam('session_id', 'Session id'),
        response: { 200: Type.Ref('Session'), ...errorResponses(...common, 404) },
      },
    },
    async (req, reply) => services.sessions.getSession(ctx(req, reply), req.params.session_id),
  );

  app.post(
    '/sessions/:session_id/terminate',
    {
      config: { auth: 'agent-key', optionalBody: true },
      schema: {
        hide,
        tags,
        security,
        summary: 'A9 · Terminate a session (idempotent; returns the stored closing)',
        params: IdParam('session_id', 'Session id'),
        body: TerminateBody,
        response: { 200: Type.Ref('Termination'), ...errorResponses(...common, 404, 422) },
      },
    },
    async (req, reply) =>
      services.sessions.terminateSession(ctx(req, reply), req.params.session_id, req.body?.reason ?? null),
  );
}
