import type { ContentBlock } from '../../platform/db/schema/index.js';
import { AppError, ValidationError, type Issue } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { UrlFetchError, type PublicFetcher } from '../../platform/net/public-fetch.js';
import { detectFileType } from '../files/file-type.js';
import type { FilesService } from '../files/files.service.js';
import { IMAGE_TYPES } from '../files/files.types.js';

/** An image a block named by URL, downloaded when the message was sent (README §7). */
export interface FetchedImage {
  data: Buffer;
  mimeType: string;
  name: string;
  url: string;
}

export interface NormalisedContent {
  blocks: ContentBlock[];
  /** URL image blocks → their bytes; stored as conversation files once the message is. */
  fetched: Map<ContentBlock, FetchedImage>;
}

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
    fetchUrl: PublicFetcher;
    workspaceId: string;
    path?: string;
    visibleFile?: (conversationId: string | null) => boolean;
  },
): Promise<NormalisedContent> {
  const base = opts.path ?? 'content';
  const fetched = new Map<ContentBlock, FetchedImage>();
  if (typeof input === 'string') return { blocks: [{ type: 'text', text: input }], fetched };

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
    else if (b.url !== undefined && !b.url.startsWith('https://')) {
      issues.push({ location: 'body', path: `${base}[${i}].url`, message: 'must be an https URL' });
    }
  });
  if (issues.length > 0) throw new ValidationError(issues);

  const ids = input.flatMap((b) => (b.type !== 'text' && b.file_id !== undefined ? [b.file_id] : []));
  // URL images are downloaded now, so a bad URL is a 422 before anything is stored.
  const downloads = await Promise.all(
    input.map(async (b, i) =>
      b.type === 'image' && b.url !== undefined
        ? fetchImage(b.url, `${base}[${i}].url`, opts.fetchUrl)
        : undefined,
    ),
  );
  const found = ids.length > 0 ? await opts.files.findFiles(opts.workspaceId, ids) : new Map();
  const blocks: ContentBlock[] = [];
  for (const [i, b] of input.entries()) {
    if (b.type === 'text') {
      blocks.push({ type: 'text', text: b.text });
      continue;
    }
    const download = downloads[i];
    if (b.type === 'image' && download) {
      const block: ContentBlock = { type: 'image', url: download.url };
      fetched.set(block, download);
      blocks.push(block);
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
  return { blocks, fetched };
}

async function fetchImage(url: string, path: string, fetchUrl: PublicFetcher): Promise<FetchedImage> {
  let result;
  try {
    result = await fetchUrl(url);
  } catch (err) {
    const reason = err instanceof UrlFetchError ? err.message : 'the URL could not be fetched';
    throw new ValidationError([{ location: 'body', path, message: `could not be used: ${reason}` }]);
  }
  const name = decodeURIComponent(new URL(result.url).pathname.split('/').pop() || 'image');
  const mimeType = detectFileType(result.data, { filename: name });
  if (!mimeType || !(IMAGE_TYPES as readonly string[]).includes(mimeType)) {
    throw new ValidationError([
      { location: 'body', path, message: 'is not an image (png, jpeg, gif or webp)' },
    ]);
  }
  if (result.data.length === 0) throw new ValidationError([{ location: 'body', path, message: 'is empty' }]);
  return { data: result.data, mimeType, name, url };
}

/**
 * Gives each fetched URL image an id on its block before the message is stored, then stores
 * the bytes as a file of the conversation under that id (so later turns can show it again).
 */
export function assignFetchedIds(fetched: Map<ContentBlock, FetchedImage>): void {
  for (const block of fetched.keys()) if (block.type === 'image' && 'url' in block) block._file_id = newId();
}

export async function storeFetchedImages(
  files: FilesService,
  workspaceId: string,
  conversationId: string,
  fetched: Map<ContentBlock, FetchedImage>,
): Promise<void> {
  for (const [block, img] of fetched) {
    if (block.type !== 'image' || !('url' in block) || !block._file_id) continue;
    await files.storeFetched(workspaceId, conversationId, {
      id: block._file_id,
      data: img.data,
      mimeType: img.mimeType,
      name: img.name,
      metadata: { source_url: img.url },
    });
  }
}
