import { index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './_columns.js';
import { knowledgeBases } from './knowledge-bases.js';
import { workspaces } from './workspaces.js';

/**
 * A file uploaded to a knowledge base (EvaGPT E17): its bytes live in the BlobStore; its text is
 * chunked into knowledge_records in the background (`processing` → `ready` | `failed`); its
 * record count is counted live, so deleting one of its records shows at once.
 */
export const knowledgeFiles = pgTable(
  'knowledge_files',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    knowledgeBaseId: uuid('knowledge_base_id')
      .notNull()
      .references(() => knowledgeBases.id),
    name: text('name').notNull(),
    size: integer('size').notNull(),
    mimeType: text('mime_type').notNull(),
    storageKey: text('storage_key').notNull(),
    status: text('status', { enum: ['processing', 'ready', 'failed'] }).notNull(),
    error: text('error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('knowledge_files_base_idx').on(t.knowledgeBaseId, t.createdAt, t.id)],
);
