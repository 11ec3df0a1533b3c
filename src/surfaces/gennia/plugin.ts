import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Services } from '../../services.js';
import { MethodRouter } from '../../platform/http/method-router.js';
import type { App } from '../../platform/http/types.js';
import { createGenniaAgents } from './agents.service.js';
import { agentRoutes } from './agents.routes.js';
import { requestContext } from '../native/auth.js';
import { genniaAuthHook } from './auth.js';
import { createGenniaChat } from './chat.service.js';
import { chatRoutes } from './chat.routes.js';
import { createGenniaConversations } from './conversations.service.js';
import { conversationRoutes } from './conversations.routes.js';
import { GenniaError, sendGenniaError } from './errors.js';
import { createGenniaModels } from './models.service.js';
import { modelRoutes } from './models.routes.js';
import type { GenniaRouteDeps } from './routes.js';

export interface GenniaSurfaceOptions {
  services: Services;
  deps: Pick<AppDeps, 'db' | 'clock' | 'config' | 'gateway'>;
}

const BASE = '/public/api/v1';

/**
 * The Gennia Public API v1 (shared/spec/gennia.md), mounted at /compat/gennia: its own key
 * headers, error body, pagination and field names over the same services as the native API.
 * Kept out of the native OpenAPI document (every route is `hide: true`).
 */
export const genniaSurface: FastifyPluginAsync<GenniaSurfaceOptions> = async (fastify, opts) => {
  const app = fastify as unknown as App;
  const { services, deps } = opts;
  const db = deps.db.db;
  const { config, clock } = deps;
  const authDeps = {
    config,
    keys: services.keys,
    rateLimits: services.runtime.rateLimits,
    tracker: services.runtime.tracker,
  };
  const models = createGenniaModels({ db, clock, gateway: deps.gateway, models: services.models, config });
  const routeDeps: GenniaRouteDeps = {
    chat: createGenniaChat({ db, clock, services, fetchUrl: services.fetchUrl }),
    conversations: createGenniaConversations({ db, clock }),
    agents: createGenniaAgents({ agents: services.agents, models }),
    models,
    ctx: (req, reply) => requestContext(authDeps, req, reply),
  };

  // 405 for known paths with another method; every other unknown path is an unserved one
  const methods = new MethodRouter();
  app.addHook('onRoute', (route) => methods.add(route.method, route.url));
  app.setErrorHandler((err, req, reply) => sendGenniaError(err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    const allow = methods.allowedInstead(req.method, req.url);
    if (allow.length > 0) {
      const message = `${req.method} is not allowed here; use ${allow.join(', ')}.`;
      return sendGenniaError(
        new GenniaError('METHOD_NOT_ALLOWED', 405, message, [], { Allow: allow.join(', ') }),
        req,
        reply,
      );
    }
    const message = `${req.method} ${req.url.split('?')[0]} is not supported by Papo's Gennia surface.`;
    return sendGenniaError(new GenniaError('ENDPOINT_NOT_SUPPORTED', 404, message), req, reply);
  });
  app.addHook('onRequest', genniaAuthHook(authDeps));
  // bodies are JSON only: anything else (text/plain included) is a 415 here
  app.removeContentTypeParser('text/plain');

  await app.register(
    async (api) => {
      const scoped = api as unknown as App;
      chatRoutes(scoped, routeDeps);
      conversationRoutes(scoped, routeDeps);
      agentRoutes(scoped, routeDeps);
      modelRoutes(scoped, routeDeps);
    },
    { prefix: BASE },
  );
};
