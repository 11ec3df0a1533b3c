import { bigint, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id } from './_columns.js';

/** One row per model generation, persisted or not (persist=false runs still count). */
export const usageRecords = pgTable(
  'usage_records',
  {
    id: id(),
    workspaceId: uuid('workspace_id').notNull(),
    agentId: uuid('agent_id').notNull(),
    conversationId: uuid('conversation_id'),
    messageId: uuid('message_id'),
    model: text('model').notNull(),
    inputTokens: integer('input_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    cachedTokens: integer('cached_tokens').notNull(),
    costMicroUsd: bigint('cost_micro_usd', { mode: 'number' }),
    createdAt: createdAt(),
  },
  (t) => [index('usage_records_workspace_idx').on(t.workspaceId, t.createdAt)],
);
