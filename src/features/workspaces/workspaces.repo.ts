import { and, desc, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/client.js';
import { workspaces } from '../../platform/db/schema/index.js';
import { NotFoundError } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';

export type WorkspaceRow = typeof workspaces.$inferSelect;

export async function findWorkspace(db: DbOrTx, id: string): Promise<WorkspaceRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .select()
    .from(workspaces)
    .where(and(eq(workspaces.id, id), isNull(workspaces.deletedAt)));
  return row;
}

export async function getWorkspaceOrThrow(db: DbOrTx, id: string): Promise<WorkspaceRow> {
  const row = await findWorkspace(db, id);
  if (!row) throw new NotFoundError('workspace', id);
  return row;
}

export async function listWorkspaceRows(
  db: DbOrTx,
  page: { limit: number; offset: number },
): Promise<WorkspaceRow[]> {
  return db
    .select()
    .from(workspaces)
    .where(isNull(workspaces.deletedAt))
    .orderBy(desc(workspaces.id))
    .limit(page.limit + 1)
    .offset(page.offset);
}
