import { Type } from '@sinclair/typebox';
import { assertAgentAllowed } from '../../../features/keys/principal.js';
import { AppError } from '../../../platform/errors.js';
import { PageQuery, PageSchema } from '../../../platform/http/pagination.js';
import type { App } from '../../../platform/http/types.js';
import type { FastifyRequest } from 'fastify';
import { errorResponses } from '../errors.js';
import { DateTime, FreeObject, Nullable } from '../schemas.js';
import { adminSecurity, scopedWorkspace, type AdminDeps } from './index.js';

const OutputFormat = Type.Union([
  Type.Literal('markdown'),
  Type.Literal('plain'),
  Type.Literal('whatsapp'),
  Type.Literal('slack'),
]);
const Status = Type.Union([
  Type.Literal('draft'),
  Type.Literal('active'),
  Type.Literal('inactive'),
  Type.Literal('archived'),
]);
const Inactivity = Type.Object({
  warning_message: Type.Optional(Type.String({ maxLength: 4000 })),
  final_message: Type.Optional(Type.String({ maxLength: 4000 })),
  warning_instructions: Type.Optional(Type.String({ maxLength: 4000 })),
  final_instructions: Type.Optional(Type.String({ maxLength: 4000 })),
  close_on_final: Type.Optional(Type.Boolean({ default: true })),
});
const RateLimitsIn = Type.Object({
  requests_per_minute: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  messages_per_minute_per_conversation: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
});

const fields = {
  name: Type.String({ minLength: 1, maxLength: 150, description: 'Unique per workspace, case-insensitive.' }),
  description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  instructions: Type.String({ maxLength: 200_000, description: 'The system prompt.' }),
  model: Type.Optional(
    Type.String({ pattern: '^[a-z0-9-]+:.+$', description: '`provider:model-id`; default demo:papo-demo.' }),
  ),
  temperature: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 2 }))),
  max_output_tokens: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000 }))),
  greeting: Type.Optional(Nullable(Type.String({ maxLength: 4000 }))),
  history_limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  idle_ttl_seconds: Type.Optional(Type.Integer({ minimum: 300, maximum: 2_592_000 })),
  session_token_ttl_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400 })),
  inactivity: Type.Optional(Inactivity),
  output_format: Type.Optional(OutputFormat),
  rate_limits: Type.Optional(RateLimitsIn),
  metadata: Type.Optional(FreeObject('Operator storage.')),
  status: Type.Optional(Status),
};
const AgentInput = Type.Object(fields);
const AgentPatch = Type.Partial(Type.Object(fields));

const Agent = Type.Object({
  id: Type.String(),
  workspace_id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  instructions: Type.String(),
  model: Type.String(),
  temperature: Nullable(Type.Number()),
  max_output_tokens: Nullable(Type.Integer()),
  greeting: Nullable(Type.String()),
  history_limit: Type.Integer(),
  idle_ttl_seconds: Type.Integer(),
  session_token_ttl_seconds: Type.Integer(),
  inactivity: Type.Object({ close_on_final: Type.Boolean() }, { additionalProperties: true }),
  output_format: OutputFormat,
  rate_limits: Type.Object({}, { additionalProperties: true }),
  metadata: FreeObject(),
  status: Status,
  published_version: Type.Integer({ description: 'Latest published version (1, 2, …).' }),
  created_at: DateTime,
  updated_at: DateTime,
});

const AgentVersion = Type.Object({
  version: Type.Integer({ description: 'Version number (1, 2, …).' }),
  instructions: Type.String(),
  model: Type.String(),
  temperature: Nullable(Type.Number()),
  max_output_tokens: Nullable(Type.Integer()),
  notes: Nullable(
    Type.String({ description: 'Why it was published: release notes, or `Restored from version N`.' }),
  ),
  created_at: DateTime,
});

const AgentParams = Type.Object({ workspace_id: Type.String(), agent_id: Type.String() });
const tags = ['Admin · Agents'];
const config = { auth: 'admin' as const };

function scopedAgent(req: FastifyRequest, workspaceId: string, agentId: string): string {
  const scope = scopedWorkspace(req, workspaceId);
  if (req.principal?.kind === 'key') assertAgentAllowed(req.principal, agentId);
  return scope.workspaceId;
}

export function agentAdminRoutes(app: App, { services }: AdminDeps): void {
  app.post(
    '/workspaces/:workspace_id/agents',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Create an agent (published at once as version 1)',
        params: Type.Object({ workspace_id: Type.String() }),
        body: AgentInput,
        response: { 200: Agent, ...errorResponses(400, 401, 403, 404, 413, 422) },
      },
    },
    async (req) => {
      const scope = scopedWorkspace(req, req.params.workspace_id);
      if (scope.agentIds) {
        throw new AppError('agent_not_allowed', 'A key limited to some agents cannot create agents.', {
          agent_id: null,
        });
      }
      return services.agents.createAgent(scope.workspaceId, req.body);
    },
  );

  app.get(
    '/workspaces/:workspace_id/agents',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'List agents (newest first)',
        params: Type.Object({ workspace_id: Type.String() }),
        querystring: Type.Composite([
          PageQuery,
          Type.Object({ search: Type.Optional(Type.String({ maxLength: 150 })) }),
        ]),
        response: { 200: PageSchema(Agent), ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (req) => {
      const scope = scopedWorkspace(req, req.params.workspace_id);
      return services.agents.listAgents(scope.workspaceId, { ...req.query, agentIds: scope.agentIds });
    },
  );

  app.get(
    '/workspaces/:workspace_id/agents/:agent_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Get an agent',
        params: AgentParams,
        response: { 200: Agent, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) =>
      services.agents.getAgent(
        scopedAgent(req, req.params.workspace_id, req.params.agent_id),
        req.params.agent_id,
      ),
  );

  app.get(
    '/workspaces/:workspace_id/agents/:agent_id/versions',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'List the published versions of an agent (newest first)',
        params: AgentParams,
        querystring: PageQuery,
        response: { 200: PageSchema(AgentVersion), ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (req) =>
      services.agents.listVersionsPage(
        scopedAgent(req, req.params.workspace_id, req.params.agent_id),
        req.params.agent_id,
        req.query,
      ),
  );

  app.post(
    '/workspaces/:workspace_id/agents/:agent_id/versions/:version/restore',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Roll back to a published version',
        description:
          "The version's instructions, model, temperature and output cap go live as a new version " +
          '(history is never rewritten), and unpublished draft changes are discarded. Nothing is ' +
          'published when the live version already holds those settings.',
        params: Type.Composite([
          AgentParams,
          Type.Object({ version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }),
        ]),
        response: { 200: Agent, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) =>
      services.agents.rollbackAgent(
        scopedAgent(req, req.params.workspace_id, req.params.agent_id),
        req.params.agent_id,
        req.params.version,
      ),
  );

  app.patch(
    '/workspaces/:workspace_id/agents/:agent_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Update an agent (runtime changes publish a new version at once)',
        params: AgentParams,
        body: AgentPatch,
        response: { 200: Agent, ...errorResponses(400, 401, 403, 404, 413, 422) },
      },
    },
    async (req) =>
      services.agents.updateAgent(
        scopedAgent(req, req.params.workspace_id, req.params.agent_id),
        req.params.agent_id,
        req.body ?? {},
      ),
  );

  app.delete(
    '/workspaces/:workspace_id/agents/:agent_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Delete an agent (soft)',
        params: AgentParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await services.agents.deleteAgent(
        scopedAgent(req, req.params.workspace_id, req.params.agent_id),
        req.params.agent_id,
      );
      return reply.status(204).send(null);
    },
  );
}
