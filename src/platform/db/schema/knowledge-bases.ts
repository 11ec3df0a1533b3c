import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, deletedAt, id, updatedAt } from './_columns.js';
import { workspaces } from './workspaces.js';

/** A knowledge base (README §8; EvaGPT "dataset"): a set of text records searched by linked agents. */
export const knowledgeBases = pgTable(
  'knowledge_bases',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    name: text('name').notNull(),
    description: text('description'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: deletedAt(),
  },
  (t) => [
    uniqueIndex('knowledge_bases_workspace_name_uq')
      .on(t.workspaceId, sql`lower(${t.name})`)
      .where(sql`${t.deletedAt} is null`),
    index('knowledge_bases_workspace_idx').on(t.workspaceId, t.id),
  ],
);
