import type { App } from '../../platform/http/types.js';
import { pageMeta, toConversationItem, toLegacyMessage, toRdAgent } from './mappers.js';
import type { RdRouteDeps } from './plugin.js';
import { AgentIdParams, ConversationListQuery, IdParams } from './schemas.js';

const auth = { rd: { credential: 'key', scope: 'agent:run' } } as const;

/** R3, R4, R5. */
export function conversationRoutes(app: App, { rd, ctx }: RdRouteDeps): void {
  app.get(
    '/rest/conversations/list/:agentId',
    {
      config: { ...auth, rdAgentParam: 'agentId' },
      schema: { hide: true, params: AgentIdParams, querystring: ConversationListQuery },
    },
    async (req, reply) => {
      const { page, size, createdAtStart, feedback } = req.query;
      const { items, total, leadFields } = await rd.conversations.list(
        ctx(req, reply),
        {
          agentId: req.params.agentId,
          ...(createdAtStart !== undefined && { createdAtStart }),
          ...(feedback !== undefined && { feedback }),
        },
        { limit: size, offset: (page - 1) * size },
      );
      return {
        data: items.map((c) => toConversationItem(c.row, c.status, c.lead, leadFields)),
        meta: pageMeta(total, page, size),
      };
    },
  );

  app.get(
    '/rest/conversations/:id',
    { config: auth, schema: { hide: true, params: IdParams } },
    async (req, reply) => {
      const { row, agent, messages } = await rd.conversations.get(ctx(req, reply), req.params.id);
      return {
        id: row.id,
        title: row.title,
        createdAt: row.createdAt.toISOString(),
        agent: toRdAgent(agent),
        messages: messages.map((m) => toLegacyMessage(m, agent.outputFormat)),
      };
    },
  );

  app.delete(
    '/rest/conversations/:id',
    { config: auth, schema: { hide: true, params: IdParams } },
    async (req, reply) => {
      await rd.conversations.remove(ctx(req, reply), req.params.id);
      return {};
    },
  );
}
