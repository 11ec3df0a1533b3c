import type { ContentBlock } from '../../platform/db/schema/index.js';
import { AppError, ValidationError, type Issue } from '../../platform/errors.js';
import type { FilesService } from '../files/files.service.js';
import { IMAGE_TYPES } from '../files/files.types.js';

export type ContentInput =
  | string
  | Array<
      | { type: 'text'; text: string }
      | { type: 'image'; file_id?: string; url?: string }
      | { type: 'file'; file_id: string }
    >;

const MAX_TEXT = 32_000;
const MAX_ATTACHMENTS = 10;

/**
 * Validates a MessageCreateRequest `content` (quintus.md §5.1–5.2) and returns the blocks to
 * store. `visibleFile` decides which stored files a block may name (Agent API: the workspace).
 */
export async function normaliseContent(
  input: ContentInput,
  opts: {
    files: FilesService;
    workspaceId: string;
    path?: string;
    visibleFile?: (conversationId: string | null) => boolean;
  },
): Promise<ContentBlock[]> {
  const base = opts.path ?? 'content';
  if (typeof input === 'string') return [{ type: 'text', text: input }];

  const issues: Issue[] = [];
  const attachments = input.filter((b) => b.type !== 'text').length;
  if (attachments > MAX_ATTACHMENTS) {
    issues.push({ location: 'body', path: base, message: `at most ${MAX_ATTACHMENTS} image/file blocks` });
  }
  const textLength = input.reduce((n, b) => n + (b.type === 'text' ? b.text.length : 0), 0);
  if (textLength > MAX_TEXT) {
    issues.push({
      location: 'body',
      path: base,
      message: `total text must be at most ${MAX_TEXT} characters`,
    });
  }
  input.forEach((b, i) => {
    if (b.type !== 'image') return;
    const has = Number(b.file_id !== undefined) + Number(b.url !== undefined);
    if (has !== 1)
      issues.push({
        location: 'body',
        path: `${base}[${i}]`,
        message: 'needs exactly one of file_id or url',
      });
    else if (b.url !== undefined) {
      // README §7 URL fetching (SSRF-checked download) is not built yet; say so instead of guessing.
      issues.push({
        location: 'body',
        path: `${base}[${i}].url`,
        message: 'image URLs are not supported yet: upload the image and reference it by file_id',
      });
    }
  });
  if (issues.length > 0) throw new ValidationError(issues);

  const ids = input.flatMap((b) => (b.type !== 'text' && b.file_id !== undefined ? [b.file_id] : []));
  const found = ids.length > 0 ? await opts.files.findFiles(opts.workspaceId, ids) : new Map();
  const blocks: ContentBlock[] = [];
  for (const [i, b] of input.entries()) {
    if (b.type === 'text') {
      blocks.push({ type: 'text', text: b.text });
      continue;
    }
    const fileId = b.file_id!;
    const row = found.get(fileId);
    if (!row || (opts.visibleFile && !opts.visibleFile(row.conversationId))) {
      throw new AppError(
        'file_not_found',
        `Content block ${i} names a file that does not exist or is not visible.`,
        {
          file_id: fileId,
        },
      );
    }
    if (b.type === 'image') {
      if (!(IMAGE_TYPES as readonly string[]).includes(row.mimeType)) {
        throw new ValidationError([
          { location: 'body', path: `${base}[${i}].file_id`, message: 'is not an image file' },
        ]);
      }
      blocks.push({ type: 'image', file_id: fileId });
    } else {
      blocks.push({ type: 'file', file_id: fileId });
    }
  }
  return blocks;
}
