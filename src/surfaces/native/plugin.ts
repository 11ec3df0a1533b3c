import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config.js';
import type { Services } from '../../services.js';
import type { App } from '../../platform/http/types.js';
import { agentApi } from './agent-api/index.js';
import { adminApi } from './admin/index.js';
import { publicApi } from './public-api/index.js';
import { nativeAuthHook, requestContext } from './auth.js';
import { sendNativeError } from './errors.js';

export interface NativeSurfaceOptions {
  services: Services;
  config: Config;
}

/**
 * The native surface: Quintus-compatible Agent API (/v1/agents, alias /v1/agent), Public Chat
 * API (/v1/public/agents) and the management API (/v1/admin).
 */
export const nativeSurface: FastifyPluginAsync<NativeSurfaceOptions> = async (fastify, opts) => {
  const app = fastify as unknown as App;
  const { services, config } = opts;
  const authDeps = {
    config,
    keys: services.keys,
    tokens: services.sessionTokens,
    operator: services.operator,
    rateLimits: services.runtime.rateLimits,
  };
  app.setErrorHandler((err, req, reply) => sendNativeError(err, req, reply));
  app.addHook('onRequest', nativeAuthHook(authDeps));

  const ctx = (req: Parameters<typeof requestContext>[1], reply: Parameters<typeof requestContext>[2]) =>
    requestContext(authDeps, req, reply);
  await app.register(agentApi, { prefix: '/v1/agents', services, ctx, hide: false });
  await app.register(agentApi, { prefix: '/v1/agent', services, ctx, hide: true });
  await app.register(publicApi, { prefix: '/v1/public/agents', services, ctx });
  await app.register(adminApi, { prefix: '/v1/admin', services });
};
