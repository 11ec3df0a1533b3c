import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/types.js';
import { sendGenniaSse } from './sse.js';
import { AgentParams, PublicMessageResponse, SendMessageBody } from './schemas.js';
import { SEND_BODY_LIMIT, type GenniaRouteDeps } from './routes.js';

/** gennia.md §3.1–3.2: send a message, sync or streamed. */
export function chatRoutes(app: App, { chat, ctx }: GenniaRouteDeps): void {
  const config = { genniaScope: 'agent:run' as const, conversationInBody: true };
  // A send naming its conversation joins that conversation's queue in arrival order (its
  // arrival ticket, taken before auth) before any lookup (architecture.md step 4); the root
  // onResponse hook gives an unused place back.
  const reserveTurn = async (req: FastifyRequest, body: SendMessageBody) => {
    if (body.conversationId === undefined) req.arrival?.skip();
    else req.turn = await req.arrival!.reserve(body.conversationId.toLowerCase());
  };

  app.post(
    '/agents/:agentPublicId/messages',
    {
      config,
      bodyLimit: SEND_BODY_LIMIT,
      schema: {
        hide: true,
        params: AgentParams,
        body: SendMessageBody,
        response: { 200: PublicMessageResponse },
      },
    },
    async (req, reply) => {
      const startedAt = Date.now() - reply.elapsedTime;
      await reserveTurn(req, req.body);
      return chat.send(ctx(req, reply), req.params.agentPublicId, req.body, startedAt);
    },
  );

  app.post(
    '/agents/:agentPublicId/messages/stream',
    {
      config,
      bodyLimit: SEND_BODY_LIMIT,
      schema: { hide: true, params: AgentParams, body: SendMessageBody },
    },
    async (req, reply) => {
      await reserveTurn(req, req.body);
      const events = await chat.stream(ctx(req, reply), req.params.agentPublicId, req.body);
      await sendGenniaSse(req, reply, events);
    },
  );
}
