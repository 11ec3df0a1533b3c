import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../features/context.js';
import type { GenniaAgents } from './agents.service.js';
import type { GenniaChat } from './chat.service.js';
import type { GenniaConversations } from './conversations.service.js';
import type { GenniaModels } from './models.service.js';

/** What every Gennia route file gets from the plugin. */
export interface GenniaRouteDeps {
  chat: GenniaChat;
  conversations: GenniaConversations;
  agents: GenniaAgents;
  models: GenniaModels;
  ctx: (req: FastifyRequest, reply: FastifyReply) => RequestContext;
}

/** Send-message bodies may carry base64 attachments (README §5: 40 MiB). */
export const SEND_BODY_LIMIT = 40 * 1024 * 1024;
