import { index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, ts } from './_columns.js';
import { workspaces } from './workspaces.js';

export const apiKeys = pgTable(
  'api_keys',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    type: text('type', { enum: ['secret', 'public'] }).notNull(),
    name: text('name').notNull(),
    /** SHA-256 hex of the full key; the plaintext is never stored. */
    hash: text('hash').notNull(),
    prefix: text('prefix').notNull(),
    scopes: jsonb('scopes').$type<string[]>().notNull(),
    agentIds: jsonb('agent_ids').$type<string[] | null>(),
    allowedOrigins: jsonb('allowed_origins').$type<string[] | null>(),
    rateLimitPerMinute: integer('rate_limit_per_minute'),
    createdAt: createdAt(),
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [
    uniqueIndex('api_keys_hash_uq').on(t.hash),
    index('api_keys_workspace_idx').on(t.workspaceId, t.id),
  ],
);
