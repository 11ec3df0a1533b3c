import type { FilesService } from '../../features/files/files.service.js';
import { detectFileType, describeFileType, sanitizeFilename } from '../../features/files/file-type.js';
import { FILE_LIMIT_BYTES, IMAGE_TYPES } from '../../features/files/files.types.js';
import type { ContentInput } from '../../features/messages/content.js';
import { UrlFetchError, type PublicFetcher } from '../../platform/net/public-fetch.js';
import { GenniaError, validationError, type ValidationDetail } from './errors.js';
import type { Attachment } from './schemas.js';

/**
 * Gennia message attachments (gennia.md §3.1, README §7): base64 or an https URL, at most 10;
 * the type comes from the bytes (`mediaType` only tells CSV/Markdown from plain text). They
 * become files of the conversation and image/file blocks of the user message.
 */
export interface IngestedAttachment {
  data: Buffer;
  mimeType: string;
  name: string;
  sourceUrl?: string;
}

const DATA_URL = /^data:[^,;]*(;[^,;]*)*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function base64Text(value: string): string {
  return value.replace(DATA_URL, '').replace(/\s+/g, '');
}

/** Shape rules a JSON schema cannot say (400 VALIDATION_ERROR before anything is looked up). */
export function checkMessageShape(body: { content?: string; attachments?: Attachment[] }): void {
  const details: ValidationDetail[] = [];
  const attachments = body.attachments ?? [];
  attachments.forEach((a, i) => {
    const count = Number(a.base64 !== undefined) + Number(a.url !== undefined);
    if (count !== 1)
      details.push({ field: `attachments.${i}`, message: 'needs exactly one of base64 or url' });
    else if (a.base64 !== undefined) {
      const text = base64Text(a.base64);
      if (!BASE64.test(text) || text.length % 4 === 1) {
        details.push({ field: `attachments.${i}.base64`, message: 'is not valid base64' });
      }
    } else if (a.url !== undefined && !/^https:\/\/[^\s]+$/i.test(a.url)) {
      details.push({ field: `attachments.${i}.url`, message: 'must be an https URL' });
    }
  });
  if ((body.content ?? '') === '' && attachments.length === 0) {
    details.push({ field: 'content', message: 'must not be empty when there are no attachments' });
  }
  if (details.length > 0) throw validationError(details);
}

/** Decodes and downloads every attachment and checks size and type; nothing is stored yet. */
export async function ingestAttachments(
  attachments: Attachment[],
  fetchUrl: PublicFetcher,
): Promise<IngestedAttachment[]> {
  return Promise.all(
    attachments.map(async (a, i) => {
      let data: Buffer;
      let name = a.filename;
      if (a.base64 !== undefined) {
        data = Buffer.from(base64Text(a.base64), 'base64');
      } else {
        const url = a.url!;
        try {
          const fetched = await fetchUrl(url);
          data = fetched.data;
        } catch (err) {
          const reason = err instanceof UrlFetchError ? err.message : 'the URL could not be fetched';
          if (/larger than/.test(reason)) throw tooLarge(i);
          throw new GenniaError(
            'ATTACHMENT_FETCH_FAILED',
            422,
            `Attachment ${i} could not be fetched: ${reason}.`,
          );
        }
        name ??= lastSegment(url);
      }
      if (data.length > FILE_LIMIT_BYTES) throw tooLarge(i);
      if (data.length === 0) throw validationError([{ field: `attachments.${i}`, message: 'is empty' }]);
      const mimeType = detectFileType(data, { filename: name, declaredType: a.mediaType });
      if (mimeType === undefined) {
        throw new GenniaError(
          'UNSUPPORTED_MEDIA_TYPE',
          400,
          `Attachment ${i} is ${await describeFileType(data)}: send PNG, JPEG, GIF, WebP, PDF, DOCX, JSON, CSV, Markdown or plain UTF-8 text.`,
        );
      }
      return {
        data,
        mimeType,
        name: sanitizeFilename(name),
        ...(a.url !== undefined && { sourceUrl: a.url }),
      };
    }),
  );
}

function tooLarge(i: number): GenniaError {
  return new GenniaError('ATTACHMENT_TOO_LARGE', 422, `Attachment ${i} is larger than 25 MiB.`);
}

function lastSegment(url: string): string | undefined {
  try {
    const segment = new URL(url).pathname.split('/').pop();
    return segment ? decodeURIComponent(segment) : undefined;
  } catch {
    return undefined;
  }
}

/** Stores the attachments as files of the conversation; returns the user message's content. */
export async function storeAttachments(
  files: FilesService,
  workspaceId: string,
  conversationId: string,
  text: string,
  ingested: IngestedAttachment[],
): Promise<ContentInput> {
  if (ingested.length === 0) return text;
  const blocks: Exclude<ContentInput, string> = text === '' ? [] : [{ type: 'text', text }];
  for (const a of ingested) {
    const row = await files.storeFetched(workspaceId, conversationId, {
      data: a.data,
      mimeType: a.mimeType,
      name: a.name,
      metadata: a.sourceUrl ? { source_url: a.sourceUrl } : {},
    });
    const image = (IMAGE_TYPES as readonly string[]).includes(a.mimeType);
    blocks.push(image ? { type: 'image', file_id: row.id } : { type: 'file', file_id: row.id });
  }
  return blocks;
}
