import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Services } from '../../services.js';
import type { RequestContext } from '../../features/context.js';
import { createKnowledgeService, type KnowledgeService } from '../../features/knowledge/knowledge.service.js';
import {
  createEvagptConversations,
  type EvagptConversationsService,
} from '../../features/sessions/evagpt-conversations.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { AppError } from '../../platform/errors.js';
import { MethodRouter } from '../../platform/http/method-router.js';
import type { App } from '../../platform/http/types.js';
import { knowledgeBaseAdminApi } from '../native/admin/knowledge-bases.routes.js';
import { requestContext } from '../native/auth.js';
import { evagptAuthHook } from './auth.js';
import { botRoutes } from './bots.routes.js';
import { conversationRoutes } from './conversations.routes.js';
import { Cursors } from './cursor.js';
import { datasetRoutes } from './datasets.routes.js';
import { sendProblem } from './problems.js';

export interface EvagptSurfaceOptions {
  services: Services;
  deps: AppDeps;
}

/** What every EvaGPT route file receives. */
export interface EvagptRouteDeps {
  app: App;
  services: Services;
  db: Db;
  clock: Clock;
  knowledge: KnowledgeService;
  conversations: EvagptConversationsService;
  cursors: Cursors;
  ctx: (req: FastifyRequest, reply: FastifyReply) => RequestContext;
}

export const EVAGPT_PREFIX = '/compat/evagpt';

/** A knowledge file still `processing` after this long was left by a process that stopped. */
const STALE_KNOWLEDGE_FILE_MS = 5 * 60_000;

/**
 * The EvaGPT compatibility surface (evagpt.md) under /compat/evagpt, and the management API
 * of knowledge bases (Papo extension of admin.md, native auth and envelope) that EvaGPT
 * datasets need: both share one knowledge service.
 */
export const evagptSurface: FastifyPluginAsync<EvagptSurfaceOptions> = async (fastify, opts) => {
  const { services, deps } = opts;
  const db = deps.db.db;
  const knowledge = createKnowledgeService({
    db,
    clock: deps.clock,
    blobs: deps.blobs,
    tracker: services.runtime.tracker,
    log: fastify.log,
  });
  // files left `processing` by a process that stopped (crash, kill) are picked up again
  const resume = () =>
    knowledge.files
      .resumeStale(STALE_KNOWLEDGE_FILE_MS)
      .catch((err: unknown) => fastify.log.warn({ err }, 'could not resume knowledge files'));
  let resumer: NodeJS.Timeout | undefined;
  fastify.addHook('onReady', async () => {
    void resume();
    resumer = setInterval(() => void resume(), STALE_KNOWLEDGE_FILE_MS);
    resumer.unref();
  });
  fastify.addHook('onClose', async () => clearInterval(resumer));
  await fastify.register(evagptApi, { prefix: EVAGPT_PREFIX, services, deps, knowledge });
  await fastify.register(knowledgeBaseAdminApi, {
    prefix: '/v1/admin',
    services,
    config: deps.config,
    knowledge,
  });
};

const evagptApi: FastifyPluginAsync<EvagptSurfaceOptions & { knowledge: KnowledgeService }> = async (
  fastify,
  opts,
) => {
  const app = fastify as unknown as App;
  const { services, deps, knowledge } = opts;
  const db = deps.db.db;
  const authDeps = { config: deps.config, keys: services.keys, rateLimits: services.runtime.rateLimits };

  // every error under the prefix, unknown routes and wrong methods included, is problem+json
  const methods = new MethodRouter();
  app.addHook('onRoute', (route) => methods.add(route.method, route.url));
  app.setErrorHandler((err, req, reply) => sendProblem(err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    const allow = methods.allowedInstead(req.method, req.url);
    if (allow.length > 0) {
      reply.header('Allow', allow.join(', '));
      return sendProblem(
        new AppError('method_not_allowed', `${req.method} is not allowed here; use ${allow.join(', ')}.`),
        req,
        reply,
      );
    }
    return sendProblem(
      new AppError('not_found', `No route ${req.method} ${req.url.split('?')[0]}.`),
      req,
      reply,
    );
  });
  app.addHook('onRequest', evagptAuthHook(authDeps));

  const routeDeps: EvagptRouteDeps = {
    app,
    services,
    db,
    clock: deps.clock,
    knowledge,
    conversations: createEvagptConversations({ db, clock: deps.clock }),
    cursors: new Cursors(deps.signingSecret.secret, () => deps.clock.now()),
    ctx: (req, reply) => requestContext(authDeps, req, reply),
  };
  botRoutes(routeDeps);
  conversationRoutes(routeDeps);
  datasetRoutes(routeDeps);
};
