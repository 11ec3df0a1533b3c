import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { KeysService } from '../../features/keys/keys.service.js';
import { requireScope, type Scope } from '../../features/keys/principal.js';
import { AppError, InsufficientScopeError } from '../../platform/errors.js';
import { bearerToken } from '../../platform/http/headers.js';
import type { RateLimits } from '../../platform/http/rate-limit.js';
import { chargeRequest } from '../native/auth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** EvaGPT routes: the scope the key needs (evagpt.md §1), checked before the body is read. */
    evagptScope?: Scope;
  }
}

export interface EvagptAuthDeps {
  config: Config;
  keys: KeysService;
  rateLimits: RateLimits;
}

/**
 * onRequest hook of the EvaGPT surface: `Authorization: Bearer papo_sk_…` (401) → rate limit
 * (429) → secret key with the route's scope (403), before the body is read (README §5).
 */
export function evagptAuthHook(deps: EvagptAuthDeps) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.is404) return;
    const scope = request.routeOptions.config.evagptScope;
    if (!scope) return;
    const presented = bearerToken(request);
    if (!presented)
      throw new AppError('missing_api_key', 'Send your Papo secret key as Authorization: Bearer.');
    const principal = await deps.keys.authenticate(presented);
    const limit =
      principal.rateLimitPerMinute ??
      (principal.type === 'secret' ? deps.config.rateLimits.secretKey : deps.config.rateLimits.publicKey);
    await chargeRequest(deps, request, reply, `key:${principal.keyId}`, limit);
    if (principal.type !== 'secret') throw new InsufficientScopeError(scope);
    requireScope(principal, scope);
    request.principal = principal;
  };
}
