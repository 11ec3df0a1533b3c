import type { App } from '../../platform/http/types.js';
import { pageMeta, toRdAgent, toRdAgentDetail } from './mappers.js';
import type { RdRouteDeps } from './plugin.js';
import { AgentCreateBody, AgentListQuery, IdParams } from './schemas.js';

/** R10–R12 (PUT/DELETE /rest/agents/{id} are not served: rdstation.md §6). */
export function agentRoutes(app: App, { rd, ctx }: RdRouteDeps): void {
  app.get(
    '/rest/agents',
    {
      config: { rd: { credential: 'key', scope: 'agent:run' } },
      schema: { hide: true, querystring: AgentListQuery },
    },
    async (req, reply) => {
      const { page, size, search } = req.query;
      const { rows, total } = await rd.agents.list(ctx(req, reply), {
        ...(search !== undefined && { search }),
        limit: size,
        offset: (page - 1) * size,
      });
      return { data: rows.map(toRdAgent), meta: pageMeta(total, page, size) };
    },
  );

  app.post(
    '/rest/agents',
    { config: { rd: { credential: 'key', scope: 'admin' } }, schema: { hide: true, body: AgentCreateBody } },
    async (req, reply) => toRdAgent(await rd.agents.create(ctx(req, reply), req.body)),
  );

  app.get(
    '/rest/agents/:id',
    {
      config: { rd: { credential: 'key', scope: 'agent:run' }, rdAgentParam: 'id' },
      schema: { hide: true, params: IdParams },
    },
    async (req, reply) => toRdAgentDetail(await rd.agents.get(ctx(req, reply), req.params.id)),
  );
}
