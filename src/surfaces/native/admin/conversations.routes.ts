import { Type } from '@sinclair/typebox';
import { PageQuery } from '../../../platform/http/pagination.js';
import type { App } from '../../../platform/http/types.js';
import { errorResponses } from '../errors.js';
import { DateTime } from '../schemas.js';
import { adminSecurity, scopedWorkspace, type AdminDeps } from './index.js';

const ListQuery = Type.Composite(
  [
    PageQuery,
    Type.Object({
      agent_id: Type.Optional(Type.String({ format: 'uuid' })),
      status: Type.Optional(
        Type.Union([Type.Literal('active'), Type.Literal('closed'), Type.Literal('expired')]),
      ),
      user_id: Type.Optional(Type.String({ format: 'uuid' })),
      is_test: Type.Optional(
        Type.Boolean({
          description:
            'Papo extension: `false` hides test conversations (Gennia `isTest`, RD Station `preview`, sessions created with `is_test`), `true` lists only them; absent lists all.',
        }),
      ),
      created_after: Type.Optional(DateTime),
      created_before: Type.Optional(DateTime),
      search: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 200,
          description: 'Full text over message content, user data and ids.',
        }),
      ),
    }),
  ],
  { additionalProperties: true, description: 'Also `metadata.<key>=<value>` (exact match).' },
);

const Summary = Type.Object(
  { id: Type.String(), kind: Type.String(), status: Type.String() },
  { additionalProperties: true },
);
const tags = ['Admin · Conversations'];
const config = { auth: 'admin' as const };

export function conversationAdminRoutes(app: App, { services }: AdminDeps): void {
  app.get(
    '/workspaces/:workspace_id/conversations',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'List conversations (sessions and public conversations alike)',
        params: Type.Object({ workspace_id: Type.String() }),
        querystring: ListQuery,
        response: {
          200: Type.Object({
            items: Type.Array(Summary),
            next_offset: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errorResponses(401, 403, 404, 422),
        },
      },
    },
    async (req) => {
      const scope = scopedWorkspace(req, req.params.workspace_id);
      const q = req.query as typeof req.query & Record<string, unknown>;
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(q)) {
        if (k.startsWith('metadata.') && k.length > 9)
          metadata[k.slice(9)] = String(Array.isArray(v) ? v[0] : v);
      }
      return services.conversations.listConversations(scope.workspaceId, {
        ...req.query,
        metadata,
        agentIds: scope.agentIds,
      });
    },
  );

  app.get(
    '/workspaces/:workspace_id/conversations/:conversation_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'A conversation with every message (all roles), files and usage totals',
        params: Type.Object({ workspace_id: Type.String(), conversation_id: Type.String() }),
        response: {
          200: Type.Object(
            { id: Type.String(), messages: Type.Array(Type.Ref('Message')) },
            { additionalProperties: true },
          ),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (req) => {
      const scope = scopedWorkspace(req, req.params.workspace_id);
      return services.conversations.getConversationDetail(
        scope.workspaceId,
        req.params.conversation_id,
        scope.agentIds,
      );
    },
  );
}
