import { integer, pgTable, uuid } from 'drizzle-orm/pg-core';
import { conversations } from './conversations.js';
import { createdAt, updatedAt } from './_columns.js';
import { workspaces } from './workspaces.js';

/** Conversation CSAT (README §6.4; EvaGPT survey): one 1–5 score per conversation, upserted. */
export const conversationCsat = pgTable('conversation_csat', {
  conversationId: uuid('conversation_id')
    .primaryKey()
    .references(() => conversations.id),
  workspaceId: uuid('workspace_id')
    .notNull()
    .references(() => workspaces.id),
  score: integer('score').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
