import { Type } from '@sinclair/typebox';
import type { Agent } from '../../features/agents/agents.service.js';
import { assertAgentAllowed } from '../../features/keys/principal.js';
import { Ability_, Bot, toAbility, toBot } from './schemas.js';
import { EvagptProblem } from './problems.js';
import type { EvagptRouteDeps } from './plugin.js';

const BotParams = Type.Object({ botId: Type.String() });

const AbilityBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  instructions: Type.String({ minLength: 1, maxLength: 20_000 }),
});

/** evagpt.md §4: E1–E3. */
export function botRoutes({ app, services, ctx }: EvagptRouteDeps): void {
  app.get(
    '/bot',
    {
      config: { auth: 'agent-key', evagptScope: 'agent:run' },
      schema: { hide: true, response: { 200: Type.Array(Bot) } },
    },
    async (req, reply) => {
      const c = ctx(req, reply);
      const all: Agent[] = [];
      for (let offset = 0; ; offset += 100) {
        const page = await services.agents.listAgents(c.principal.workspaceId, {
          limit: 100,
          offset,
          agentIds: c.principal.agentIds,
        });
        all.push(...page.items);
        if (page.next_offset === null) break;
      }
      return all
        .sort(
          (a, b) =>
            a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) || a.id.localeCompare(b.id),
        )
        .map(toBot);
    },
  );

  app.get(
    '/bot/presentation/:botId',
    {
      config: { auth: 'agent-key', evagptScope: 'agent:run' },
      schema: {
        hide: true,
        params: BotParams,
        response: {
          200: Type.Object({ id: Type.String(), botname: Type.String(), presentation: Type.String() }),
        },
      },
    },
    async (req, reply) => {
      const c = ctx(req, reply);
      assertAgentAllowed(c.principal, req.params.botId);
      const agent = await services.agents.getAgent(c.principal.workspaceId, req.params.botId);
      return { id: agent.id, botname: agent.name, presentation: agent.greeting ?? '' };
    },
  );

  app.post(
    '/bot/ability/:botId',
    {
      config: { auth: 'agent-key', evagptScope: 'admin' },
      schema: { hide: true, params: BotParams, body: AbilityBody, response: { 200: Ability_ } },
    },
    async (req, reply) => {
      const result = await services.abilities.create(ctx(req, reply), req.params.botId, req.body);
      if (!result.ok) {
        throw new EvagptProblem(
          'conflict',
          `This bot already has an ability named ${JSON.stringify(req.body.name)}.`,
        );
      }
      return toAbility(result.ability);
    },
  );
}
