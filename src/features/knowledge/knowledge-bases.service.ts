import { and, asc, desc, eq, ilike, isNull, sql } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { agents, knowledgeBases } from '../../platform/db/schema/index.js';
import { invalidField, NotFoundError, ValidationError } from '../../platform/errors.js';
import { toPage, type Page } from '../../platform/http/pagination.js';
import { isUuid, newId } from '../../platform/ids.js';
import { assertJsonSize } from '../../platform/json-size.js';
import { escapeLike, getAgentOrThrow, type AgentRow } from '../agents/agents.repo.js';
import { workspaceOf, type RequestContext } from '../context.js';
import { requireScope } from '../keys/principal.js';
import { getWorkspaceOrThrow } from '../workspaces/workspaces.repo.js';
import {
  baseCounts,
  getKnowledgeBaseOrThrow,
  liveKnowledgeBase,
  missingKnowledgeBaseIds,
  toKnowledgeBase,
} from './knowledge.repo.js';
import type { KnowledgeBase } from './knowledge.types.js';

export interface KnowledgeBaseInput {
  name: string;
  description?: string | null;
  metadata?: Record<string, unknown>;
}

export interface KnowledgeBasesService {
  /** Management API (the caller resolved the workspace: operator or admin key). */
  createBase(workspaceId: string, input: KnowledgeBaseInput): Promise<KnowledgeBase>;
  listBasesPage(
    workspaceId: string,
    q: { limit: number; offset: number; search?: string },
  ): Promise<Page<KnowledgeBase>>;
  getBase(workspaceId: string, id: string): Promise<KnowledgeBase>;
  updateBase(workspaceId: string, id: string, patch: Partial<KnowledgeBaseInput>): Promise<KnowledgeBase>;
  deleteBase(workspaceId: string, id: string): Promise<void>;
  /** The agent's linked knowledge bases (`agents.extras.knowledge_base_ids`). */
  getAgentBases(workspaceId: string, agentId: string): Promise<string[]>;
  /** Replaces the agent's links; unknown ids are a validation error naming each. */
  setAgentBases(workspaceId: string, agentId: string, ids: string[]): Promise<string[]>;
  /** API-key callers (EvaGPT E13): every live knowledge base of the workspace, by name. */
  listBases(ctx: RequestContext): Promise<KnowledgeBase[]>;
}

/** The knowledge-base ids an agent links to (README §8), whatever was stored there. */
export function linkedKnowledgeBaseIds(agent: Pick<AgentRow, 'extras'>): string[] {
  const ids = agent.extras['knowledge_base_ids'];
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
}

export function createKnowledgeBasesService(deps: { db: Db; clock: Clock }): KnowledgeBasesService {
  const { db, clock } = deps;

  async function withCounts(workspaceId: string, id: string): Promise<KnowledgeBase> {
    if (!isUuid(id)) throw new NotFoundError('knowledge base', id);
    const [row] = await db
      .select({ base: knowledgeBases, ...baseCounts })
      .from(knowledgeBases)
      .where(liveKnowledgeBase(workspaceId, id));
    if (!row) throw new NotFoundError('knowledge base', id);
    return toKnowledgeBase(row.base, row);
  }

  return {
    async createBase(workspaceId, input) {
      await getWorkspaceOrThrow(db, workspaceId);
      assertJsonSize('metadata', input.metadata);
      const now = clock.now();
      const [row] = await withNameConflict(() =>
        db
          .insert(knowledgeBases)
          .values({
            id: newId(),
            workspaceId,
            name: input.name,
            description: input.description ?? null,
            metadata: input.metadata ?? {},
            createdAt: now,
            updatedAt: now,
          })
          .returning(),
      );
      return toKnowledgeBase(row!, { records: 0, files: 0 });
    },

    async listBasesPage(workspaceId, q) {
      await getWorkspaceOrThrow(db, workspaceId);
      const conds = [eq(knowledgeBases.workspaceId, workspaceId), isNull(knowledgeBases.deletedAt)];
      if (q.search) conds.push(ilike(knowledgeBases.name, `%${escapeLike(q.search)}%`));
      const rows = await db
        .select({ base: knowledgeBases, ...baseCounts })
        .from(knowledgeBases)
        .where(and(...conds))
        .orderBy(desc(knowledgeBases.id))
        .limit(q.limit + 1)
        .offset(q.offset);
      return toPage(rows, q, (r) => toKnowledgeBase(r.base, r));
    },

    async getBase(workspaceId, id) {
      await getWorkspaceOrThrow(db, workspaceId);
      return withCounts(workspaceId, id);
    },

    async updateBase(workspaceId, id, patch) {
      await getWorkspaceOrThrow(db, workspaceId);
      assertJsonSize('metadata', patch.metadata);
      await getKnowledgeBaseOrThrow(db, workspaceId, id);
      const set = {
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.metadata !== undefined && { metadata: patch.metadata }),
        updatedAt: clock.now(),
      };
      const updated = await withNameConflict(() =>
        db
          .update(knowledgeBases)
          .set(set)
          .where(liveKnowledgeBase(workspaceId, id))
          .returning({ id: knowledgeBases.id }),
      );
      if (updated.length === 0) throw new NotFoundError('knowledge base', id);
      return withCounts(workspaceId, id);
    },

    async deleteBase(workspaceId, id) {
      await getWorkspaceOrThrow(db, workspaceId);
      await getKnowledgeBaseOrThrow(db, workspaceId, id);
      const now = clock.now();
      const deleted = await db
        .update(knowledgeBases)
        .set({ deletedAt: now, updatedAt: now })
        .where(liveKnowledgeBase(workspaceId, id))
        .returning({ id: knowledgeBases.id });
      if (deleted.length === 0) throw new NotFoundError('knowledge base', id);
    },

    async getAgentBases(workspaceId, agentId) {
      await getWorkspaceOrThrow(db, workspaceId);
      return linkedKnowledgeBaseIds(await getAgentOrThrow(db, workspaceId, agentId));
    },

    async setAgentBases(workspaceId, agentId, ids) {
      await getWorkspaceOrThrow(db, workspaceId);
      await getAgentOrThrow(db, workspaceId, agentId);
      const unique = [...new Set(ids)];
      const missing = new Set(await missingKnowledgeBaseIds(db, workspaceId, unique));
      if (missing.size > 0) {
        throw new ValidationError(
          ids.flatMap((id, i) =>
            missing.has(id)
              ? [
                  {
                    location: 'body' as const,
                    path: `knowledge_base_ids[${i}]`,
                    message: 'no such knowledge base',
                  },
                ]
              : [],
          ),
        );
      }
      // one statement: other extras (RD Station, Gennia fields) written meanwhile are kept
      const updated = await db
        .update(agents)
        .set({
          extras: sql`jsonb_set(${agents.extras}, '{knowledge_base_ids}', ${JSON.stringify(unique)}::jsonb)`,
          updatedAt: clock.now(),
        })
        .where(and(eq(agents.id, agentId), eq(agents.workspaceId, workspaceId), isNull(agents.deletedAt)))
        .returning({ id: agents.id });
      if (updated.length === 0) throw new NotFoundError('agent', agentId);
      return unique;
    },

    async listBases(ctx) {
      requireScope(ctx.principal, 'agent:run');
      const rows = await db
        .select({ base: knowledgeBases, ...baseCounts })
        .from(knowledgeBases)
        .where(and(eq(knowledgeBases.workspaceId, workspaceOf(ctx)), isNull(knowledgeBases.deletedAt)))
        .orderBy(asc(sql`lower(${knowledgeBases.name})`), asc(knowledgeBases.id));
      return rows.map((r) => toKnowledgeBase(r.base, r));
    },
  };
}

/** The unique index on lower(name) settles concurrent creates; like agents, a 422 on `name`. */
async function withNameConflict<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err, 'knowledge_bases_workspace_name_uq')) {
      throw invalidField('name', 'another knowledge base of this workspace already has this name');
    }
    throw err;
  }
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const rec = e as { code?: string; constraint?: string; message?: string };
    if (rec.code === '23505' && (rec.constraint === constraint || rec.message?.includes(constraint)))
      return true;
  }
  return false;
}
