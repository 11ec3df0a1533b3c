import type { FastifyBaseLogger } from 'fastify';
import type { QueueSlot } from '../platform/runtime/conversation-queue.js';
import type { KeyPrincipal } from './keys/principal.js';

/** What a service verb knows about the request it serves (built by the surface, no HTTP types). */
export interface RequestContext {
  principal: KeyPrincipal;
  requestId: string;
  log: FastifyBaseLogger;
  /** A place in the conversation's generation queue taken when the request arrived, if any. */
  turn?: QueueSlot;
  /** Counts one request against an extra rate-limit subject (agent or conversation limits); throws 429. */
  charge(subject: string, limitPerMinute: number): Promise<void>;
}

/** The workspace the caller acts in, always from the credential. */
export function workspaceOf(ctx: RequestContext): string {
  return ctx.principal.workspaceId;
}
