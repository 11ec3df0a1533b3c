import { and, desc, eq, gte, isNull, lt, sql } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/client.js';
import { endUsers } from '../../platform/db/schema/index.js';
import { AppError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { isUuid, newId } from '../../platform/ids.js';
import { toPage, type Page } from '../../platform/http/pagination.js';
import { assertJsonSize } from '../../platform/json-size.js';
import { isUniqueViolation } from '../agents/agents.service.js';
import { workspaceOf, type RequestContext } from '../context.js';
import { requireScope } from '../keys/principal.js';

export type UserRow = typeof endUsers.$inferSelect;

export interface User {
  id: string;
  created_at: string;
  updated_at: string;
  reference: string | null;
  name: string | null;
  email: string | null;
  phone: string | null;
  metadata: Record<string, unknown>;
  info: Record<string, unknown>;
}

export interface UserInput {
  reference?: string | null;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  metadata?: Record<string, unknown> | null;
  info?: Record<string, unknown> | null;
}

export interface UserFilters {
  reference?: string;
  email?: string;
  created_after?: string;
  created_before?: string;
  limit: number;
  offset: number;
}

/** `SessionUser`: lookup only, never creates a user (quintus.md §5.4). */
export interface SessionUserRef {
  id?: string;
  reference?: string;
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    reference: row.reference,
    name: row.name,
    email: row.email,
    phone: row.phone,
    metadata: row.metadata,
    info: row.info,
  };
}

export async function getUserOrThrow(db: DbOrTx, workspaceId: string, userId: string): Promise<UserRow> {
  if (!isUuid(userId)) throw new NotFoundError('user', userId);
  const [row] = await db
    .select()
    .from(endUsers)
    .where(and(eq(endUsers.id, userId), eq(endUsers.workspaceId, workspaceId), isNull(endUsers.deletedAt)));
  if (!row) throw new NotFoundError('user', userId);
  return row;
}

/** Resolves a SessionUser: no match → 422 user_not_found; neither field or a mismatch → 422 validation_error. */
export async function resolveSessionUser(
  db: DbOrTx,
  workspaceId: string,
  ref: SessionUserRef,
  path = 'user',
): Promise<UserRow> {
  if (ref.id === undefined && ref.reference === undefined) {
    throw new ValidationError([{ location: 'body', path, message: 'needs id or reference' }]);
  }
  const conds = [eq(endUsers.workspaceId, workspaceId), isNull(endUsers.deletedAt)];
  if (ref.id !== undefined) {
    if (!isUuid(ref.id)) throw notFound(ref);
    conds.push(eq(endUsers.id, ref.id));
  }
  if (ref.reference !== undefined && ref.id === undefined) conds.push(eq(endUsers.reference, ref.reference));
  const [row] = await db
    .select()
    .from(endUsers)
    .where(and(...conds));
  if (!row) throw notFound(ref);
  if (ref.id !== undefined && ref.reference !== undefined && row.reference !== ref.reference) {
    throw new ValidationError([{ location: 'body', path, message: 'id and reference name different users' }]);
  }
  return row;
}

function notFound(ref: SessionUserRef): AppError {
  return new AppError('user_not_found', 'No end user matches the given id or reference.', {
    ...(ref.id !== undefined && { id: ref.id }),
    ...(ref.reference !== undefined && { reference: ref.reference }),
  });
}

export interface UsersService {
  createUser(ctx: RequestContext, input: UserInput): Promise<User>;
  listUsers(ctx: RequestContext, filters: UserFilters): Promise<Page<User>>;
  getUser(ctx: RequestContext, userId: string): Promise<User>;
  updateUser(ctx: RequestContext, userId: string, patch: UserInput): Promise<User>;
  deleteUser(ctx: RequestContext, userId: string): Promise<void>;
}

export function createUsersService(deps: { db: Db; clock: Clock }): UsersService {
  const { db, clock } = deps;

  async function referenceConflict(workspaceId: string, reference: string): Promise<AppError> {
    const [existing] = await db
      .select({ id: endUsers.id })
      .from(endUsers)
      .where(
        and(
          eq(endUsers.workspaceId, workspaceId),
          eq(endUsers.reference, reference),
          isNull(endUsers.deletedAt),
        ),
      );
    return new AppError(
      'user_reference_conflict',
      'Another user of this workspace already has this reference.',
      {
        reference,
        user_id: existing?.id ?? null,
      },
    );
  }

  async function onConflict<T>(
    workspaceId: string,
    reference: string | null | undefined,
    fn: () => Promise<T>,
  ) {
    try {
      return await fn();
    } catch (err) {
      if (reference && isUniqueViolation(err, 'end_users_reference_uq')) {
        throw await referenceConflict(workspaceId, reference);
      }
      throw err;
    }
  }

  return {
    async createUser(ctx, input) {
      requireScope(ctx.principal, 'agent:run');
      assertJsonSize('metadata', input.metadata);
      assertJsonSize('info', input.info);
      const workspaceId = workspaceOf(ctx);
      const now = clock.now();
      const [row] = await onConflict(workspaceId, input.reference, () =>
        db
          .insert(endUsers)
          .values({
            id: newId(),
            workspaceId,
            reference: input.reference ?? null,
            name: input.name ?? null,
            email: input.email ?? null,
            phone: input.phone ?? null,
            metadata: input.metadata ?? {},
            info: input.info ?? {},
            createdAt: now,
            updatedAt: now,
          })
          .returning(),
      );
      return toUser(row!);
    },

    async listUsers(ctx, f) {
      requireScope(ctx.principal, 'agent:run');
      const conds = [eq(endUsers.workspaceId, workspaceOf(ctx)), isNull(endUsers.deletedAt)];
      if (f.reference !== undefined) conds.push(eq(endUsers.reference, f.reference));
      if (f.email !== undefined) conds.push(eq(sql`lower(${endUsers.email})`, f.email.toLowerCase()));
      if (f.created_after !== undefined) conds.push(gte(endUsers.createdAt, new Date(f.created_after)));
      if (f.created_before !== undefined) conds.push(lt(endUsers.createdAt, new Date(f.created_before)));
      const rows = await db
        .select()
        .from(endUsers)
        .where(and(...conds))
        .orderBy(desc(endUsers.id))
        .limit(f.limit + 1)
        .offset(f.offset);
      return toPage(rows, f, toUser);
    },

    async getUser(ctx, userId) {
      requireScope(ctx.principal, 'agent:run');
      return toUser(await getUserOrThrow(db, workspaceOf(ctx), userId));
    },

    async updateUser(ctx, userId, patch) {
      requireScope(ctx.principal, 'agent:run');
      assertJsonSize('metadata', patch.metadata);
      assertJsonSize('info', patch.info);
      const workspaceId = workspaceOf(ctx);
      const current = await getUserOrThrow(db, workspaceId, userId);
      const fields = {
        ...(patch.reference !== undefined && { reference: patch.reference }),
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.email !== undefined && { email: patch.email }),
        ...(patch.phone !== undefined && { phone: patch.phone }),
        ...(patch.metadata !== undefined && { metadata: patch.metadata ?? {} }),
        ...(patch.info !== undefined && { info: patch.info ?? {} }),
      };
      if (Object.keys(fields).length === 0) return toUser(current);
      const [row] = await onConflict(workspaceId, patch.reference, () =>
        db
          .update(endUsers)
          .set({ ...fields, updatedAt: clock.now() })
          .where(and(eq(endUsers.id, current.id), isNull(endUsers.deletedAt)))
          .returning(),
      );
      if (!row) throw new NotFoundError('user', userId);
      return toUser(row);
    },

    async deleteUser(ctx, userId) {
      requireScope(ctx.principal, 'agent:run');
      const current = await getUserOrThrow(db, workspaceOf(ctx), userId);
      const deleted = await db
        .update(endUsers)
        .set({ deletedAt: clock.now() })
        .where(and(eq(endUsers.id, current.id), isNull(endUsers.deletedAt)))
        .returning({ id: endUsers.id });
      if (deleted.length === 0) throw new NotFoundError('user', userId);
    },
  };
}
