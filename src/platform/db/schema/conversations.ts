import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { agents } from './agents.js';
import { createdAt, deletedAt, id, ts, updatedAt } from './_columns.js';
import { workspaces } from './workspaces.js';

/** A Papo conversation: a native "session" (Agent API) or "conversation" (Public Chat API). */
export const conversations = pgTable(
  'conversations',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    agentId: uuid('agent_id')
      .notNull()
      .references(() => agents.id),
    kind: text('kind', { enum: ['session', 'public'] }).notNull(),
    channel: text('channel').notNull(),
    status: text('status', { enum: ['active', 'closed', 'expired'] }).notNull(),
    userId: uuid('user_id'),
    /** The bound user's reference at binding time (kept when the user is later deleted). */
    userReference: text('user_reference'),
    externalUserId: text('external_user_id'),
    userData: jsonb('user_data').$type<Record<string, unknown>>().notNull(),
    context: jsonb('context').$type<Record<string, unknown>>().notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
    isTest: boolean('is_test').notNull().default(false),
    title: text('title').notNull().default(''),
    utm: jsonb('utm').$type<Record<string, unknown> | null>(),
    leadId: uuid('lead_id'),
    messagesCount: integer('messages_count').notNull().default(0),
    lastMessageAt: ts('last_message_at'),
    expiresAt: ts('expires_at').notNull(),
    closedAt: ts('closed_at'),
    closeReason: text('close_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: deletedAt(),
  },
  (t) => [
    index('conversations_workspace_idx').on(t.workspaceId, t.id),
    index('conversations_agent_idx').on(t.workspaceId, t.agentId, t.id),
    index('conversations_user_idx').on(t.workspaceId, t.userId),
    index('conversations_expiry_idx').on(t.status, t.expiresAt),
    // search: trigrams of the user's reference, external id and user data values (migration 0002)
    index('conversations_text_trgm_idx').using(
      'gin',
      sql`papo_conversation_text(${t.userReference}, ${t.externalUserId}, ${t.userData}) gin_trgm_ops`,
    ),
  ],
);
