import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Config } from '../../../config.js';
import type { Services } from '../../../services.js';
import type { KnowledgeService } from '../../../features/knowledge/knowledge.service.js';
import type { KnowledgeBase } from '../../../features/knowledge/knowledge.types.js';
import { assertAgentAllowed } from '../../../features/keys/principal.js';
import { PageQuery, PageSchema } from '../../../platform/http/pagination.js';
import type { App } from '../../../platform/http/types.js';
import { nativeAuthHook } from '../auth.js';
import { errorResponses, sendNativeError } from '../errors.js';
import { DateTime, FreeObject, Nullable } from '../schemas.js';
import { adminSecurity, scopedWorkspace } from './index.js';
import { knowledgeContentRoutes } from './knowledge-content.routes.js';

const fields = {
  name: Type.String({ minLength: 1, maxLength: 150, description: 'Unique per workspace, case-insensitive.' }),
  description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  metadata: Type.Optional(FreeObject('Operator storage (≤16 KiB).')),
};

const KnowledgeBaseOut = Type.Object({
  id: Type.String(),
  workspace_id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  metadata: FreeObject(),
  records_count: Type.Integer({ description: 'Text records (manual and file chunks).' }),
  files_count: Type.Integer({ description: 'Uploaded files (EvaGPT dataset files).' }),
  created_at: DateTime,
  updated_at: DateTime,
});

const Links = Type.Object({
  agent_id: Type.String(),
  knowledge_base_ids: Type.Array(Type.String()),
});

const WsParams = Type.Object({ workspace_id: Type.String() });
const KbParams = Type.Object({ workspace_id: Type.String(), knowledge_base_id: Type.String() });
const AgentParams = Type.Object({ workspace_id: Type.String(), agent_id: Type.String() });
const tags = ['Admin · Knowledge bases'];
const config = { auth: 'admin' as const };

function toWire(b: KnowledgeBase): Static<typeof KnowledgeBaseOut> {
  return {
    id: b.id,
    workspace_id: b.workspaceId,
    name: b.name,
    description: b.description,
    metadata: b.metadata,
    records_count: b.records,
    files_count: b.files,
    created_at: b.createdAt.toISOString(),
    updated_at: b.updatedAt.toISOString(),
  };
}

function scopedAgent(req: FastifyRequest, workspaceId: string, agentId: string): string {
  const scope = scopedWorkspace(req, workspaceId);
  if (req.principal?.kind === 'key') assertAgentAllowed(req.principal, agentId);
  return scope.workspaceId;
}

export interface KnowledgeBaseAdminOptions {
  services: Services;
  config: Config;
  knowledge: KnowledgeService;
}

/**
 * Management API for knowledge bases (README §8: created in the dashboard; Papo extension of
 * admin.md): CRUD, and which knowledge bases an agent searches. Registered with prefix
 * /v1/admin, with the native admin auth and error envelope.
 */
export const knowledgeBaseAdminApi: FastifyPluginAsync<KnowledgeBaseAdminOptions> = async (fastify, opts) => {
  const app = fastify as unknown as App;
  const { services, knowledge } = opts;
  app.setErrorHandler((err, req, reply) => sendNativeError(err, req, reply));
  app.addHook(
    'onRequest',
    nativeAuthHook({
      config: opts.config,
      keys: services.keys,
      tokens: services.sessionTokens,
      operator: services.operator,
      rateLimits: services.runtime.rateLimits,
    }),
  );
  const kb = knowledge.bases;

  app.post(
    '/workspaces/:workspace_id/knowledge-bases',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Create a knowledge base (EvaGPT dataset)',
        params: WsParams,
        body: Type.Object(fields),
        response: { 200: KnowledgeBaseOut, ...errorResponses(400, 401, 403, 404, 413, 422) },
      },
    },
    async (req) =>
      toWire(await kb.createBase(scopedWorkspace(req, req.params.workspace_id).workspaceId, req.body)),
  );

  app.get(
    '/workspaces/:workspace_id/knowledge-bases',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'List knowledge bases (newest first)',
        params: WsParams,
        querystring: Type.Composite([
          PageQuery,
          Type.Object({ search: Type.Optional(Type.String({ maxLength: 150 })) }),
        ]),
        response: { 200: PageSchema(KnowledgeBaseOut), ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (req) => {
      const page = await kb.listBasesPage(
        scopedWorkspace(req, req.params.workspace_id).workspaceId,
        req.query,
      );
      return { items: page.items.map(toWire), next_offset: page.next_offset };
    },
  );

  app.get(
    '/workspaces/:workspace_id/knowledge-bases/:knowledge_base_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Get a knowledge base',
        params: KbParams,
        response: { 200: KnowledgeBaseOut, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) =>
      toWire(
        await kb.getBase(
          scopedWorkspace(req, req.params.workspace_id).workspaceId,
          req.params.knowledge_base_id,
        ),
      ),
  );

  app.patch(
    '/workspaces/:workspace_id/knowledge-bases/:knowledge_base_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Update a knowledge base',
        params: KbParams,
        body: Type.Partial(Type.Object(fields)),
        response: { 200: KnowledgeBaseOut, ...errorResponses(400, 401, 403, 404, 413, 422) },
      },
    },
    async (req) =>
      toWire(
        await kb.updateBase(
          scopedWorkspace(req, req.params.workspace_id).workspaceId,
          req.params.knowledge_base_id,
          req.body ?? {},
        ),
      ),
  );

  app.delete(
    '/workspaces/:workspace_id/knowledge-bases/:knowledge_base_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Delete a knowledge base (soft; agents linked to it stop searching it)',
        params: KbParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await kb.deleteBase(
        scopedWorkspace(req, req.params.workspace_id).workspaceId,
        req.params.knowledge_base_id,
      );
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/workspaces/:workspace_id/agents/:agent_id/knowledge-bases',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'The knowledge bases an agent searches',
        params: AgentParams,
        response: { 200: Links, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => {
      const ws = scopedAgent(req, req.params.workspace_id, req.params.agent_id);
      return {
        agent_id: req.params.agent_id,
        knowledge_base_ids: await kb.getAgentBases(ws, req.params.agent_id),
      };
    },
  );

  app.put(
    '/workspaces/:workspace_id/agents/:agent_id/knowledge-bases',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Link an agent to knowledge bases (replaces the list; the agent gets knowledge_search)',
        params: AgentParams,
        body: Type.Object({
          knowledge_base_ids: Type.Array(Type.String(), {
            maxItems: 50,
            description: 'Knowledge bases of the workspace; `[]` unlinks all.',
          }),
        }),
        response: { 200: Links, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (req) => {
      const ws = scopedAgent(req, req.params.workspace_id, req.params.agent_id);
      const ids = await kb.setAgentBases(ws, req.params.agent_id, req.body.knowledge_base_ids);
      return { agent_id: req.params.agent_id, knowledge_base_ids: ids };
    },
  );

  knowledgeContentRoutes(app, knowledge, services.runtime.rateLimits);
};
