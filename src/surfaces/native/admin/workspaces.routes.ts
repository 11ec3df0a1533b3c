import { Type } from '@sinclair/typebox';
import { PageQuery, PageSchema } from '../../../platform/http/pagination.js';
import type { App } from '../../../platform/http/types.js';
import { errorResponses } from '../errors.js';
import { DateTime, IdParam } from '../schemas.js';
import { adminSecurity, requireOperator, scopedWorkspace, type AdminDeps } from './index.js';

const Workspace = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: DateTime,
  updated_at: DateTime,
});
const WorkspaceId = IdParam('workspace_id', 'Workspace id');
const Name = Type.String({ minLength: 1, maxLength: 150 });
const tags = ['Admin · Workspaces'];
const config = { auth: 'admin' as const };

export function workspaceAdminRoutes(app: App, { services }: AdminDeps): void {
  app.post(
    '/workspaces',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Create a workspace (operator token only)',
        body: Type.Object({ name: Name }),
        response: { 200: Workspace, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (req) => {
      requireOperator(req);
      return services.workspaces.createWorkspace(req.body);
    },
  );

  app.get(
    '/workspaces',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'List workspaces (an admin key sees only its own)',
        querystring: PageQuery,
        response: { 200: PageSchema(Workspace), ...errorResponses(401, 403, 422) },
      },
    },
    async (req) => {
      const p = req.principal;
      if (p?.kind === 'key') {
        const own = await services.workspaces.getWorkspace(p.workspaceId);
        return { items: req.query.offset === 0 ? [own] : [], next_offset: null };
      }
      return services.workspaces.listWorkspaces(req.query);
    },
  );

  app.get(
    '/workspaces/:workspace_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Get a workspace',
        params: WorkspaceId,
        response: { 200: Workspace, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) =>
      services.workspaces.getWorkspace(scopedWorkspace(req, req.params.workspace_id).workspaceId),
  );

  app.patch(
    '/workspaces/:workspace_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Rename a workspace',
        params: WorkspaceId,
        body: Type.Object({ name: Type.Optional(Name) }),
        response: { 200: Workspace, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (req) =>
      services.workspaces.updateWorkspace(
        scopedWorkspace(req, req.params.workspace_id).workspaceId,
        req.body,
      ),
  );

  app.delete(
    '/workspaces/:workspace_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Delete a workspace (soft; its keys stop working at once)',
        params: WorkspaceId,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      requireOperator(req);
      await services.workspaces.deleteWorkspace(req.params.workspace_id);
      return reply.status(204).send(null);
    },
  );
}
