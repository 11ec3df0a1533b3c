import { integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { conversations } from './conversations.js';
import { createdAt, ts } from './_columns.js';
import { workspaces } from './workspaces.js';

/** Conversation NPS (README §6.4, quintus.md P12): one row per conversation, replaced by each submission. */
export const conversationFeedback = pgTable('conversation_feedback', {
  conversationId: uuid('conversation_id')
    .primaryKey()
    .references(() => conversations.id),
  workspaceId: uuid('workspace_id')
    .notNull()
    .references(() => workspaces.id),
  score: integer('score').notNull(),
  comment: text('comment'),
  metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
  /** The latest submission. */
  submittedAt: ts('submitted_at').notNull(),
  /** The first submission. */
  createdAt: createdAt(),
});
