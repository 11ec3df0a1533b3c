import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { RequestContext } from '../../features/context.js';
import type { KeysService } from '../../features/keys/keys.service.js';
import type { SessionTokens } from '../../features/conversations/session-tokens.js';
import { requireScope, type KeyPrincipal, type Principal } from '../../features/keys/principal.js';
import type { OperatorAuth } from '../../features/workspaces/operator-token.js';
import { AppError, InsufficientScopeError } from '../../platform/errors.js';
import { bearerToken, headerValue } from '../../platform/http/headers.js';
import type { ArrivalTicket, QueueSlot } from '../../platform/runtime/conversation-queue.js';
import { mostRestrictive, type RateDecision, type RateLimits } from '../../platform/http/rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    rateDecision: RateDecision | undefined;
    /** This request's place in its conversation's generation queue (see conversationParam). */
    turn: QueueSlot | undefined;
    /** Arrival ticket of a request naming its conversation in the body (conversationInBody). */
    arrival: ArrivalTicket | undefined;
  }
}

export interface AuthDeps {
  config: Config;
  keys: KeysService;
  tokens: SessionTokens;
  operator: OperatorAuth;
  rateLimits: RateLimits;
}

/** Counts a request against a subject and keeps the most restrictive RateLimit-* headers. */
export async function chargeRequest(
  deps: Pick<AuthDeps, 'rateLimits'>,
  request: FastifyRequest,
  reply: FastifyReply,
  subject: string,
  limit: number,
): Promise<void> {
  const decision = await deps.rateLimits.hit(subject, limit);
  request.rateDecision = mostRestrictive(request.rateDecision, decision);
  const d = request.rateDecision;
  reply.header('RateLimit-Limit', String(d.limit));
  reply.header('RateLimit-Remaining', String(d.remaining));
  reply.header('RateLimit-Reset', String(d.resetSeconds));
}

function keyLimit(deps: AuthDeps, p: KeyPrincipal): number {
  return (
    p.rateLimitPerMinute ??
    (p.type === 'secret' ? deps.config.rateLimits.secretKey : deps.config.rateLimits.publicKey)
  );
}

/**
 * onRequest hook of the native surface: credential (401) → rate limit (429) → scope (403),
 * all before the body is read (README §5 check order).
 */
export function nativeAuthHook(deps: AuthDeps) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.is404) return;
    const mode = request.routeOptions.config.auth ?? 'none';
    if (mode === 'none') return;

    if (mode === 'agent-key') {
      const presented = headerValue(request, 'x-api-key');
      if (!presented)
        throw new AppError('missing_api_key', 'Send your secret API key in the X-API-Key header.');
      const principal = await deps.keys.authenticate(presented);
      await chargeRequest(deps, request, reply, `key:${principal.keyId}`, keyLimit(deps, principal));
      requireScope(principal, 'agent:run');
      request.principal = principal;
      return;
    }

    if (mode === 'public-key') {
      // P1/P3: a public key, or a backend's secret key with agent:run
      const presented = headerValue(request, 'x-api-key');
      if (!presented)
        throw new AppError('missing_api_key', 'Send your public API key in the X-API-Key header.');
      const principal = await deps.keys.authenticate(presented);
      await chargeRequest(deps, request, reply, `key:${principal.keyId}`, keyLimit(deps, principal));
      if (principal.type === 'secret') requireScope(principal, 'agent:run');
      request.principal = principal;
      return;
    }

    if (mode === 'session-token') {
      const token = bearerToken(request);
      if (!token) {
        throw new AppError(
          'missing_session_token',
          'Send the conversation session token as Authorization: Bearer.',
        );
      }
      const claims = await deps.tokens.verify(token, (keyId) => deps.keys.isKeyLive(keyId));
      await chargeRequest(deps, request, reply, `token:${claims.jti}`, deps.config.rateLimits.sessionToken);
      const pathId = (request.params as { conversation_id?: string }).conversation_id;
      if (pathId !== claims.conversationId) {
        throw new AppError(
          'session_token_scope_mismatch',
          'This session token belongs to another conversation.',
        );
      }
      request.principal = {
        kind: 'key',
        keyId: claims.keyId,
        workspaceId: claims.workspaceId,
        type: 'secret',
        scopes: ['agent:run'],
        agentIds: [claims.agentId],
        rateLimitPerMinute: null,
        allowedOrigins: null,
        conversationId: claims.conversationId,
      };
      return;
    }

    // admin: operator token, or a secret key with the admin scope (Bearer or X-API-Key)
    const presented = bearerToken(request) ?? headerValue(request, 'x-api-key');
    if (!presented) {
      throw new AppError(
        'missing_api_key',
        'Send the operator token or an admin key as Authorization: Bearer.',
      );
    }
    if (!/^papo_(sk|pk)_/.test(presented)) {
      if (!(await deps.operator.verify(presented))) {
        throw new AppError('invalid_api_key', 'The operator token or API key is not valid.');
      }
      request.principal = { kind: 'operator' };
      return;
    }
    const principal = await deps.keys.authenticate(presented);
    await chargeRequest(deps, request, reply, `key:${principal.keyId}`, keyLimit(deps, principal));
    if (principal.type !== 'secret' || !principal.scopes.includes('admin'))
      throw new InsufficientScopeError('admin');
    request.principal = principal;
  };
}

export function keyPrincipal(request: FastifyRequest): KeyPrincipal {
  const p = request.principal;
  if (!p || p.kind !== 'key') throw new AppError('internal_error', 'route reached without a key principal');
  return p;
}

export function requestContext(
  deps: Pick<AuthDeps, 'rateLimits'>,
  request: FastifyRequest,
  reply: FastifyReply,
): RequestContext {
  return {
    principal: keyPrincipal(request),
    requestId: request.id,
    log: request.log,
    turn: request.turn,
    charge: (subject, limit) => chargeRequest(deps, request, reply, subject, limit),
  };
}
