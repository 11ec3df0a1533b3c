import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { KeysService } from '../../features/keys/keys.service.js';
import { assertAgentAllowed, requireScope, type Scope } from '../../features/keys/principal.js';
import { AppError, ServiceUnavailableError } from '../../platform/errors.js';
import { bearerToken, headerValue } from '../../platform/http/headers.js';
import type { RateLimits } from '../../platform/http/rate-limit.js';
import type { GenerationTracker } from '../../platform/runtime/generation-tracker.js';
import { chargeRequest } from '../native/auth.js';
import { GenniaError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scope a Gennia route needs (gennia.md §1); every served Gennia route sets it. */
    genniaScope?: Scope;
  }
}

export interface GenniaAuthDeps {
  config: Config;
  keys: KeysService;
  rateLimits: RateLimits;
  tracker: GenerationTracker;
}

const KEY_FORMAT = /^papo_(sk|pk)_[A-Za-z0-9]{40}$/;

/**
 * onRequest hook (before the body is read, README §5 order): key (401) → rate limit (429) →
 * scope and the path's agent allow-list (403). `X-Api-Key` wins over `Authorization: Bearer`.
 */
export function genniaAuthHook(deps: GenniaAuthDeps) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.is404) return;
    const scope = request.routeOptions.config.genniaScope;
    if (!scope) return;
    if (deps.tracker.isDraining) throw new ServiceUnavailableError();
    const presented = headerValue(request, 'x-api-key') ?? bearerToken(request);
    if (!presented) throw new AppError('missing_api_key', 'No API key.');
    if (!KEY_FORMAT.test(presented)) {
      throw new GenniaError(
        'INVALID_API_KEY_FORMAT',
        401,
        'The API key is not a Papo key (papo_sk_ followed by 40 letters and digits).',
      );
    }
    const principal = await deps.keys.authenticate(presented);
    const limit =
      principal.rateLimitPerMinute ??
      (principal.type === 'secret' ? deps.config.rateLimits.secretKey : deps.config.rateLimits.publicKey);
    await chargeRequest(deps, request, reply, `key:${principal.keyId}`, limit);
    requireScope(principal, scope);
    const agentId = (request.params as { agentPublicId?: string } | undefined)?.agentPublicId;
    if (agentId !== undefined) assertAgentAllowed(principal, agentId);
    request.principal = principal;
  };
}
