import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Services } from '../../services.js';
import type { RequestContext } from '../../features/context.js';
import { createLeadsService } from '../../features/leads/leads.service.js';
import { createTurns } from '../../features/messages/turn.js';
import { createRdChatService } from '../../features/sessions/rdstation-chat.js';
import { createRdConversationsService } from '../../features/sessions/rdstation-conversations.js';
import { assertAgentAllowed, requireScope, type KeyPrincipal } from '../../features/keys/principal.js';
import { AppError, InsufficientScopeError, ServiceUnavailableError } from '../../platform/errors.js';
import { bearerToken } from '../../platform/http/headers.js';
import { MethodRouter } from '../../platform/http/method-router.js';
import type { App } from '../../platform/http/types.js';
import { chargeRequest, requestContext } from '../native/auth.js';
import { createRdAgentsService } from './agents.service.js';
import { agentRoutes } from './agents.routes.js';
import { chatRoutes } from './chat.routes.js';
import { conversationRoutes } from './conversations.routes.js';
import { leadRoutes } from './leads.routes.js';
import { RdHttpError, sendRdError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** RD Station: `key` = Bearer secret key with `scope`; `ip` = unauthenticated, limited per client IP. */
    rd?: { credential: 'key'; scope: 'agent:run' | 'admin' } | { credential: 'ip' };
    /** Path parameter naming an agent: the key's allow-list is checked before the body (403). */
    rdAgentParam?: string;
  }
}

export interface RdStationOptions {
  services: Services;
  deps: AppDeps;
}

export type RdServices = ReturnType<typeof createRdServices>;

export interface RdRouteDeps {
  rd: RdServices;
  ctx: (req: FastifyRequest, reply: FastifyReply) => RequestContext;
}

function createRdServices(services: Services, deps: AppDeps) {
  const db = deps.db.db;
  const { config, clock, gateway } = deps;
  const fetchUrl = services.fetchUrl;
  const turns = createTurns({
    db,
    clock,
    config,
    gateway,
    runtime: services.runtime,
    files: services.files,
    fetchUrl,
  });
  return {
    services,
    chat: createRdChatService({
      db,
      clock,
      gateway,
      runtime: services.runtime,
      files: services.files,
      fetchUrl,
      turns,
    }),
    conversations: createRdConversationsService({ db, clock }),
    leads: createLeadsService({ db, clock }),
    agents: createRdAgentsService({
      db,
      agents: services.agents,
      gateway,
      defaultModel: config.defaultModel,
      secret: deps.signingSecret.secret,
    }),
  };
}

/** §6 operations answered 404 even where the path is served with another method. */
const UNSERVED = [{ methods: ['PUT', 'DELETE'], path: /^\/rest\/agents\/[^/]+$/ }];

/**
 * RD Station Mentor IA (rdstation.md), mounted at /compat/rdstation: chat-host and API-host
 * paths, Bearer secret keys, `{message, code, issues?}` errors, page/size pagination.
 * Hidden from the native OpenAPI document.
 */
export const rdstationSurface: FastifyPluginAsync<RdStationOptions> = async (fastify, opts) => {
  const app = fastify as unknown as App;
  const { services, deps } = opts;
  const { config } = deps;
  const rateLimits = services.runtime.rateLimits;
  const rd = createRdServices(services, deps);
  const methods = new MethodRouter();
  const prefix = app.prefix;

  app.addHook('onRoute', (route) => methods.add(route.method, route.url));
  app.setErrorHandler((err, req, reply) => sendRdError(err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    const path = (req.url.split('?')[0] ?? '').slice(prefix.length);
    const unserved = UNSERVED.some((u) => u.methods.includes(req.method) && u.path.test(path));
    const allow = unserved ? [] : methods.allowedInstead(req.method, req.url);
    if (allow.length > 0) {
      return sendRdError(
        new RdHttpError(405, `${req.method} is not supported here; use ${allow.join(', ')}.`, {
          Allow: allow.join(', '),
        }),
        req,
        reply,
      );
    }
    return sendRdError(new RdHttpError(404, 'Endpoint not supported by Papo'), req, reply);
  });

  // credential (401) → rate limit (429) → scope (403), before the body is read (README §5)
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return;
    const rdConfig = request.routeOptions.config.rd;
    if (!rdConfig) return;
    if (services.runtime.tracker.isDraining) throw new ServiceUnavailableError();
    if (rdConfig.credential === 'ip') {
      await chargeRequest({ rateLimits }, request, reply, `ip:${request.ip}`, config.rateLimits.ip);
      return;
    }
    const presented = bearerToken(request);
    if (!presented)
      throw new AppError('missing_api_key', 'Send your Papo secret key as Authorization: Bearer.');
    const principal: KeyPrincipal = await services.keys.authenticate(presented);
    const limit =
      principal.rateLimitPerMinute ??
      (principal.type === 'secret' ? config.rateLimits.secretKey : config.rateLimits.publicKey);
    await chargeRequest({ rateLimits }, request, reply, `key:${principal.keyId}`, limit);
    if (principal.type !== 'secret') throw new InsufficientScopeError(rdConfig.scope);
    requireScope(principal, rdConfig.scope);
    const agentParam = request.routeOptions.config.rdAgentParam;
    const agentId = agentParam
      ? (request.params as Record<string, string | undefined>)[agentParam]
      : undefined;
    if (agentId !== undefined) assertAgentAllowed(principal, agentId);
    request.principal = principal;
  });

  // bodies are JSON only (415): text/plain and multipart have parsers of their own
  app.addHook('preValidation', async (request) => {
    const type = request.headers['content-type'];
    const withBody = request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH';
    if (withBody && type !== undefined && !/^application\/json\b/i.test(type)) {
      throw new RdHttpError(415, 'Send the body as application/json.');
    }
  });

  const ctx = (req: FastifyRequest, reply: FastifyReply) => requestContext({ rateLimits }, req, reply);
  const routeDeps: RdRouteDeps = { rd, ctx };
  // R1 names its conversation in the body: join its generation queue as soon as the body is
  // read, in arrival order (the arrival ticket), so concurrent sends keep it (README §6.3)
  app.addHook('preValidation', async (request) => {
    if (!request.routeOptions.config.conversationInBody) return;
    const id = (request.body as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string' && !request.turn) request.turn = await request.arrival!.reserve(id);
    else request.arrival?.skip();
  });
  chatRoutes(app, routeDeps);
  conversationRoutes(app, routeDeps);
  leadRoutes(app, routeDeps);
  agentRoutes(app, routeDeps);
};
