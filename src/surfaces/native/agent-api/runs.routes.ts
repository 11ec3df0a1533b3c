import { Type } from '@sinclair/typebox';
import type { App } from '../../../platform/http/types.js';
import { errorResponses } from '../errors.js';
import { replyIdempotent } from '../idempotent.js';
import { FreeObject, IdParam, Nullable, SessionUser } from '../schemas.js';
import type { AgentApiDeps } from './index.js';
import { agentInPathAllowed } from './sessions.routes.js';

const RunBody = Type.Object({
  messages: Type.Array(Type.Ref('MessageCreateRequest'), {
    minItems: 1,
    maxItems: 10,
    description: '1–10 messages; the last must have role user.',
  }),
  user: Type.Optional(SessionUser),
  context: Type.Optional(FreeObject('Injected into the system context for this run.')),
  metadata: Type.Optional(FreeObject('Stored on the session; not seen by the agent.')),
  persist: Type.Optional(
    Type.Boolean({ default: true, description: '`false`: nothing is stored (usage is still counted).' }),
  ),
});

const RunResult = Type.Object({ agent_message: Type.Ref('Message'), session_id: Nullable(Type.String()) });

export function runRoutes(app: App, { services, ctx, hide }: AgentApiDeps): void {
  app.post(
    '/:agent_id/run',
    {
      config: { auth: 'agent-key' },
      preValidation: agentInPathAllowed,
      schema: {
        hide,
        tags: ['Agent API · Runs'],
        security: [{ ApiKey: [] }],
        summary: 'A17 · Run an agent once on a list of messages',
        description: 'Optional `Idempotency-Key` header (see A10).',
        params: IdParam('agent_id', 'Agent id'),
        body: RunBody,
        response: {
          200: RunResult,
          ...errorResponses(400, 401, 403, 404, 409, 413, 422, 429, 502, 503, 504),
        },
      },
    },
    async (req, reply) => {
      const c = ctx(req, reply);
      return replyIdempotent(
        services,
        req,
        reply,
        { workspaceId: c.principal.workspaceId, scope: `A17:${req.params.agent_id}` },
        (started) => services.runs.runAgent(c, req.params.agent_id, req.body as never, started),
      );
    },
  );
}
