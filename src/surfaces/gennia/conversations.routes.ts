import type { App } from '../../platform/http/types.js';
import {
  ConversationListQuery,
  ConversationParams,
  Health,
  MessageListQuery,
  Paginated,
  PublicConversation,
  PublicConversationListItem,
  PublicMessage,
} from './schemas.js';
import type { GenniaRouteDeps } from './routes.js';

/** gennia.md §3.3–3.6: conversations, their messages, health. */
export function conversationRoutes(app: App, { conversations, ctx }: GenniaRouteDeps): void {
  const config = { genniaScope: 'agent:run' as const };

  app.get(
    '/conversations',
    {
      config,
      schema: {
        hide: true,
        querystring: ConversationListQuery,
        response: { 200: Paginated(PublicConversationListItem) },
      },
    },
    async (req, reply) => conversations.list(ctx(req, reply).principal, req.query),
  );

  app.get(
    '/conversations/:conversationPublicId',
    { config, schema: { hide: true, params: ConversationParams, response: { 200: PublicConversation } } },
    async (req, reply) => conversations.get(ctx(req, reply).principal, req.params.conversationPublicId),
  );

  app.delete(
    '/conversations/:conversationPublicId',
    { config, schema: { hide: true, params: ConversationParams } },
    async (req, reply) => {
      await conversations.remove(ctx(req, reply).principal, req.params.conversationPublicId);
      return reply.status(204).send();
    },
  );

  app.get(
    '/conversations/:conversationPublicId/messages',
    {
      config,
      schema: {
        hide: true,
        params: ConversationParams,
        querystring: MessageListQuery,
        response: { 200: Paginated(PublicMessage) },
      },
    },
    async (req, reply) =>
      conversations.messages(ctx(req, reply).principal, req.params.conversationPublicId, req.query),
  );

  app.get('/health', { config, schema: { hide: true, response: { 200: Health } } }, async (req, reply) => {
    const { principal } = ctx(req, reply);
    return {
      status: 'ok' as const,
      workspacePublicId: principal.workspaceId,
      apiKeyPublicId: principal.keyId,
    };
  });
}
