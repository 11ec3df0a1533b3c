import { Type, type Static } from '@sinclair/typebox';
import type { App } from '../../../platform/http/types.js';
import { PageQuery, PageSchema } from '../../../platform/http/pagination.js';
import { errorResponses } from '../errors.js';
import { DateTime, FreeObject, IdParam, Nullable } from '../schemas.js';
import type { AgentApiDeps } from './index.js';

export const User = Type.Object(
  {
    id: Type.String(),
    created_at: DateTime,
    updated_at: DateTime,
    reference: Nullable(Type.String()),
    name: Nullable(Type.String()),
    email: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    metadata: FreeObject(),
    info: FreeObject(),
  },
  { $id: 'User' },
);

const UserFields = {
  reference: Type.Optional(
    Nullable(
      Type.String({ maxLength: 128, pattern: '^[a-zA-Z0-9_\\-:.]+$', description: 'Unique per workspace.' }),
    ),
  ),
  name: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
  email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 254 }))),
  phone: Type.Optional(Nullable(Type.String({ maxLength: 32 }))),
  metadata: Type.Optional(Nullable(FreeObject('Stored and returned, never shown to the model.'))),
  info: Type.Optional(Nullable(FreeObject('Rendered into the <user_info> block of bound sessions.'))),
};
const UserInput = Type.Object(UserFields);
export type UserInputBody = Static<typeof UserInput>;

const UserListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    reference: Type.Optional(Type.String()),
    email: Type.Optional(Type.String({ description: 'Exact match, case-insensitive.' })),
    created_after: Type.Optional(DateTime),
    created_before: Type.Optional(DateTime),
  }),
]);

const UserId = IdParam('user_id', 'End-user id');
const tags = ['Agent API · Users'];
const security = [{ ApiKey: [] }];
const common = [400, 401, 403, 429];

export function userRoutes(app: App, { services, ctx, hide }: AgentApiDeps): void {
  app.post(
    '/users',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A1 · Create an end user',
        body: UserInput,
        response: { 200: Type.Ref('User'), ...errorResponses(...common, 409, 413, 422) },
      },
    },
    async (req, reply) => services.users.createUser(ctx(req, reply), req.body ?? {}),
  );

  app.get(
    '/users',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A2 · List end users (newest first)',
        querystring: UserListQuery,
        response: { 200: PageSchema(Type.Ref('User')), ...errorResponses(...common, 422) },
      },
    },
    async (req, reply) => services.users.listUsers(ctx(req, reply), req.query),
  );

  app.get(
    '/users/:user_id',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A3 · Get an end user',
        params: UserId,
        response: { 200: Type.Ref('User'), ...errorResponses(...common, 404) },
      },
    },
    async (req, reply) => services.users.getUser(ctx(req, reply), req.params.user_id),
  );

  app.patch(
    '/users/:user_id',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A4 · Update an end user (absent = unchanged, null = cleared, objects replaced whole)',
        params: UserId,
        body: UserInput,
        response: { 200: Type.Ref('User'), ...errorResponses(...common, 404, 409, 413, 422) },
      },
    },
    async (req, reply) => services.users.updateUser(ctx(req, reply), req.params.user_id, req.body ?? {}),
  );

  app.delete(
    '/users/:user_id',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A5 · Delete an end user (soft; the reference becomes free)',
        params: UserId,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(...common, 404) },
      },
    },
    async (req, reply) => {
      await services.users.deleteUser(ctx(req, reply), req.params.user_id);
      return reply.status(204).send(null);
    },
  );
}
