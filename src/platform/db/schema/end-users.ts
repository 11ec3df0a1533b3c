import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, deletedAt, id, updatedAt } from './_columns.js';
import { workspaces } from './workspaces.js';

export const endUsers = pgTable(
  'end_users',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    reference: text('reference'),
    name: text('name'),
    email: text('email'),
    phone: text('phone'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
    info: jsonb('info').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: deletedAt(),
  },
  (t) => [
    uniqueIndex('end_users_reference_uq')
      .on(t.workspaceId, t.reference)
      .where(sql`${t.deletedAt} is null and ${t.reference} is not null`),
    index('end_users_email_idx').on(t.workspaceId, sql`lower(${t.email})`),
    index('end_users_workspace_idx').on(t.workspaceId, t.id),
  ],
);
