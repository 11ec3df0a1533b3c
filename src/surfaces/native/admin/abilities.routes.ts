import { Type, type Static } from '@sinclair/typebox';
import type { Ability } from '../../../features/abilities/abilities.js';
import { invalidField } from '../../../platform/errors.js';
import type { App } from '../../../platform/http/types.js';
import { errorResponses } from '../errors.js';
import { DateTime, Nullable } from '../schemas.js';
import { adminContexts, adminSecurity, type AdminDeps } from './index.js';

const fields = {
  name: Type.String({ minLength: 1, maxLength: 100, description: 'Unique per agent, case-insensitive.' }),
  description: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  instructions: Type.String({ minLength: 1, maxLength: 20_000 }),
};

const AbilityOut = Type.Object({
  id: Type.String(),
  agent_id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  instructions: Type.String(),
  created_at: DateTime,
  updated_at: DateTime,
});

const AgentParams = Type.Object({ workspace_id: Type.String(), agent_id: Type.String() });
const AbilityParams = Type.Object({
  workspace_id: Type.String(),
  agent_id: Type.String(),
  ability_id: Type.String(),
});
const tags = ['Admin · Abilities'];
const config = { auth: 'admin' as const };

function toWire(a: Ability): Static<typeof AbilityOut> {
  return {
    id: a.id,
    agent_id: a.agentId,
    name: a.name,
    description: a.description,
    instructions: a.instructions,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}

const nameTaken = () => invalidField('name', 'another ability of this agent already has this name');

/**
 * Abilities (README §6.3; EvaGPT E3 creates them): named instruction blocks added to the
 * agent's system context, not versioned, applied from the next reply. Papo extension of
 * admin.md so the dashboard can list, edit and delete them (evagpt.md E3 says they are).
 */
export function abilityAdminRoutes(app: App, { services }: AdminDeps): void {
  const ctx = adminContexts(services.runtime.rateLimits);

  app.get(
    '/workspaces/:workspace_id/agents/:agent_id/abilities',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: "An agent's abilities (oldest first, the order of the system context)",
        params: AgentParams,
        response: { 200: Type.Object({ items: Type.Array(AbilityOut) }), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => ({
      items: (await services.abilities.list(ctx(req, reply), req.params.agent_id)).map(toWire),
    }),
  );

  app.post(
    '/workspaces/:workspace_id/agents/:agent_id/abilities',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Add an ability (applies from the next reply)',
        params: AgentParams,
        body: Type.Object(fields),
        response: { 200: AbilityOut, ...errorResponses(400, 401, 403, 404, 413, 422) },
      },
    },
    async (req, reply) => {
      const result = await services.abilities.create(ctx(req, reply), req.params.agent_id, req.body);
      if (!result.ok) throw nameTaken();
      return toWire(result.ability);
    },
  );

  app.patch(
    '/workspaces/:workspace_id/agents/:agent_id/abilities/:ability_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Edit an ability (applies from the next reply)',
        params: AbilityParams,
        body: Type.Partial(Type.Object(fields)),
        response: { 200: AbilityOut, ...errorResponses(400, 401, 403, 404, 413, 422) },
      },
    },
    async (req, reply) => {
      const result = await services.abilities.update(
        ctx(req, reply),
        req.params.agent_id,
        req.params.ability_id,
        req.body,
      );
      if (!result.ok) throw nameTaken();
      return toWire(result.ability);
    },
  );

  app.delete(
    '/workspaces/:workspace_id/agents/:agent_id/abilities/:ability_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Delete an ability (applies from the next reply)',
        params: AbilityParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await services.abilities.delete(ctx(req, reply), req.params.agent_id, req.params.ability_id);
      return reply.status(204).send(null);
    },
  );
}
