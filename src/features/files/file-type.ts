import { fileTypeFromBuffer } from 'file-type';

/**
 * File types Papo accepts (README §7). The bytes decide; the filename and the declared type only
 * choose between CSV, Markdown and plain text once the bytes are known to be UTF-8 text.
 */
export const FILE_TYPES = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  json: 'application/json',
  csv: 'text/csv',
  markdown: 'text/markdown',
  text: 'text/plain',
} as const;

export type FileMimeType = (typeof FILE_TYPES)[keyof typeof FILE_TYPES];

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const ZIP_LOCAL = [0x50, 0x4b, 0x03, 0x04];
const ZIP_EMPTY = [0x50, 0x4b, 0x05, 0x06];

export function detectFileType(
  data: Buffer,
  opts: { filename?: string; declaredType?: string } = {},
): FileMimeType | undefined {
  if (data.length === 0) return undefined;
  if (startsWith(data, PNG)) return FILE_TYPES.png;
  if (startsWith(data, JPEG)) return FILE_TYPES.jpeg;
  if (startsWithAscii(data, 'GIF87a') || startsWithAscii(data, 'GIF89a')) return FILE_TYPES.gif;
  if (startsWithAscii(data, 'RIFF') && data.length >= 12 && data.toString('latin1', 8, 12) === 'WEBP') {
    return FILE_TYPES.webp;
  }
  if (startsWithAscii(data, '%PDF-')) return FILE_TYPES.pdf;
  if (startsWith(data, ZIP_LOCAL) || startsWith(data, ZIP_EMPTY)) {
    return zipHasEntry(data, 'word/document.xml') ? FILE_TYPES.docx : undefined;
  }

  const text = decodeUtf8(data);
  if (text === undefined || text.includes('\u0000')) return undefined;
  if (parsesAsJson(text)) return FILE_TYPES.json;
  const name = opts.filename?.toLowerCase() ?? '';
  const declared = opts.declaredType?.split(';')[0]?.trim().toLowerCase();
  if (name.endsWith('.csv') || declared === 'text/csv') return FILE_TYPES.csv;
  if (name.endsWith('.md') || name.endsWith('.markdown') || declared === 'text/markdown')
    return FILE_TYPES.markdown;
  return FILE_TYPES.text;
}

/** What the bytes look like, for the `detected_type` of a 415 (never an accepted type's guarantee). */
export async function describeFileType(data: Buffer): Promise<string> {
  try {
    return (await fileTypeFromBuffer(data))?.mime ?? 'application/octet-stream';
  } catch {
    return 'application/octet-stream';
  }
}

const FILENAME_MAX = 255;

/** Multipart/attachment names: last path component, no control characters, ≤255 characters, default `file`. */
export function sanitizeFilename(name: string | undefined): string {
  if (name === undefined) return 'file';
  const base = name.split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  if (clean === '' || clean === '.' || clean === '..') return 'file';
  const chars = Array.from(clean);
  return chars.length > FILENAME_MAX ? chars.slice(0, FILENAME_MAX).join('') : clean;
}

function startsWith(data: Buffer, signature: number[]): boolean {
  return data.length >= signature.length && signature.every((byte, i) => data[i] === byte);
}

function startsWithAscii(data: Buffer, signature: string): boolean {
  return data.length >= signature.length && data.toString('latin1', 0, signature.length) === signature;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeUtf8(data: Buffer): string | undefined {
  try {
    return utf8.decode(data);
  } catch {
    return undefined;
  }
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const EOCD_SIG = 0x06054b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

/** Whether a ZIP archive names `entry`: central directory first, local headers as a fallback. */
function zipHasEntry(data: Buffer, entry: string): boolean {
  const names = centralDirectoryNames(data) ?? localHeaderNames(data);
  return names.includes(entry);
}

function centralDirectoryNames(data: Buffer): string[] | undefined {
  // The end-of-central-directory record is 22 bytes plus a comment of at most 65,535 bytes.
  const min = Math.max(0, data.length - 22 - 0xffff);
  for (let at = data.length - 22; at >= min; at--) {
    if (data.readUInt32LE(at) !== EOCD_SIG) continue;
    const count = data.readUInt16LE(at + 10);
    let offset = data.readUInt32LE(at + 16);
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      if (offset + 46 > data.length || data.readUInt32LE(offset) !== CENTRAL_SIG) return undefined;
      const nameLength = data.readUInt16LE(offset + 28);
      const extraLength = data.readUInt16LE(offset + 30);
      const commentLength = data.readUInt16LE(offset + 32);
      if (offset + 46 + nameLength > data.length) return undefined;
      names.push(data.toString('utf8', offset + 46, offset + 46 + nameLength));
      offset += 46 + nameLength + extraLength + commentLength;
    }
    return names;
  }
  return undefined;
}

/** Damaged or ZIP64 archives: every local file header's name, found by signature. */
function localHeaderNames(data: Buffer): string[] {
  const names: string[] = [];
  const sig = Buffer.alloc(4);
  sig.writeUInt32LE(LOCAL_SIG);
  for (let at = data.indexOf(sig); at >= 0 && at + 30 <= data.length; at = data.indexOf(sig, at + 4)) {
    const nameLength = data.readUInt16LE(at + 26);
    if (at + 30 + nameLength <= data.length) names.push(data.toString('utf8', at + 30, at + 30 + nameLength));
  }
  return names;
}
