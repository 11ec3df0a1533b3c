import { and, eq, isNull } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { workspaces } from '../../platform/db/schema/index.js';
import { NotFoundError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { toPage, type Page } from '../../platform/http/pagination.js';
import { getWorkspaceOrThrow, listWorkspaceRows, type WorkspaceRow } from './workspaces.repo.js';

export interface Workspace {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export function toWorkspace(row: WorkspaceRow): Workspace {
  return {
    id: row.id,
    name: row.name,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export interface WorkspacesService {
  createWorkspace(input: { name: string }): Promise<Workspace>;
  listWorkspaces(page: { limit: number; offset: number }): Promise<Page<Workspace>>;
  getWorkspace(id: string): Promise<Workspace>;
  updateWorkspace(id: string, input: { name?: string }): Promise<Workspace>;
  deleteWorkspace(id: string): Promise<void>;
}

export function createWorkspacesService(deps: { db: Db; clock: Clock }): WorkspacesService {
  const { db, clock } = deps;
  return {
    async createWorkspace(input) {
      const now = clock.now();
      const [row] = await db
        .insert(workspaces)
        .values({ id: newId(), name: input.name, createdAt: now, updatedAt: now })
        .returning();
      return toWorkspace(row!);
    },
    async listWorkspaces(page) {
      return toPage(await listWorkspaceRows(db, page), page, toWorkspace);
    },
    async getWorkspace(id) {
      return toWorkspace(await getWorkspaceOrThrow(db, id));
    },
    async updateWorkspace(id, input) {
      const row = await getWorkspaceOrThrow(db, id);
      if (input.name === undefined) return toWorkspace(row);
      const [updated] = await db
        .update(workspaces)
        .set({ name: input.name, updatedAt: clock.now() })
        .where(and(eq(workspaces.id, row.id), isNull(workspaces.deletedAt)))
        .returning();
      if (!updated) throw new NotFoundError('workspace', id);
      return toWorkspace(updated);
    },
    async deleteWorkspace(id) {
      await getWorkspaceOrThrow(db, id);
      const deleted = await db
        .update(workspaces)
        .set({ deletedAt: clock.now() })
        .where(and(eq(workspaces.id, id), isNull(workspaces.deletedAt)))
        .returning({ id: workspaces.id });
      if (deleted.length === 0) throw new NotFoundError('workspace', id);
    },
  };
}
