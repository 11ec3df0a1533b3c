import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../../features/context.js';
import type { KeyPrincipal } from '../../../features/keys/principal.js';
import type { Services } from '../../../services.js';
import type { RateLimits } from '../../../platform/http/rate-limit.js';
import { chargeRequest } from '../auth.js';
import { abilityAdminRoutes } from './abilities.routes.js';
import { InsufficientScopeError, NotFoundError } from '../../../platform/errors.js';
import type { App } from '../../../platform/http/types.js';
import { agentAdminRoutes } from './agents.routes.js';
import { conversationAdminRoutes } from './conversations.routes.js';
import { keyAdminRoutes } from './keys.routes.js';
import { usageAdminRoutes } from './usage.routes.js';
import { workspaceAdminRoutes } from './workspaces.routes.js';

export interface AdminDeps {
  services: Services;
}

export const adminSecurity: Array<Record<string, string[]>> = [{ OperatorToken: [] }, { ApiKey: [] }];

/**
 * The workspace an admin request may touch: the operator reaches every workspace; an admin
 * key only its own (another workspace's id answers 404, like a missing one).
 */
export function scopedWorkspace(
  req: FastifyRequest,
  workspaceId: string,
): { workspaceId: string; agentIds: string[] | null } {
  const p = req.principal;
  if (!p) throw new InsufficientScopeError('admin');
  if (p.kind === 'operator') return { workspaceId, agentIds: null };
  if (p.workspaceId !== workspaceId) throw new NotFoundError('workspace', workspaceId);
  return { workspaceId, agentIds: p.agentIds };
}

/**
 * A context builder for admin routes under `/workspaces/:workspace_id`: the RequestContext a
 * feature service expects, for that workspace. An admin key acts as itself; the operator acts
 * as an unrestricted admin of the workspace.
 */
export function adminContexts(
  rateLimits: RateLimits,
): (req: FastifyRequest, reply: FastifyReply) => RequestContext {
  return (req, reply) => {
    const scope = scopedWorkspace(req, (req.params as { workspace_id: string }).workspace_id);
    const p = req.principal!;
    const principal: KeyPrincipal =
      p.kind === 'key'
        ? p
        : {
            kind: 'key',
            keyId: 'operator',
            workspaceId: scope.workspaceId,
            type: 'secret',
            scopes: ['admin'],
            agentIds: null,
            rateLimitPerMinute: null,
            allowedOrigins: null,
          };
    return {
      principal,
      requestId: req.id,
      log: req.log,
      charge: (subject, limit) => chargeRequest({ rateLimits }, req, reply, subject, limit),
    };
  };
}

export function requireOperator(req: FastifyRequest): void {
  if (req.principal?.kind !== 'operator') throw new InsufficientScopeError('operator');
}

/** Papo's management API (admin.md). */
export async function adminApi(app: App, deps: AdminDeps): Promise<void> {
  workspaceAdminRoutes(app, deps);
  keyAdminRoutes(app, deps);
  agentAdminRoutes(app, deps);
  abilityAdminRoutes(app, deps);
  conversationAdminRoutes(app, deps);
  usageAdminRoutes(app, deps);
}
