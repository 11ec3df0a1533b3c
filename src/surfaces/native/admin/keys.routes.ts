import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { PageQuery, PageSchema } from '../../../platform/http/pagination.js';
import type { App } from '../../../platform/http/types.js';
import { errorResponses } from '../errors.js';
import { DateTime, Nullable } from '../schemas.js';
import { adminSecurity, scopedWorkspace, type AdminDeps } from './index.js';
import { AppError } from '../../../platform/errors.js';

const Scope = Type.Union([Type.Literal('agent:run'), Type.Literal('admin')]);
const ApiKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.Union([Type.Literal('secret'), Type.Literal('public')]),
  prefix: Type.String({ description: 'First 12 characters of the key, for display.' }),
  scopes: Type.Array(Type.String()),
  agent_ids: Nullable(Type.Array(Type.String())),
  allowed_origins: Nullable(Type.Array(Type.String())),
  rate_limit_per_minute: Nullable(Type.Integer()),
  created_at: DateTime,
  last_used_at: Nullable(DateTime),
  revoked_at: Nullable(DateTime),
});
const CreatedKey = Type.Composite([
  ApiKey,
  Type.Object({ key: Type.String({ description: 'The full key. Shown only in this response.' }) }),
]);
const CreateKeyBody = Type.Object({
  type: Type.Union([Type.Literal('secret'), Type.Literal('public')]),
  name: Type.String({ minLength: 1, maxLength: 150 }),
  scopes: Type.Optional(
    Type.Array(Scope, { maxItems: 2, description: 'Secret keys only; default ["agent:run"].' }),
  ),
  agent_ids: Type.Optional(Nullable(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 1000 }))),
  allowed_origins: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 300 }), { maxItems: 100 }))),
  rate_limit_per_minute: Type.Optional(
    Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Overrides the server default.' })),
  ),
});
const tags = ['Admin · API keys'];
const config = { auth: 'admin' as const };

/**
 * Keys are managed by the operator or by admin keys that reach every agent: a key limited to
 * some agents could otherwise mint or revoke keys wider than itself.
 */
function keyManager(req: FastifyRequest, workspaceId: string): string {
  const scope = scopedWorkspace(req, workspaceId);
  if (scope.agentIds) {
    // Same context shape as every agent_not_allowed (quintus.md §4.2); no single agent is at fault.
    throw new AppError('agent_not_allowed', 'A key limited to some agents cannot manage API keys.', {
      agent_id: null,
    });
  }
  return scope.workspaceId;
}

export function keyAdminRoutes(app: App, { services }: AdminDeps): void {
  app.post(
    '/workspaces/:workspace_id/api-keys',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Create an API key (the plaintext is returned once)',
        params: Type.Object({ workspace_id: Type.String() }),
        body: CreateKeyBody,
        response: { 200: CreatedKey, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (req) => services.keys.createKey(keyManager(req, req.params.workspace_id), req.body),
  );

  app.get(
    '/workspaces/:workspace_id/api-keys',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'List API keys (never the plaintext)',
        params: Type.Object({ workspace_id: Type.String() }),
        querystring: PageQuery,
        response: { 200: PageSchema(ApiKey), ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (req) => services.keys.listKeys(keyManager(req, req.params.workspace_id), req.query),
  );

  app.delete(
    '/workspaces/:workspace_id/api-keys/:key_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Revoke an API key (refused from the next request on)',
        params: Type.Object({ workspace_id: Type.String(), key_id: Type.String() }),
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await services.keys.revokeKey(keyManager(req, req.params.workspace_id), req.params.key_id);
      return reply.status(204).send(null);
    },
  );
}
