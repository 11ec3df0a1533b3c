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

export type AuthMode = 'agent-key' | 'admin' | 'none';

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
  }
}
