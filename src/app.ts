import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { createServices, type Services } from './services.js';
import type { Clock } from './platform/clock.js';
import type { DbHandle } from './platform/db/client.js';
import { AppError, InvalidRequestError, ServiceUnavailableError } from './platform/errors.js';
import { JSON_BODY_LIMIT } from './platform/http/error-mapping.js';
import { MethodRouter } from './platform/http/method-router.js';
import type { App } from './platform/http/types.js';
import { createValidatorCompiler } from './platform/http/validation.js';
import { newId } from './platform/ids.js';
import type { ModelGateway } from './platform/llm/gateway.js';
import type { BlobStore } from './platform/storage/blob-store.js';
import type { SigningSecret } from './features/workspaces/signing-secret.js';
import { nativeSurface } from './surfaces/native/plugin.js';
import { webSurface } from './surfaces/web/plugin.js';
import { genniaSurface } from './surfaces/gennia/plugin.js';
import { rdstationSurface } from './surfaces/rdstation/plugin.js';
import { evagptSurface } from './surfaces/evagpt/plugin.js';
import { ErrorEnvelope, sendNativeError } from './surfaces/native/errors.js';
import { nativeSharedSchemas } from './surfaces/native/shared-schemas.js';
import { FILE_LIMIT_BYTES } from './features/files/files.types.js';
import multipart from '@fastify/multipart';
import cors from '@fastify/cors';

export interface AppDeps {
  config: Config;
  db: DbHandle;
  clock: Clock;
  gateway: ModelGateway;
  blobs: BlobStore;
  /** Signs Public Chat API session tokens (persisted; see loadSigningSecret). */
  signingSecret: SigningSecret;
  redis?: Redis;
  logger?: FastifyServerOptions['logger'];
}

export const API_VERSION = '0.1.0';

const PUBLIC_CORS = {
  origin: '*',
  methods: ['GET', 'POST', 'OPTIONS'],
  allowedHeaders: ['Authorization', 'Content-Type', 'X-API-Key', 'Idempotency-Key', 'Last-Event-ID'],
  exposedHeaders: [
    'X-Request-Id',
    'Retry-After',
    'RateLimit-Limit',
    'RateLimit-Remaining',
    'RateLimit-Reset',
    'Idempotency-Replayed',
  ],
  credentials: false,
  maxAge: 600,
};

export async function buildApp(deps: AppDeps): Promise<{ app: App; services: Services }> {
  const app = Fastify({
    logger: deps.logger ?? { level: deps.config.logLevel },
    genReqId: () => newId(),
    bodyLimit: JSON_BODY_LIMIT,
    // Papo answers 405 itself (see MethodRouter); HEAD routes would only add noise here.
    exposeHeadRoutes: false,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>() as App;

  app.setValidatorCompiler(createValidatorCompiler([ErrorEnvelope, ...nativeSharedSchemas]));
  const services = createServices(deps, app.log);
  app.addHook('onClose', async () => {
    await services.runtime.hub.close();
    await services.runtime.turns?.close();
  });
  const methods = new MethodRouter();
  app.addHook('onRoute', (route) => methods.add(route.method, route.url));
  app.decorateRequest('principal', null);
  app.decorateRequest('rateDecision', undefined);
  app.decorateRequest('turn', undefined);
  app.decorateRequest('arrival', undefined);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
    const param = request.routeOptions.config.conversationParam;
    if (param) {
      const id = (request.params as Record<string, string | undefined>)[param];
      if (id) request.turn = services.runtime.queue.reserve(id);
    }
    if (request.routeOptions.config.conversationInBody) request.arrival = services.runtime.arrivals.ticket();
    if (services.runtime.tracker.isDraining && (request.routeOptions.config.auth ?? 'none') !== 'none') {
      throw new ServiceUnavailableError();
    }
  });

  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.routeOptions.config.optionalBody) request.body = {};
  });

  // A reserved place that was never used (the request failed, or its client left, before its
  // turn) is given back; otherwise an aborted request could block its conversation for good.
  app.addHook('onResponse', async (request) => {
    request.arrival?.skip();
    request.turn?.release();
  });
  app.addHook('onRequestAbort', async (request) => {
    request.arrival?.skip();
    request.turn?.release();
  });

  // Empty body = no body (optional bodies like terminate); anything else must be valid JSON.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: JSON_BODY_LIMIT },
    (_req, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        done(new InvalidRequestError('The request body is not valid JSON.'), undefined);
      }
    },
  );

  app.addSchema(ErrorEnvelope);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Papo API',
        version: API_VERSION,
        description:
          'Native Papo API (Quintus-compatible Agent API) and the management API. Contracts: shared/spec/quintus.md and admin.md.',
      },
      components: {
        securitySchemes: {
          ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          SessionToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          OperatorToken: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { auth: 'none' } }, async () => app.swagger());
  app.get('/health', { schema: { hide: true }, config: { auth: 'none' } }, async (_req, reply) => {
    try {
      await deps.db.ping();
      return { status: services.runtime.tracker.isDraining ? 'draining' : 'ok' };
    } catch {
      return reply.status(503).send({ status: 'unavailable' });
    }
  });

  // Outside any surface (unknown paths) the native envelope answers; 405 when only the method is wrong.
  app.setErrorHandler((err, req, reply) => sendNativeError(err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    const allow = methods.allowedInstead(req.method, req.url);
    if (allow.length > 0) {
      reply.header('Allow', allow.join(', '));
      return sendNativeError(
        new AppError('method_not_allowed', `${req.method} is not allowed here; use ${allow.join(', ')}.`, {
          allow,
        }),
        req,
        reply,
      );
    }
    return sendNativeError(
      new AppError('not_found', `No route ${req.method} ${req.url.split('?')[0]}.`),
      req,
      reply,
    );
  });

  // CORS only on the Public Chat API (README §5), answered before authentication so a browser
  // can read every error; no cookies are used.
  await app.register(cors, {
    hook: 'onRequest',
    delegator: (req, cb) => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      cb(
        null,
        path.startsWith('/v1/public/agents/') || path === '/v1/public/agents'
          ? PUBLIC_CORS
          : { origin: false },
      );
    },
  });

  await app.register(multipart, {
    limits: { fileSize: FILE_LIMIT_BYTES, files: 1, fields: 5, parts: 6 },
    throwFileSizeLimit: true,
  });
  for (const schema of nativeSharedSchemas) app.addSchema(schema);
  await app.register(nativeSurface, { services, config: deps.config });
  await app.register(rdstationSurface, { prefix: '/compat/rdstation', services, deps });
  await app.register(evagptSurface, { services, deps }); // /compat/evagpt + /v1/admin knowledge bases
  await app.register(genniaSurface, { prefix: '/compat/gennia', services, deps });
  await app.register(webSurface);
  return { app, services };
}
