import type { ModelMessage, UserContent } from 'ai';
import mammoth from 'mammoth';
import type { ContentBlock } from '../../platform/db/schema/index.js';
import type { FilesService } from '../files/files.service.js';
import { textOf } from './messages.mapper.js';

export interface HistoryItem {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

const TEXT_TYPES = ['text/plain', 'text/markdown', 'text/csv', 'application/json'];
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/**
 * Turns stored history into AI SDK messages. Images and PDFs become real multimodal parts;
 * text-like files are inlined as text; files deleted since appear as `[file removed]`.
 */
export async function toModelMessages(
  history: HistoryItem[],
  files: FilesService,
  workspaceId: string,
): Promise<ModelMessage[]> {
  const ids = history.flatMap((m) =>
    m.content.flatMap((b) =>
      (b.type === 'image' || b.type === 'file') && 'file_id' in b ? [b.file_id] : [],
    ),
  );
  const rows = ids.length > 0 ? await files.findFiles(workspaceId, ids) : new Map();
  const out: ModelMessage[] = [];
  for (const m of history) {
    if (m.role === 'assistant') {
      out.push({ role: 'assistant', content: textOf(m.content) });
      continue;
    }
    const parts: Exclude<UserContent, string> = [];
    for (const b of m.content) {
      if (b.type === 'text') {
        parts.push({ type: 'text', text: b.text });
        continue;
      }
      if ((b.type !== 'image' && b.type !== 'file') || !('file_id' in b)) continue;
      const row = rows.get(b.file_id);
      const data = row ? await files.readBlob(row) : undefined;
      if (!row || !data) {
        parts.push({ type: 'text', text: '[file removed]' });
      } else if (row.mimeType.startsWith('image/')) {
        parts.push({ type: 'image', image: data, mediaType: row.mimeType });
      } else if (TEXT_TYPES.includes(row.mimeType)) {
        parts.push({ type: 'text', text: `[file ${row.name}]\n${data.toString('utf8')}` });
      } else if (row.mimeType === DOCX) {
        parts.push({ type: 'text', text: `[file ${row.name}]\n${await docxText(data)}` });
      } else {
        parts.push({ type: 'file', data, mediaType: row.mimeType, filename: row.name });
      }
    }
    out.push({ role: 'user', content: parts.length > 0 ? parts : [{ type: 'text', text: '' }] });
  }
  return out;
}

/** Word documents reach the model as their text: no provider accepts DOCX parts. */
async function docxText(data: Buffer): Promise<string> {
  try {
    const { value } = await mammoth.extractRawText({ buffer: data });
    return value.trim() || '[empty document]';
  } catch {
    return '[the document could not be read]';
  }
}
