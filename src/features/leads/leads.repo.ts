import { and, asc, desc, eq, gte, ilike, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/client.js';
import { agents } from '../../platform/db/schema/index.js';
import { leads } from '../../platform/db/schema/leads.js';
import { NotFoundError } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import { escapeLike } from '../agents/agents.repo.js';

export type LeadRow = typeof leads.$inferSelect;
export type NewLead = typeof leads.$inferInsert;
export type LeadCapture = LeadRow['capture'];

/** The contact fields an agent may collect (RD Station `fields`). */
export const LEAD_FIELDS = ['name', 'email', 'phone', 'company', 'site'] as const;
export type LeadField = (typeof LEAD_FIELDS)[number];

export type LeadOrder =
  'createdAtDesc' | 'createdAtAsc' | 'updatedAtDesc' | 'updatedAtAsc' | 'nameAsc' | 'nameDesc';

export interface LeadFilters {
  search?: string;
  name?: string;
  email?: string;
  phone?: string;
  createdAtStart?: string;
  agentId?: string;
  capture?: LeadCapture;
  orderBy: LeadOrder;
}

/** Tenant-scoped read of a live lead, or undefined (malformed id included). */
export async function findLead(db: DbOrTx, workspaceId: string, id: string): Promise<LeadRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .select()
    .from(leads)
    .where(and(eq(leads.id, id), eq(leads.workspaceId, workspaceId), isNull(leads.deletedAt)));
  return row;
}

export async function getLeadOrThrow(db: DbOrTx, workspaceId: string, id: string): Promise<LeadRow> {
  const row = await findLead(db, workspaceId, id);
  if (!row) throw new NotFoundError('lead', id);
  return row;
}

/** Live leads by id (conversation lists embed them); missing or deleted ids are absent. */
export async function leadsById(
  db: DbOrTx,
  workspaceId: string,
  ids: Array<string | null>,
): Promise<Map<string, LeadRow>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await db
    .select()
    .from(leads)
    .where(and(eq(leads.workspaceId, workspaceId), inArray(leads.id, wanted), isNull(leads.deletedAt)));
  return new Map(rows.map((r) => [r.id, r]));
}

export async function insertLead(db: DbOrTx, lead: NewLead): Promise<LeadRow> {
  const [row] = await db.insert(leads).values(lead).returning();
  return row!;
}

function where(workspaceId: string, f: LeadFilters, agentIds: string[] | null): SQL {
  const conds: SQL[] = [eq(leads.workspaceId, workspaceId), isNull(leads.deletedAt)];
  const like = (v: string) => `%${escapeLike(v)}%`;
  if (f.search !== undefined && f.search !== '') {
    const term = like(f.search);
    conds.push(
      or(
        ilike(leads.name, term),
        ilike(leads.email, term),
        ilike(leads.phone, term),
        ilike(leads.company, term),
      )!,
    );
  }
  if (f.name !== undefined) conds.push(ilike(leads.name, like(f.name)));
  if (f.email !== undefined) conds.push(ilike(leads.email, like(f.email)));
  if (f.phone !== undefined) conds.push(ilike(leads.phone, like(f.phone)));
  if (f.createdAtStart !== undefined) conds.push(gte(leads.createdAt, new Date(f.createdAtStart)));
  if (f.agentId !== undefined) conds.push(eq(leads.agentId, f.agentId));
  if (f.capture !== undefined) conds.push(eq(leads.capture, f.capture));
  // README §3.3: leads of agents outside the allow-list are hidden; leads without an agent are not
  if (agentIds) {
    conds.push(
      agentIds.length > 0
        ? or(isNull(leads.agentId), inArray(leads.agentId, agentIds))!
        : isNull(leads.agentId),
    );
  }
  return and(...conds)!;
}

const ORDER: Record<LeadOrder, SQL[]> = {
  createdAtDesc: [desc(leads.id)],
  createdAtAsc: [asc(leads.id)],
  updatedAtDesc: [desc(leads.updatedAt), desc(leads.id)],
  updatedAtAsc: [asc(leads.updatedAt), asc(leads.id)],
  nameAsc: [sql`lower(${leads.name}) asc nulls last`, asc(leads.id)],
  nameDesc: [sql`lower(${leads.name}) desc nulls last`, desc(leads.id)],
};

export async function listLeadRows(
  db: DbOrTx,
  workspaceId: string,
  f: LeadFilters,
  page: { limit: number; offset: number },
  agentIds: string[] | null,
): Promise<{ rows: LeadRow[]; total: number }> {
  const cond = where(workspaceId, f, agentIds);
  const [rows, [count]] = await Promise.all([
    db
      .select()
      .from(leads)
      .where(cond)
      .orderBy(...ORDER[f.orderBy])
      .limit(page.limit)
      .offset(page.offset),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(leads)
      .where(cond),
  ]);
  return { rows, total: count?.n ?? 0 };
}

/** Soft delete; false when there was nothing live to delete. */
export async function softDeleteLead(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  at: Date,
): Promise<boolean> {
  if (!isUuid(id)) return false;
  const rows = await db
    .update(leads)
    .set({ deletedAt: at, updatedAt: at })
    .where(and(eq(leads.id, id), eq(leads.workspaceId, workspaceId), isNull(leads.deletedAt)))
    .returning({ id: leads.id });
  return rows.length > 0;
}

/** Whether a live agent of the workspace has this id (a lead's `agentId` must name one). */
export async function agentExists(db: DbOrTx, workspaceId: string, agentId: string): Promise<boolean> {
  if (!isUuid(agentId)) return false;
  const rows = await db
    .select({ id: agents.id })
    .from(agents)
    .where(and(eq(agents.id, agentId), eq(agents.workspaceId, workspaceId), isNull(agents.deletedAt)));
  return rows.length > 0;
}
