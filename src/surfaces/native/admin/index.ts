import type { FastifyRequest } from 'fastify';
import type { Services } from '../../../services.js';
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

export function requireOperator(req: FastifyRequest): void {
  if (req.principal?.kind !== 'operator') throw new InsufficientScopeError('operator');
}

/** Papo's management API (admin.md). */
export async function adminApi(app: App, deps: AdminDeps): Promise<void> {
  workspaceAdminRoutes(app, deps);
  keyAdminRoutes(app, deps);
  agentAdminRoutes(app, deps);
  conversationAdminRoutes(app, deps);
  usageAdminRoutes(app, deps);
}
