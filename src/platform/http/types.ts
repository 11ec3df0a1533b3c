import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * `agent-key`: Agent API secret key in X-API-Key. `public-key`: Public Chat P1/P3, a public key
 * or a secret one with agent:run. `session-token`: Public Chat Bearer session token.
 * `admin`: operator token or admin key. `none`: open.
 */
export type AuthMode = 'agent-key' | 'public-key' | 'session-token' | 'admin' | 'none';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How the surface authenticates this route (checked in onRequest, before the body is read). */
    auth?: AuthMode;
    /** The JSON body may be absent (or empty); the handler then sees `{}`. */
    optionalBody?: boolean;
    /**
     * Path parameter naming the conversation whose generation queue this request joins the
     * moment it arrives (before auth and lookups), so concurrent sends keep arrival order.
     */
    conversationParam?: string;
    /**
     * The conversation is named in the body (compat sends): the request takes an arrival ticket
     * when it arrives and joins the queue with `request.arrival.reserve(id)` once the body is read.
     */
    conversationInBody?: boolean;
  }
}
