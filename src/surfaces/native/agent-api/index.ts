import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../../features/context.js';
import type { Services } from '../../../services.js';
import type { App } from '../../../platform/http/types.js';
import { userRoutes } from './users.routes.js';
import { sessionRoutes } from './sessions.routes.js';
import { messageRoutes } from './messages.routes.js';
import { fileRoutes } from './files.routes.js';
import { runRoutes } from './runs.routes.js';

export interface AgentApiDeps {
  services: Services;
  ctx: (req: FastifyRequest, reply: FastifyReply) => RequestContext;
  /** true for the `/v1/agent` alias, kept out of the OpenAPI document. */
  hide: boolean;
}

/** Quintus Agent API A1–A20, mounted at /v1/agents and its /v1/agent alias. */
export async function agentApi(app: App, deps: AgentApiDeps): Promise<void> {
  userRoutes(app, deps);
  sessionRoutes(app, deps);
  messageRoutes(app, deps);
  fileRoutes(app, deps);
  runRoutes(app, deps);
}
