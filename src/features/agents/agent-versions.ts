import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/client.js';
import { agents, agentVersions, type AgentRuntime } from '../../platform/db/schema/index.js';
import { newId } from '../../platform/ids.js';
import type { AgentRow, AgentVersionRow } from './agents.repo.js';

/** Agent drafts and published versions as domain objects, and the helpers the verbs share. */

/** An agent with its draft, as the draft-aware surfaces see it. */
export interface AgentState {
  id: string;
  workspaceId: string;
  name: string;
  description: string | null;
  status: AgentRow['status'];
  /** Non-versioned extras (avatar_url, categories, vendor identity fields). */
  extras: Record<string, unknown>;
  draft: AgentRuntime;
  /** Latest published version; 0 = never published. */
  publishedVersion: number;
  hasUnpublishedChanges: boolean;
  /** Conversation idle TTL (README §6.1), for surfaces that start conversations themselves. */
  idleTtlSeconds: number;
  createdAt: Date;
  updatedAt: Date;
}

/** One published (frozen) version. */
export interface AgentVersion {
  version: number;
  instructions: string;
  model: string;
  temperature: number | null;
  maxOutputTokens: number | null;
  thinking: Record<string, unknown> | null;
  extras: Record<string, unknown>;
  notes: string | null;
  createdAt: Date;
}

/** admin.md version list item (management API, wire names). */
export interface AgentVersionSummary {
  version: number;
  instructions: string;
  model: string;
  temperature: number | null;
  max_output_tokens: number | null;
  /** Why it was published: release notes, or `Restored from version N`. */
  notes: string | null;
  created_at: string;
}

/** What a draft edit changes; `undefined` keeps a field. `draft` is the whole new draft. */
export interface AgentEdit {
  name?: string;
  description?: string | null;
  extras?: Record<string, unknown>;
  draft?: AgentRuntime;
}

export interface NewDraftAgent {
  name: string;
  description?: string | null;
  extras?: Record<string, unknown>;
  draft?: Partial<AgentRuntime>;
  /** Default `draft`; publishing turns `draft` into `active` and keeps any other status. */
  status?: AgentRow['status'];
}

/** An empty draft: no prompt, no model (`''`), nothing else set. */
export const EMPTY_DRAFT: AgentRuntime = {
  instructions: '',
  model: '',
  temperature: null,
  maxOutputTokens: null,
  thinking: null,
};

/** Versions store temperatures as float4; round away the float noise (0.7 → 0.699999988…). */
export function cleanTemperature(t: number | null): number | null {
  return t === null ? null : Math.round(t * 1e6) / 1e6;
}

export function toAgentState(row: AgentRow): AgentState {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    description: row.description,
    status: row.status,
    extras: row.extras,
    draft: row.draft,
    publishedVersion: row.latestVersion,
    hasUnpublishedChanges: row.hasUnpublishedChanges,
    idleTtlSeconds: row.idleTtlSeconds,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function toAgentVersion(row: AgentVersionRow): AgentVersion {
  return {
    version: row.version,
    instructions: row.instructions,
    model: row.model,
    temperature: cleanTemperature(row.temperature),
    maxOutputTokens: row.maxOutputTokens,
    thinking: row.thinking ?? null,
    extras: row.extras,
    notes: row.notes,
    createdAt: row.createdAt,
  };
}

export function toVersionSummary(row: AgentVersionRow): AgentVersionSummary {
  return {
    version: row.version,
    instructions: row.instructions,
    model: row.model,
    temperature: cleanTemperature(row.temperature),
    max_output_tokens: row.maxOutputTokens,
    notes: row.notes,
    created_at: row.createdAt.toISOString(),
  };
}

/** Freezes `runtime` as the agent's next version (the caller holds the agent's row lock). */
export async function insertVersion(
  tx: DbOrTx,
  row: AgentRow,
  runtime: AgentRuntime,
  now: Date,
  notes: string | null = null,
): Promise<number> {
  const version = row.latestVersion + 1;
  await tx.insert(agentVersions).values({
    id: newId(),
    agentId: row.id,
    workspaceId: row.workspaceId,
    version,
    instructions: runtime.instructions,
    model: runtime.model,
    temperature: runtime.temperature,
    maxOutputTokens: runtime.maxOutputTokens,
    thinking: runtime.thinking,
    extras: runtime.extras ?? {},
    notes,
    createdAt: now,
  });
  return version;
}

/**
 * Makes `version` the live one (the caller holds the agent's row lock): nothing left unpublished,
 * a `draft` agent becomes `active`. `draft`, when given, replaces the draft (a restored version).
 */
export async function markPublished(
  tx: DbOrTx,
  row: AgentRow,
  version: number,
  now: Date,
  draft?: AgentRuntime,
): Promise<AgentRow> {
  const [updated] = await tx
    .update(agents)
    .set({
      ...(draft && { draft }),
      latestVersion: version,
      hasUnpublishedChanges: false,
      ...(row.status === 'draft' && { status: 'active' as const }),
      updatedAt: now,
    })
    .where(eq(agents.id, row.id))
    .returning();
  return updated!;
}

/** Whether two drafts hold the same runtime settings (key order ignored). */
export function sameRuntime(a: AgentRuntime, b: AgentRuntime): boolean {
  return canonical(normalise(a)) === canonical(normalise(b));
}

function normalise(r: AgentRuntime): AgentRuntime {
  return {
    instructions: r.instructions,
    model: r.model,
    temperature: r.temperature,
    maxOutputTokens: r.maxOutputTokens,
    thinking: r.thinking ?? null,
    extras: r.extras ?? {},
  };
}

export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** A version's runtime settings, as a draft restored from it. */
export function runtimeOf(v: AgentVersionRow): AgentRuntime {
  return {
    instructions: v.instructions,
    model: v.model,
    temperature: cleanTemperature(v.temperature),
    maxOutputTokens: v.maxOutputTokens,
    thinking: v.thinking ?? null,
    extras: v.extras,
  };
}
