import type { ModelMessage, UserContent } from 'ai';
import mammoth from 'mammoth';
import type { ContentBlock } from '../../platform/db/schema/index.js';
import type { FilesService } from '../files/files.service.js';
import type { FetchedImage } from './content.js';
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
  /** Images fetched for this request and not stored (persist=false runs). */
  inline: Map<ContentBlock, FetchedImage> = new Map(),
): Promise<ModelMessage[]> {
  const ids = history.flatMap((m) => m.content.flatMap((b) => storedFileId(b) ?? []));
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
      const fetched = inline.get(b);
      if (fetched) {
        parts.push({ type: 'image', image: fetched.data, mediaType: fetched.mimeType });
        continue;
      }
      const fileId = storedFileId(b);
      if (fileId === undefined) continue;
      const row = rows.get(fileId);
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

/** The stored file behind an image/file block: its `file_id`, or the copy of a URL image. */
function storedFileId(b: ContentBlock): string | undefined {
  if (b.type === 'file') return b.file_id;
  if (b.type === 'image') return 'file_id' in b ? b.file_id : b._file_id;
  return undefined;
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
