import { getTableColumns, sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { conversations } from './conversations.js';
import { createdAt, id, ts } from './_columns.js';

export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; file_id: string }
  /** `_file_id`: the stored copy of the image, internal (never on the wire). */
  | { type: 'image'; url: string; _file_id?: string }
  | { type: 'file'; file_id: string }
  | {
      type: 'tool_result';
      tool_call_id: string;
      name: string;
      arguments: Record<string, unknown>;
      result?: unknown;
      error?: { code: string; message: string };
    };

export const messages = pgTable(
  'messages',
  {
    id: id(),
    workspaceId: uuid('workspace_id').notNull(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id),
    role: text('role', { enum: ['user', 'assistant', 'system', 'tool'] }).notNull(),
    content: jsonb('content').$type<ContentBlock[]>().notNull(),
    status: text('status', { enum: ['completed', 'incomplete', 'failed'] }).notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
    model: text('model'),
    agentVersion: integer('agent_version'),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    cachedTokens: integer('cached_tokens'),
    costMicroUsd: bigint('cost_micro_usd', { mode: 'number' }),
    durationMs: integer('duration_ms'),
    /** Internal failure detail for operators; never sent on the wire. */
    errorDetail: text('error_detail'),
    createdAt: createdAt(),
    /** Message feedback (README §6.4; assistant messages only): RD Station, EvaGPT like/dislike. */
    feedback: text('feedback', { enum: ['positive', 'negative'] }),
    /** When feedback last changed (RD Station `updatedAt`); null until then. */
    feedbackAt: ts('feedback_at'),
    /**
     * The text blocks' text, kept by the database (papo_message_text, migration 0002) for search:
     * trigram-indexed for ILIKE '%…%'. Never selected on hot paths (see messageColumns).
     */
    searchText: text('search_text').generatedAlwaysAs(sql`papo_message_text(content)`),
  },
  (t) => [
    index('messages_conversation_idx').on(t.conversationId, t.id),
    index('messages_search_trgm_idx').using('gin', t.searchText.op('gin_trgm_ops')),
  ],
);

/** Every column but search_text: what message reads select (the text is for search only). */
export const { searchText: _searchText, ...messageColumns } = getTableColumns(messages);
