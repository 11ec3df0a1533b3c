import type { FastifyRequest } from 'fastify';
import { keyPrincipal } from '../native/auth.js';
import type { App } from '../../platform/http/types.js';
import { validationError } from './errors.js';
import {
  AgentListQuery,
  AgentParams,
  CreateAgentBody,
  EmptyBody,
  Paginated,
  pageQuery,
  PublicAgent,
  PublicAgentListItem,
  PublicAgentModel,
  PublicAgentPrompt,
  PublicAgentVersionListItem,
  PublicAgentVersionSnapshot,
  PublishBody,
  UpdateAgentBody,
  UpdateModelBody,
  UpdatePromptBody,
  VersionParams,
} from './schemas.js';
import { Type } from '@sinclair/typebox';
import type { GenniaRouteDeps } from './routes.js';

/** `versionNumber`: an int32 ≥ 1, else 400 (gennia.md §4.8). */
function versionNumber(raw: string): number {
  if (!/^\d{1,10}$/.test(raw) || Number(raw) < 1 || Number(raw) > 2_147_483_647) {
    throw validationError([{ field: 'versionNumber', message: 'must be an integer from 1 to 2147483647' }]);
  }
  return Number(raw);
}

/** gennia.md §4: agents, their draft, versions, model and prompt. */
export function agentRoutes(app: App, { agents }: GenniaRouteDeps): void {
  const read = { genniaScope: 'agent:run' as const };
  const write = { genniaScope: 'admin' as const };
  const p = (req: FastifyRequest) => keyPrincipal(req);
  const one = { hide: true, params: AgentParams };

  app.get(
    '/agents',
    {
      config: read,
      schema: { hide: true, querystring: AgentListQuery, response: { 200: Paginated(PublicAgentListItem) } },
    },
    async (req) => agents.list(p(req), req.query),
  );

  app.post(
    '/agents',
    { config: write, schema: { hide: true, body: CreateAgentBody, response: { 201: PublicAgent } } },
    async (req, reply) => reply.status(201).send(await agents.create(p(req), req.body)),
  );

  app.get(
    '/agents/:agentPublicId',
    { config: read, schema: { ...one, response: { 200: PublicAgent } } },
    async (req) => agents.get(p(req), req.params.agentPublicId),
  );

  app.patch(
    '/agents/:agentPublicId',
    { config: write, schema: { ...one, body: UpdateAgentBody, response: { 200: PublicAgent } } },
    async (req) => agents.update(p(req), req.params.agentPublicId, req.body),
  );

  app.delete('/agents/:agentPublicId', { config: write, schema: one }, async (req, reply) => {
    await agents.remove(p(req), req.params.agentPublicId);
    return reply.status(204).send();
  });

  app.post(
    '/agents/:agentPublicId/publish',
    {
      config: { ...write, optionalBody: true },
      schema: { ...one, body: PublishBody, response: { 200: PublicAgent } },
    },
    async (req) => agents.publish(p(req), req.params.agentPublicId, req.body.notes),
  );

  app.get(
    '/agents/:agentPublicId/versions',
    {
      config: read,
      schema: {
        ...one,
        querystring: Type.Object(pageQuery()),
        response: { 200: Paginated(PublicAgentVersionListItem) },
      },
    },
    async (req) => agents.versions(p(req), req.params.agentPublicId, req.query),
  );

  app.get(
    '/agents/:agentPublicId/versions/published',
    { config: read, schema: { ...one, response: { 200: PublicAgentVersionSnapshot } } },
    async (req) => agents.version(p(req), req.params.agentPublicId, 'published'),
  );

  app.get(
    '/agents/:agentPublicId/versions/:versionNumber',
    {
      config: read,
      schema: { hide: true, params: VersionParams, response: { 200: PublicAgentVersionSnapshot } },
    },
    async (req) => agents.version(p(req), req.params.agentPublicId, versionNumber(req.params.versionNumber)),
  );

  app.post(
    '/agents/:agentPublicId/versions/:versionNumber/restore',
    {
      config: { ...write, optionalBody: true },
      schema: { hide: true, params: VersionParams, body: EmptyBody, response: { 200: PublicAgent } },
    },
    async (req) => agents.restore(p(req), req.params.agentPublicId, versionNumber(req.params.versionNumber)),
  );

  app.get(
    '/agents/:agentPublicId/model',
    { config: read, schema: { ...one, response: { 200: PublicAgentModel } } },
    async (req) => agents.getModel(p(req), req.params.agentPublicId),
  );

  app.patch(
    '/agents/:agentPublicId/model',
    { config: write, schema: { ...one, body: UpdateModelBody, response: { 200: PublicAgentModel } } },
    async (req) => agents.updateModel(p(req), req.params.agentPublicId, req.body),
  );

  app.get(
    '/agents/:agentPublicId/prompt',
    { config: read, schema: { ...one, response: { 200: PublicAgentPrompt } } },
    async (req) => agents.getPrompt(p(req), req.params.agentPublicId),
  );

  app.patch(
    '/agents/:agentPublicId/prompt',
    { config: write, schema: { ...one, body: UpdatePromptBody, response: { 200: PublicAgentPrompt } } },
    async (req) => agents.updatePrompt(p(req), req.params.agentPublicId, req.body),
  );
}
