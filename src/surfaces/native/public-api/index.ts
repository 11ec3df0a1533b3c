import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../../features/context.js';
import type { Services } from '../../../services.js';
import type { App } from '../../../platform/http/types.js';
import { conversationMessageRoutes } from '../conversation-messages.routes.js';
import { conversationRoutes, tokenSecurity } from './conversations.routes.js';
import { feedbackRoutes } from './feedback.routes.js';
import { publicFileRoutes } from './files.routes.js';
import { inactivityRoutes } from './inactivity.routes.js';

export interface PublicApiDeps {
  services: Services;
  ctx: (req: FastifyRequest, reply: FastifyReply) => RequestContext;
}

/** Quintus Public Chat API P1–P14 at /v1/public/agents: browsers, public keys, session tokens. */
export async function publicApi(app: App, deps: PublicApiDeps): Promise<void> {
  conversationRoutes(app, deps);
  inactivityRoutes(app, deps);
  conversationMessageRoutes(app, {
    ...deps,
    hide: false,
    collection: 'conversations',
    param: 'conversation_id',
    auth: 'session-token',
    security: tokenSecurity,
    tag: 'Public Chat API · Messages',
    labels: { send: 'P6', stream: 'P7', list: 'P8', get: 'P9', resume: 'P14' },
  });
  publicFileRoutes(app, deps);
  feedbackRoutes(app, deps);
}
