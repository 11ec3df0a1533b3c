import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, deletedAt, id, updatedAt } from './_columns.js';
import { workspaces } from './workspaces.js';

/** Runtime fields: edited in the draft, frozen in published versions. */
export interface AgentRuntime {
  instructions: string;
  model: string;
  temperature: number | null;
  maxOutputTokens: number | null;
  thinking: Record<string, unknown> | null;
  /** Versioned per-vendor settings (e.g. Gennia follow-up options), frozen with each version. */
  extras?: Record<string, unknown>;
}

export interface AgentInactivity {
  warning_message?: string;
  final_message?: string;
  warning_instructions?: string;
  final_instructions?: string;
  close_on_final: boolean;
}

export interface AgentRateLimits {
  requests_per_minute?: number;
  messages_per_minute_per_conversation?: number;
}

export const agents = pgTable(
  'agents',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    name: text('name').notNull(),
    description: text('description'),
    status: text('status', { enum: ['draft', 'active', 'inactive', 'archived'] }).notNull(),
    greeting: text('greeting'),
    historyLimit: integer('history_limit').notNull(),
    idleTtlSeconds: integer('idle_ttl_seconds').notNull(),
    sessionTokenTtlSeconds: integer('session_token_ttl_seconds').notNull(),
    inactivity: jsonb('inactivity').$type<AgentInactivity>().notNull(),
    outputFormat: text('output_format', { enum: ['markdown', 'plain', 'whatsapp', 'slack'] }).notNull(),
    rateLimits: jsonb('rate_limits').$type<AgentRateLimits>().notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
    /** Per-vendor extras and fields later surfaces add (avatar, categories, lead fields…), stored verbatim. */
    extras: jsonb('extras').$type<Record<string, unknown>>().notNull(),
    draft: jsonb('draft').$type<AgentRuntime>().notNull(),
    latestVersion: integer('latest_version').notNull().default(0),
    /** The draft differs from the latest published version (edits without publishing: Gennia). */
    hasUnpublishedChanges: boolean('has_unpublished_changes').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: deletedAt(),
  },
  (t) => [
    uniqueIndex('agents_workspace_name_uq')
      .on(t.workspaceId, sql`lower(${t.name})`)
      .where(sql`${t.deletedAt} is null`),
    index('agents_workspace_idx').on(t.workspaceId, t.id),
  ],
);
