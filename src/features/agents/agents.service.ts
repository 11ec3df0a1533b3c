import { and, eq, isNull } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import {
  agents,
  type AgentInactivity,
  type AgentRateLimits,
  type AgentRuntime,
} from '../../platform/db/schema/index.js';
import { invalidField, NotFoundError } from '../../platform/errors.js';
import { withNameConflict } from './agents.errors.js';
import { createAgentDrafts, type AgentDrafts } from './agent-drafts.js';
import { insertVersion, markPublished, runtimeOf, sameRuntime } from './agent-versions.js';
import { newId } from '../../platform/ids.js';
import { assertJsonSize } from '../../platform/json-size.js';
import { toPage, type Page } from '../../platform/http/pagination.js';
import { getWorkspaceOrThrow } from '../workspaces/workspaces.repo.js';
import {
  insertAgentWithinLimit,
  findVersionRow,
  getAgentOrThrow,
  listAgentRows,
  lockAgentOrThrow,
  lockAgentWithVersionOrThrow,
  type AgentRow,
} from './agents.repo.js';

export { isUniqueViolation } from './agents.errors.js';

export type OutputFormat = 'markdown' | 'plain' | 'whatsapp' | 'slack';
export type AgentStatus = 'draft' | 'active' | 'inactive' | 'archived';

/** admin.md AgentInput (wire names). `status` is a Papo extension of the management API. */
export interface AgentInput {
  name: string;
  description?: string | null;
  instructions: string;
  model?: string;
  temperature?: number | null;
  max_output_tokens?: number | null;
  greeting?: string | null;
  history_limit?: number;
  idle_ttl_seconds?: number;
  session_token_ttl_seconds?: number;
  inactivity?: Partial<AgentInactivity>;
  output_format?: OutputFormat;
  rate_limits?: AgentRateLimits;
  metadata?: Record<string, unknown>;
  status?: AgentStatus;
}

export interface Agent extends Required<Omit<AgentInput, 'inactivity'>> {
  inactivity: AgentInactivity;
  id: string;
  workspace_id: string;
  published_version: number;
  created_at: string;
  updated_at: string;
}

const RUNTIME_KEYS = ['instructions', 'model', 'temperature', 'maxOutputTokens'] as const;

export function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    name: row.name,
    description: row.description,
    instructions: row.draft.instructions,
    model: row.draft.model,
    temperature: row.draft.temperature,
    max_output_tokens: row.draft.maxOutputTokens,
    greeting: row.greeting,
    history_limit: row.historyLimit,
    idle_ttl_seconds: row.idleTtlSeconds,
    session_token_ttl_seconds: row.sessionTokenTtlSeconds,
    inactivity: row.inactivity,
    output_format: row.outputFormat,
    rate_limits: row.rateLimits,
    metadata: row.metadata,
    status: row.status,
    published_version: row.latestVersion,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export interface AgentsService extends AgentDrafts {
  createAgent(workspaceId: string, input: AgentInput): Promise<Agent>;
  listAgents(
    workspaceId: string,
    opts: { limit: number; offset: number; search?: string; agentIds: string[] | null },
  ): Promise<Page<Agent>>;
  getAgent(workspaceId: string, agentId: string): Promise<Agent>;
  updateAgent(workspaceId: string, agentId: string, patch: Partial<AgentInput>): Promise<Agent>;
  /**
   * Rolls back to an earlier version: its runtime settings become the live ones as a new version
   * (history is never rewritten), unpublished draft changes are discarded. Nothing is published
   * when the live version already holds those settings.
   */
  rollbackAgent(workspaceId: string, agentId: string, version: number): Promise<Agent>;
  deleteAgent(workspaceId: string, agentId: string): Promise<void>;
}

export function createAgentsService(deps: {
  db: Db;
  clock: Clock;
  defaultModel: string;
  /** Whether `provider:model-id` names a provider Papo knows (configured or not). */
  isKnownModel: (model: string) => boolean;
}): AgentsService {
  const { db, clock } = deps;

  function checkModel(model: string): void {
    if (!deps.isKnownModel(model)) {
      throw invalidField(
        'model',
        'must be provider:model-id with provider demo, openai, anthropic, google or openai-compatible',
      );
    }
  }

  /** Checks the schema cannot express: a known provider, 16 KiB free-form objects (README §5). */
  function checkInput(input: Partial<AgentInput>): void {
    if (input.model !== undefined) checkModel(input.model);
    assertJsonSize('metadata', input.metadata);
  }

  return {
    ...createAgentDrafts({ db, clock }),

    async createAgent(workspaceId, input) {
      const workspace = await getWorkspaceOrThrow(db, workspaceId);
      const model = input.model ?? deps.defaultModel;
      checkInput({ ...input, model });
      const now = clock.now();
      const runtime: AgentRuntime = {
        instructions: input.instructions,
        model,
        temperature: input.temperature ?? null,
        maxOutputTokens: input.max_output_tokens ?? null,
        thinking: null,
      };
      const row = await withNameConflict(() =>
        db.transaction(async (tx) => {
          const inserted = await insertAgentWithinLimit(tx, workspace, {
            id: newId(),
            workspaceId,
            name: input.name,
            description: input.description ?? null,
            status: input.status ?? 'active',
            greeting: input.greeting ?? null,
            historyLimit: input.history_limit ?? 40,
            idleTtlSeconds: input.idle_ttl_seconds ?? 86_400,
            sessionTokenTtlSeconds: input.session_token_ttl_seconds ?? 3600,
            inactivity: { close_on_final: true, ...input.inactivity },
            outputFormat: input.output_format ?? 'markdown',
            rateLimits: input.rate_limits ?? {},
            metadata: input.metadata ?? {},
            extras: {},
            draft: runtime,
            latestVersion: 0,
            createdAt: now,
            updatedAt: now,
          });
          const version = await insertVersion(tx, inserted, runtime, now);
          const [published] = await tx
            .update(agents)
            .set({ latestVersion: version })
            .where(eq(agents.id, inserted.id))
            .returning();
          return published!;
        }),
      );
      return toAgent(row);
    },

    async listAgents(workspaceId, opts) {
      await getWorkspaceOrThrow(db, workspaceId);
      return toPage(await listAgentRows(db, workspaceId, opts), opts, toAgent);
    },

    async getAgent(workspaceId, agentId) {
      await getWorkspaceOrThrow(db, workspaceId);
      return toAgent(await getAgentOrThrow(db, workspaceId, agentId));
    },

    async updateAgent(workspaceId, agentId, patch) {
      checkInput(patch);
      await getWorkspaceOrThrow(db, workspaceId);
      const row = await withNameConflict(() =>
        db.transaction(async (tx) => {
          // The row lock serialises concurrent PATCHes, so each publishes the next version number.
          const current = await lockAgentOrThrow(tx, workspaceId, agentId);
          if (Object.values(patch).every((v) => v === undefined)) return current;
          const now = clock.now();
          const draft: AgentRuntime = {
            ...current.draft,
            ...(patch.instructions !== undefined && { instructions: patch.instructions }),
            ...(patch.model !== undefined && { model: patch.model }),
            ...(patch.temperature !== undefined && { temperature: patch.temperature }),
            ...(patch.max_output_tokens !== undefined && { maxOutputTokens: patch.max_output_tokens }),
          };
          // Only a real change of a runtime field publishes a new version (the whole draft).
          const runtimeChanged = RUNTIME_KEYS.some((k) => draft[k] !== current.draft[k]);
          // a draft left without a model (created through Gennia) gets the default one when published here
          if (runtimeChanged && draft.model === '') draft.model = deps.defaultModel;
          const version = runtimeChanged
            ? await insertVersion(tx, current, draft, now)
            : current.latestVersion;
          const [updated] = await tx
            .update(agents)
            .set({
              ...(patch.name !== undefined && { name: patch.name }),
              ...(patch.description !== undefined && { description: patch.description }),
              ...(patch.greeting !== undefined && { greeting: patch.greeting }),
              ...(patch.history_limit !== undefined && { historyLimit: patch.history_limit }),
              ...(patch.idle_ttl_seconds !== undefined && { idleTtlSeconds: patch.idle_ttl_seconds }),
              ...(patch.session_token_ttl_seconds !== undefined && {
                sessionTokenTtlSeconds: patch.session_token_ttl_seconds,
              }),
              ...(patch.inactivity !== undefined && {
                inactivity: { close_on_final: true, ...patch.inactivity },
              }),
              ...(patch.output_format !== undefined && { outputFormat: patch.output_format }),
              ...(patch.rate_limits !== undefined && { rateLimits: patch.rate_limits }),
              ...(patch.metadata !== undefined && { metadata: patch.metadata }),
              ...(patch.status !== undefined && { status: patch.status }),
              draft,
              latestVersion: version,
              ...(runtimeChanged && { hasUnpublishedChanges: false }),
              updatedAt: now,
            })
            .where(and(eq(agents.id, current.id), isNull(agents.deletedAt)))
            .returning();
          if (!updated) throw new NotFoundError('agent', agentId);
          return updated;
        }),
      );
      return toAgent(row);
    },

    async rollbackAgent(workspaceId, agentId, version) {
      await getWorkspaceOrThrow(db, workspaceId);
      const row = await db.transaction(async (tx) => {
        const { agent: current, snapshot } = await lockAgentWithVersionOrThrow(
          tx,
          workspaceId,
          agentId,
          version,
        );
        const runtime = runtimeOf(snapshot);
        const live =
          current.latestVersion > 0 ? await findVersionRow(tx, current.id, current.latestVersion) : undefined;
        const now = clock.now();
        const published =
          live && sameRuntime(runtimeOf(live), runtime)
            ? current.latestVersion
            : await insertVersion(tx, current, runtime, now, `Restored from version ${version}`);
        return markPublished(tx, current, published, now, runtime);
      });
      return toAgent(row);
    },

    async deleteAgent(workspaceId, agentId) {
      await getWorkspaceOrThrow(db, workspaceId);
      const current = await getAgentOrThrow(db, workspaceId, agentId);
      const deleted = await db
        .update(agents)
        .set({ deletedAt: clock.now() })
        .where(and(eq(agents.id, current.id), isNull(agents.deletedAt)))
        .returning({ id: agents.id });
      if (deleted.length === 0) throw new NotFoundError('agent', agentId);
    },
  };
}
