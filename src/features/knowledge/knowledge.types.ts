import type { knowledgeBases, knowledgeFiles, knowledgeRecords } from '../../platform/db/schema/index.js';

export type KnowledgeBaseRow = typeof knowledgeBases.$inferSelect;
export type KnowledgeFileRow = typeof knowledgeFiles.$inferSelect;
export type KnowledgeRecordRow = Omit<typeof knowledgeRecords.$inferSelect, 'search'>;

/** A knowledge base with its live counts (surfaces shape it: EvaGPT `Dataset`, admin snake_case). */
export interface KnowledgeBase {
  id: string;
  workspaceId: string;
  name: string;
  description: string | null;
  metadata: Record<string, unknown>;
  records: number;
  files: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface KnowledgeRecord {
  id: string;
  knowledgeBaseId: string;
  fileId: string | null;
  title: string | null;
  text: string;
  meta: Record<string, unknown>;
  createdAt: Date;
}

export interface KnowledgeFile {
  id: string;
  knowledgeBaseId: string;
  name: string;
  size: number;
  mimeType: string;
  status: KnowledgeFileRow['status'];
  /** Records created from the file and still there. */
  records: number;
  error: string | null;
  createdAt: Date;
}

export function toKnowledgeRecord(row: KnowledgeRecordRow): KnowledgeRecord {
  return {
    id: row.id,
    knowledgeBaseId: row.knowledgeBaseId,
    fileId: row.fileId,
    title: row.title,
    text: row.text,
    meta: row.meta,
    createdAt: row.createdAt,
  };
}

export function toKnowledgeFile(row: KnowledgeFileRow, records: number): KnowledgeFile {
  return {
    id: row.id,
    knowledgeBaseId: row.knowledgeBaseId,
    name: row.name,
    size: row.size,
    mimeType: row.mimeType,
    status: row.status,
    records,
    error: row.error,
    createdAt: row.createdAt,
  };
}
