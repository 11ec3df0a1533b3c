import { and, eq, isNull } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { agents } from '../../platform/db/schema/index.js';
import { NotFoundError } from '../../platform/errors.js';
import { toPage, type Page } from '../../platform/http/pagination.js';
import { newId } from '../../platform/ids.js';
import { getWorkspaceOrThrow } from '../workspaces/workspaces.repo.js';
import {
  canonical,
  EMPTY_DRAFT,
  insertVersion,
  markPublished,
  runtimeOf,
  sameRuntime,
  toAgentState,
  toAgentVersion,
  toVersionSummary,
  type AgentEdit,
  type AgentState,
  type AgentVersion,
  type AgentVersionSummary,
  type NewDraftAgent,
} from './agent-versions.js';
import { DraftHasNoModelError, withNameConflict } from './agents.errors.js';
import {
  insertAgentWithinLimit,
  findVersionRow,
  getAgentOrThrow,
  listAgentRowsWithTotal,
  listVersionRows,
  lockAgentOrThrow,
  lockAgentWithVersionOrThrow,
  type AgentListFilters,
} from './agents.repo.js';

/**
 * The draft → publish lifecycle (README §6.3, gennia.md §4.1): an agent keeps an editable draft
 * and immutable published versions 1, 2, …; conversations run the latest published one. The
 * management API publishes on every runtime change (agents.service.ts); these verbs let a
 * surface edit the draft without publishing, publish it, list/read versions and restore one.
 */
export interface AgentDrafts {
  /** A new agent (status `draft` unless given) with an unpublished draft (no version yet). */
  createDraftAgent(workspaceId: string, input: NewDraftAgent): Promise<AgentState>;
  getAgentState(workspaceId: string, agentId: string): Promise<AgentState>;
  listAgentStates(
    workspaceId: string,
    filters: AgentListFilters,
  ): Promise<{ items: AgentState[]; total: number }>;
  /**
   * Edits identity fields and/or the draft without publishing. `change` runs under the agent's
   * row lock with its current state (no I/O inside: it may throw to refuse the edit). A changed
   * draft sets hasUnpublishedChanges.
   */
  editAgentDraft(
    workspaceId: string,
    agentId: string,
    change: (current: AgentState) => AgentEdit,
  ): Promise<AgentState>;
  /** Publishes the draft as the next version; a `draft` agent becomes `active`. */
  publishAgentDraft(
    workspaceId: string,
    agentId: string,
    opts: { notes?: string | null },
  ): Promise<AgentState>;
  /** Published versions, newest first, with their total. */
  listAgentVersions(
    workspaceId: string,
    agentId: string,
    page: { limit: number; offset: number },
  ): Promise<{ items: AgentVersion[]; total: number }>;
  /** One published version, or the latest with `'published'`; 404 `version` otherwise. */
  getAgentVersion(workspaceId: string, agentId: string, version: number | 'published'): Promise<AgentVersion>;
  /** Copies a version into the draft, discarding unpublished changes (hasUnpublishedChanges false). */
  restoreAgentVersion(workspaceId: string, agentId: string, version: number): Promise<AgentState>;
  /** Management API: versions newest first, as a native page. */
  listVersionsPage(
    workspaceId: string,
    agentId: string,
    page: { limit: number; offset: number },
  ): Promise<Page<AgentVersionSummary>>;
}

export function createAgentDrafts(deps: { db: Db; clock: Clock }): AgentDrafts {
  const { db, clock } = deps;

  function versionNotFound(version: number | 'published'): NotFoundError {
    return new NotFoundError('version', String(version));
  }

  return {
    async createDraftAgent(workspaceId, input) {
      const workspace = await getWorkspaceOrThrow(db, workspaceId);
      const now = clock.now();
      const row = await withNameConflict(() =>
        db.transaction(async (tx) => {
          const inserted = await insertAgentWithinLimit(tx, workspace, {
            id: newId(),
            workspaceId,
            name: input.name,
            description: input.description ?? null,
            status: input.status ?? 'draft',
            greeting: null,
            historyLimit: 40,
            idleTtlSeconds: 86_400,
            sessionTokenTtlSeconds: 3600,
            inactivity: { close_on_final: true },
            outputFormat: 'markdown',
            rateLimits: {},
            metadata: {},
            extras: input.extras ?? {},
            draft: { ...EMPTY_DRAFT, ...input.draft },
            latestVersion: 0,
            hasUnpublishedChanges: false,
            createdAt: now,
            updatedAt: now,
          });
          return inserted;
        }),
      );
      return toAgentState(row);
    },

    async getAgentState(workspaceId, agentId) {
      return toAgentState(await getAgentOrThrow(db, workspaceId, agentId));
    },

    async listAgentStates(workspaceId, filters) {
      const { rows, total } = await listAgentRowsWithTotal(db, workspaceId, filters);
      return { items: rows.map(toAgentState), total };
    },

    async editAgentDraft(workspaceId, agentId, change) {
      const row = await withNameConflict(() =>
        db.transaction(async (tx) => {
          const current = await lockAgentOrThrow(tx, workspaceId, agentId);
          const edit = change(toAgentState(current));
          const draftChanged = edit.draft !== undefined && !sameRuntime(edit.draft, current.draft);
          const identityChanged =
            (edit.name !== undefined && edit.name !== current.name) ||
            (edit.description !== undefined && edit.description !== current.description) ||
            (edit.extras !== undefined && canonical(edit.extras) !== canonical(current.extras));
          if (!draftChanged && !identityChanged) return current;
          const [updated] = await tx
            .update(agents)
            .set({
              ...(edit.name !== undefined && { name: edit.name }),
              ...(edit.description !== undefined && { description: edit.description }),
              ...(edit.extras !== undefined && { extras: edit.extras }),
              ...(draftChanged && { draft: edit.draft, hasUnpublishedChanges: true }),
              updatedAt: clock.now(),
            })
            .where(and(eq(agents.id, current.id), isNull(agents.deletedAt)))
            .returning();
          if (!updated) throw new NotFoundError('agent', agentId);
          return updated;
        }),
      );
      return toAgentState(row);
    },

    async publishAgentDraft(workspaceId, agentId, opts) {
      const row = await db.transaction(async (tx) => {
        // the row lock serialises publishes, so each gets the next version number
        const current = await lockAgentOrThrow(tx, workspaceId, agentId);
        if (current.draft.model === '') throw new DraftHasNoModelError();
        const now = clock.now();
        const version = await insertVersion(tx, current, current.draft, now, opts.notes ?? null);
        return markPublished(tx, current, version, now);
      });
      return toAgentState(row);
    },

    async listAgentVersions(workspaceId, agentId, page) {
      const agent = await getAgentOrThrow(db, workspaceId, agentId);
      const { rows, total } = await listVersionRows(db, agent.id, page);
      return { items: rows.map(toAgentVersion), total };
    },

    async getAgentVersion(workspaceId, agentId, version) {
      const agent = await getAgentOrThrow(db, workspaceId, agentId);
      const n = version === 'published' ? agent.latestVersion : version;
      const row = n > 0 ? await findVersionRow(db, agent.id, n) : undefined;
      if (!row) throw versionNotFound(version);
      return toAgentVersion(row);
    },

    async restoreAgentVersion(workspaceId, agentId, version) {
      const row = await db.transaction(async (tx) => {
        const { agent: current, snapshot } = await lockAgentWithVersionOrThrow(
          tx,
          workspaceId,
          agentId,
          version,
        );
        const [updated] = await tx
          .update(agents)
          .set({ draft: runtimeOf(snapshot), hasUnpublishedChanges: false, updatedAt: clock.now() })
          .where(eq(agents.id, current.id))
          .returning();
        return updated!;
      });
      return toAgentState(row);
    },

    async listVersionsPage(workspaceId, agentId, page) {
      await getWorkspaceOrThrow(db, workspaceId);
      const agent = await getAgentOrThrow(db, workspaceId, agentId);
      const { rows } = await listVersionRows(db, agent.id, { limit: page.limit + 1, offset: page.offset });
      return toPage(rows, page, toVersionSummary);
    },
  };
}
