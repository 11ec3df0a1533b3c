import { AgentNotAllowedError, InsufficientScopeError } from '../../platform/errors.js';

export type Scope = 'agent:run' | 'admin';

/** Who is calling: resolved from the credential, never from a parameter (README §2.3). */
export interface KeyPrincipal {
  kind: 'key';
  keyId: string;
  workspaceId: string;
  type: 'secret' | 'public';
  scopes: Scope[];
  /** `null` = every agent of the workspace. */
  agentIds: string[] | null;
  rateLimitPerMinute: number | null;
  allowedOrigins: string[] | null;
  /** Set for session-token callers (Public Chat API): the one conversation they may touch. */
  conversationId?: string;
}

export interface OperatorPrincipal {
  kind: 'operator';
}

export type Principal = KeyPrincipal | OperatorPrincipal;

export function hasScope(p: KeyPrincipal, scope: Scope): boolean {
  if (p.type !== 'secret') return false;
  return p.scopes.includes(scope) || p.scopes.includes('admin');
}

export function requireScope(p: KeyPrincipal, scope: Scope): void {
  if (!hasScope(p, scope)) throw new InsufficientScopeError(scope);
}

export function canUseAgent(p: KeyPrincipal, agentId: string): boolean {
  return p.agentIds === null || p.agentIds.includes(agentId);
}

export function assertAgentAllowed(p: KeyPrincipal, agentId: string): void {
  if (!canUseAgent(p, agentId)) throw new AgentNotAllowedError(agentId);
}
