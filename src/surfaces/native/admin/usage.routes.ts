import { Type } from '@sinclair/typebox';
import type { App } from '../../../platform/http/types.js';
import { errorResponses } from '../errors.js';
import { DateTime } from '../schemas.js';
import { adminSecurity, scopedWorkspace, type AdminDeps } from './index.js';

const UsageItem = Type.Object({
  key: Type.String({ description: 'agent id, day (YYYY-MM-DD), model, or `total` without group_by.' }),
  messages: Type.Integer({ description: 'Generations counted (persist=false runs included).' }),
  input_tokens: Type.Integer(),
  output_tokens: Type.Integer(),
  cached_tokens: Type.Integer(),
  cost_usd: Type.Number(),
});

export function usageAdminRoutes(app: App, { services }: AdminDeps): void {
  app.get(
    '/workspaces/:workspace_id/usage',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin · Usage'],
        security: adminSecurity,
        summary: 'Token usage and cost of a workspace',
        params: Type.Object({ workspace_id: Type.String() }),
        querystring: Type.Object({
          from: Type.Optional(DateTime),
          to: Type.Optional(DateTime),
          group_by: Type.Optional(
            Type.Union([Type.Literal('agent'), Type.Literal('day'), Type.Literal('model')]),
          ),
        }),
        response: {
          200: Type.Object({ items: Type.Array(UsageItem) }),
          ...errorResponses(401, 403, 404, 422),
        },
      },
    },
    async (req) => {
      const scope = scopedWorkspace(req, req.params.workspace_id);
      return services.usage.workspaceUsage(scope.workspaceId, { ...req.query, agentIds: scope.agentIds });
    },
  );

  app.get(
    '/models',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin · Models'],
        security: adminSecurity,
        summary: 'Configured providers and declared models, with prices',
        response: {
          200: Type.Object({
            providers: Type.Array(Type.Object({ name: Type.String(), configured: Type.Boolean() })),
            models: Type.Array(
              Type.Object({
                id: Type.String(),
                model: Type.String(),
                provider: Type.String(),
                label: Type.Union([Type.String(), Type.Null()]),
                available: Type.Boolean(),
                price: Type.Union([
                  Type.Object({
                    input_usd_per_mtok: Type.Number(),
                    cached_input_usd_per_mtok: Type.Number(),
                    output_usd_per_mtok: Type.Number(),
                  }),
                  Type.Null(),
                ]),
              }),
            ),
          }),
          ...errorResponses(401, 403),
        },
      },
    },
    async () => services.models.listModels(),
  );
}
