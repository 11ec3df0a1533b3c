import { and, desc, eq, ilike, inArray, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/client.js';
import { preparedQuery } from '../../platform/db/prepared.js';
import { agents, agentVersions } from '../../platform/db/schema/index.js';
import { AgentUnavailableError, NotFoundError } from '../../platform/errors.js';
import { AgentLimitReachedError } from './agents.errors.js';
import { isUuid } from '../../platform/ids.js';

export type AgentRow = typeof agents.$inferSelect;
export type AgentVersionRow = typeof agentVersions.$inferSelect;

export async function getAgentOrThrow(db: DbOrTx, workspaceId: string, agentId: string): Promise<AgentRow> {
  if (!isUuid(agentId)) throw new NotFoundError('agent', agentId);
  const [row] = await db
    .select()
    .from(agents)
    .where(and(eq(agents.id, agentId), eq(agents.workspaceId, workspaceId), isNull(agents.deletedAt)));
  if (!row) throw new NotFoundError('agent', agentId);
  return row;
}

/** getAgentOrThrow inside a transaction, holding the row lock until it ends (PATCH/publish). */
export async function lockAgentOrThrow(tx: DbOrTx, workspaceId: string, agentId: string): Promise<AgentRow> {
  if (!isUuid(agentId)) throw new NotFoundError('agent', agentId);
  const [row] = await tx
    .select()
    .from(agents)
    .where(and(eq(agents.id, agentId), eq(agents.workspaceId, workspaceId), isNull(agents.deletedAt)))
    .for('update');
  if (!row) throw new NotFoundError('agent', agentId);
  return row;
}

/** The agent, row-locked, and one of its published versions: 404 `agent` or 404 `version`. */
export async function lockAgentWithVersionOrThrow(
  tx: DbOrTx,
  workspaceId: string,
  agentId: string,
  version: number,
): Promise<{ agent: AgentRow; snapshot: AgentVersionRow }> {
  const agent = await lockAgentOrThrow(tx, workspaceId, agentId);
  const snapshot = await findVersionRow(tx, agent.id, version);
  if (!snapshot) throw new NotFoundError('version', String(version));
  return { agent, snapshot };
}

/**
 * The agent named by a request (A6, A17) and its latest published version: 404 when missing or
 * deleted, 409 agent_unavailable when not runnable (README §6.3).
 */
export async function getRunnableAgent(
  db: DbOrTx,
  workspaceId: string,
  agentId: string,
): Promise<{ agent: AgentRow; version: AgentVersionRow }> {
  return runnableVersion(db, await getAgentOrThrow(db, workspaceId, agentId));
}

const agentWithLatestVersion = preparedQuery((db) =>
  db
    .select({ agent: agents, version: agentVersions })
    .from(agents)
    .leftJoin(
      agentVersions,
      and(eq(agentVersions.agentId, agents.id), eq(agentVersions.version, agents.latestVersion)),
    )
    .where(and(eq(agents.id, sql.placeholder('id')), eq(agents.workspaceId, sql.placeholder('workspaceId'))))
    .prepare('papo_agent_with_latest_version'),
);

/**
 * The agent of an existing conversation: the conversation is there, so an agent deleted since
 * is not a missing resource but a non-runnable one (409 agent_unavailable, status `deleted`).
 */
export async function getRunnableAgentOfConversation(
  db: DbOrTx,
  conversation: { workspaceId: string; agentId: string },
): Promise<{ agent: AgentRow; version: AgentVersionRow }> {
  // one round trip: the agent and its latest published version (every turn reads these)
  const [row] = await agentWithLatestVersion(db).execute({
    id: conversation.agentId,
    workspaceId: conversation.workspaceId,
  });
  if (!row) throw new NotFoundError('agent', conversation.agentId);
  return runnableAgentOfConversation(row.agent, row.version);
}

/** The checks of getRunnableAgentOfConversation on rows already read (joined with the conversation). */
export function runnableAgentOfConversation(
  agent: AgentRow,
  version: AgentVersionRow | null,
): { agent: AgentRow; version: AgentVersionRow } {
  if (agent.deletedAt) throw new AgentUnavailableError(agent.id, 'deleted');
  return runnable(agent, version ?? undefined);
}

async function runnableVersion(
  db: DbOrTx,
  agent: AgentRow,
): Promise<{ agent: AgentRow; version: AgentVersionRow }> {
  if (agent.status !== 'active' || agent.latestVersion === 0) return runnable(agent, undefined);
  const [version] = await db
    .select()
    .from(agentVersions)
    .where(and(eq(agentVersions.agentId, agent.id), eq(agentVersions.version, agent.latestVersion)));
  return runnable(agent, version);
}

/** 409 agent_unavailable unless the agent is active and has a published version. */
function runnable(
  agent: AgentRow,
  version: AgentVersionRow | undefined,
): { agent: AgentRow; version: AgentVersionRow } {
  if (agent.status !== 'active' || agent.latestVersion === 0 || !version) {
    throw new AgentUnavailableError(agent.id, agent.latestVersion === 0 ? 'draft' : agent.status);
  }
  return { agent, version };
}

export async function listAgentRows(
  db: DbOrTx,
  workspaceId: string,
  opts: { limit: number; offset: number; search?: string; agentIds: string[] | null },
): Promise<AgentRow[]> {
  const conds = [eq(agents.workspaceId, workspaceId), isNull(agents.deletedAt)];
  if (opts.search) conds.push(ilike(agents.name, `%${escapeLike(opts.search)}%`));
  if (opts.agentIds) {
    if (opts.agentIds.length === 0) return [];
    conds.push(sql`${agents.id} in ${opts.agentIds}`);
  }
  return db
    .select()
    .from(agents)
    .where(and(...conds))
    .orderBy(desc(agents.id))
    .limit(opts.limit + 1)
    .offset(opts.offset);
}

/** Inserts an agent unless the workspace is at its agent limit (call inside a transaction). */
export async function insertAgentWithinLimit(
  tx: DbOrTx,
  workspace: { id: string; maxAgents: number | null },
  values: typeof agents.$inferInsert,
): Promise<AgentRow> {
  if (workspace.maxAgents !== null && (await countAgents(tx, workspace.id)) >= workspace.maxAgents) {
    throw new AgentLimitReachedError(workspace.maxAgents);
  }
  const [inserted] = await tx.insert(agents).values(values).returning();
  return inserted!;
}

export async function countAgents(db: DbOrTx, workspaceId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(agents)
    .where(and(eq(agents.workspaceId, workspaceId), isNull(agents.deletedAt)));
  return row?.n ?? 0;
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function agentOutputFormat(db: DbOrTx, agentId: string): Promise<AgentRow['outputFormat']> {
  const [row] = await db.select({ f: agents.outputFormat }).from(agents).where(eq(agents.id, agentId));
  return row?.f ?? 'markdown';
}

export interface AgentListFilters {
  limit: number;
  offset: number;
  /** Any of these statuses; absent = every status but `archived` unless includeArchived. */
  statuses?: AgentRow['status'][];
  /** Case-insensitive substring of the name or the description. */
  search?: string;
  /** Agents having any of these categories (`extras.categories`). */
  categories?: string[];
  includeArchived?: boolean;
  agentIds: string[] | null;
}

/** A filtered page of agents (newest first) and the total matching count. */
export async function listAgentRowsWithTotal(
  db: DbOrTx,
  workspaceId: string,
  f: AgentListFilters,
): Promise<{ rows: AgentRow[]; total: number }> {
  const conds: SQL[] = [eq(agents.workspaceId, workspaceId), isNull(agents.deletedAt)];
  if (f.agentIds) {
    if (f.agentIds.length === 0) return { rows: [], total: 0 };
    conds.push(inArray(agents.id, f.agentIds));
  }
  if (f.statuses && f.statuses.length > 0) conds.push(inArray(agents.status, f.statuses));
  else if (!f.includeArchived) conds.push(ne(agents.status, 'archived'));
  if (f.search) {
    const like = `%${escapeLike(f.search)}%`;
    conds.push(or(ilike(agents.name, like), ilike(agents.description, like))!);
  }
  if (f.categories && f.categories.length > 0) {
    conds.push(
      or(...f.categories.map((c) => sql`${agents.extras} -> 'categories' @> ${JSON.stringify([c])}::jsonb`))!,
    );
  }
  const where = and(...conds);
  const [rows, [count]] = await Promise.all([
    db.select().from(agents).where(where).orderBy(desc(agents.id)).limit(f.limit).offset(f.offset),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(agents)
      .where(where),
  ]);
  return { rows, total: count?.n ?? 0 };
}

/** Published versions of an agent, newest first, and how many there are. */
export async function listVersionRows(
  db: DbOrTx,
  agentId: string,
  page: { limit: number; offset: number },
): Promise<{ rows: AgentVersionRow[]; total: number }> {
  const [rows, [count]] = await Promise.all([
    db
      .select()
      .from(agentVersions)
      .where(eq(agentVersions.agentId, agentId))
      .orderBy(desc(agentVersions.version))
      .limit(page.limit)
      .offset(page.offset),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(agentVersions)
      .where(eq(agentVersions.agentId, agentId)),
  ]);
  return { rows, total: count?.n ?? 0 };
}

export async function findVersionRow(
  db: DbOrTx,
  agentId: string,
  version: number,
): Promise<AgentVersionRow | undefined> {
  const [row] = await db
    .select()
    .from(agentVersions)
    .where(and(eq(agentVersions.agentId, agentId), eq(agentVersions.version, version)));
  return row;
}
