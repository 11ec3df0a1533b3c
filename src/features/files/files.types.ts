import type { files } from '../../platform/db/schema/index.js';

export type FileRow = typeof files.$inferSelect;

/** quintus.md §5.5 AgentFile (PublicFile is its first five fields). */
export interface AgentFile {
  id: string;
  name: string;
  size: number;
  mime_type: string;
  created_at: string;
  metadata: Record<string, unknown>;
  conversation_id: string | null;
}

export const FILE_LIMIT_BYTES = 26_214_400;

export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

export function toAgentFile(row: FileRow): AgentFile {
  return {
    id: row.id,
    name: row.name,
    size: row.size,
    mime_type: row.mimeType,
    created_at: row.createdAt.toISOString(),
    metadata: row.metadata,
    conversation_id: row.conversationId,
  };
}
