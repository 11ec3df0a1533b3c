import { getTableColumns, sql } from 'drizzle-orm';
import { customType, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id } from './_columns.js';
import { knowledgeBases } from './knowledge-bases.js';
import { knowledgeFiles } from './knowledge-files.js';
import { workspaces } from './workspaces.js';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** A text record of a knowledge base: written by hand (EvaGPT E14) or a chunk of an uploaded file. */
export const knowledgeRecords = pgTable(
  'knowledge_records',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    knowledgeBaseId: uuid('knowledge_base_id')
      .notNull()
      .references(() => knowledgeBases.id),
    /** Set for chunks of an uploaded file; deleting the file deletes them. */
    fileId: uuid('file_id').references(() => knowledgeFiles.id),
    /** Position of the chunk in its file (0, 1, …); null for manual records. */
    chunkIndex: integer('chunk_index'),
    title: text('title'),
    text: text('text').notNull(),
    meta: jsonb('meta').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    /**
     * Full-text vector kept by the database (papo_knowledge_tsv, this table's migration):
     * Portuguese and English stems of the accent-folded title (weight A) and text (weight B).
     */
    search: tsvector('search').generatedAlwaysAs(sql`papo_knowledge_tsv(title, text)`),
  },
  (t) => [
    index('knowledge_records_base_idx').on(t.knowledgeBaseId, t.createdAt, t.id),
    index('knowledge_records_file_idx').on(t.fileId),
    index('knowledge_records_search_idx').using('gin', t.search),
  ],
);

/** Every column but `search` (what reads select; the vector is for matching only). */
export const { search: _knowledgeSearch, ...knowledgeRecordColumns } = getTableColumns(knowledgeRecords);
