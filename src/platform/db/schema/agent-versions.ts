import { integer, jsonb, pgTable, real, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { agents } from './agents.js';
import { createdAt, id } from './_columns.js';

export const agentVersions = pgTable(
  'agent_versions',
  {
    id: id(),
    agentId: uuid('agent_id')
      .notNull()
      .references(() => agents.id),
    workspaceId: uuid('workspace_id').notNull(),
    version: integer('version').notNull(),
    instructions: text('instructions').notNull(),
    model: text('model').notNull(),
    temperature: real('temperature'),
    maxOutputTokens: integer('max_output_tokens'),
    thinking: jsonb('thinking').$type<Record<string, unknown> | null>(),
    /** The draft's versioned per-vendor settings (AgentRuntime.extras) at publication. */
    extras: jsonb('extras').$type<Record<string, unknown>>().notNull().default({}),
    /** Release notes given when publishing (Gennia `notes`, ≤500). */
    notes: text('notes'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('agent_versions_agent_version_uq').on(t.agentId, t.version)],
);
