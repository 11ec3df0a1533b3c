import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { detectFileType, FILE_TYPES, sanitizeFilename } from './file-type.js';

/** A minimal stored (uncompressed) ZIP archive with a central directory. */
function zip(entries: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const nameBuf = Buffer.from(name);
    const data = Buffer.from(text);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, data);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

const DOCX = zip({
  '[Content_Types].xml': '<Types/>',
  '_rels/.rels': '<Relationships/>',
  'word/document.xml': '<w:document/>',
});

const bytes = (...b: number[]) => Buffer.from(b);
const text = (s: string) => Buffer.from(s, 'utf8');

describe('detectFileType', () => {
  it.each([
    ['PNG', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13), 'image/png'],
    ['JPEG', bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10), 'image/jpeg'],
    ['GIF87a', Buffer.concat([text('GIF87a'), bytes(1, 0, 1, 0)]), 'image/gif'],
    ['GIF89a', Buffer.concat([text('GIF89a'), bytes(1, 0, 1, 0)]), 'image/gif'],
    ['WebP', Buffer.concat([text('RIFF'), bytes(0x24, 0, 0, 0), text('WEBPVP8 ')]), 'image/webp'],
    ['PDF', text('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n'), 'application/pdf'],
    ['DOCX', DOCX, FILE_TYPES.docx],
    ['JSON object', text('{"a": [1, 2, {"b": null}]}'), 'application/json'],
    ['JSON array with whitespace', text('\n  [1, 2]\n'), 'application/json'],
    ['JSON with a UTF-8 BOM', Buffer.concat([bytes(0xef, 0xbb, 0xbf), text('{"a":1}')]), 'application/json'],
    ['plain text', text('Olá, mundo! ✓\nsecond line'), 'text/plain'],
  ])('%s', (_name, data, expected) => {
    expect(detectFileType(data, {})).toBe(expected);
  });

  it('ignores the filename and declared type for binary and JSON content', () => {
    const png = bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
    expect(detectFileType(png, { filename: 'notes.txt', declaredType: 'text/plain' })).toBe('image/png');
    expect(detectFileType(text('{"a":1}'), { filename: 'data.csv', declaredType: 'text/csv' })).toBe(
      'application/json',
    );
    expect(detectFileType(text('hello'), { filename: 'photo.png', declaredType: 'image/png' })).toBe(
      'text/plain',
    );
  });

  it('tells a DOCX from a plain ZIP and other Office archives', () => {
    expect(detectFileType(zip({ 'readme.txt': 'hello' }), {})).toBeUndefined();
    expect(detectFileType(zip({ 'xl/workbook.xml': '<workbook/>' }), { filename: 'a.docx' })).toBeUndefined();
    expect(detectFileType(zip({ 'word/document.xml.bak': 'x' }), {})).toBeUndefined();
    expect(detectFileType(zip({}), {})).toBeUndefined();
  });

  it('finds word/document.xml by local headers when the central directory is missing', () => {
    const truncated = DOCX.subarray(0, DOCX.indexOf(bytes(0x50, 0x4b, 0x01, 0x02)));
    expect(detectFileType(truncated, {})).toBe(FILE_TYPES.docx);
  });

  it('CSV and Markdown by filename extension', () => {
    const csv = text('a,b\n1,2\n');
    expect(detectFileType(csv, { filename: 'report.csv' })).toBe('text/csv');
    expect(detectFileType(csv, { filename: 'REPORT.CSV' })).toBe('text/csv');
    expect(detectFileType(csv, {})).toBe('text/plain');
    const md = text('# Title\n\n- item\n');
    expect(detectFileType(md, { filename: 'README.md' })).toBe('text/markdown');
    expect(detectFileType(md, { filename: 'notes.markdown' })).toBe('text/markdown');
    expect(detectFileType(md, { filename: 'notes.md.txt' })).toBe('text/plain');
  });

  it('CSV and Markdown by declared type (parameters and case ignored)', () => {
    expect(detectFileType(text('a,b\n'), { declaredType: 'text/csv' })).toBe('text/csv');
    expect(detectFileType(text('a,b\n'), { declaredType: 'Text/CSV; charset=utf-8' })).toBe('text/csv');
    expect(detectFileType(text('# hi'), { declaredType: 'text/markdown' })).toBe('text/markdown');
    expect(detectFileType(text('# hi'), { declaredType: 'application/octet-stream' })).toBe('text/plain');
  });

  it('rejects invalid UTF-8, NUL bytes, empty input and unknown binaries', () => {
    expect(detectFileType(bytes(0x68, 0x69, 0xc3, 0x28), {})).toBeUndefined();
    expect(detectFileType(bytes(0xff, 0xfe, 0x68, 0x00), {})).toBeUndefined();
    expect(detectFileType(text('hello\u0000world'), {})).toBeUndefined();
    expect(detectFileType(text('a,b\u0000'), { filename: 'x.csv' })).toBeUndefined();
    expect(detectFileType(Buffer.alloc(0), {})).toBeUndefined();
    expect(detectFileType(bytes(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0), {})).toBeUndefined();
  });

  it('needs the whole signature', () => {
    expect(detectFileType(bytes(0x89, 0x50, 0x4e, 0x47), {})).toBeUndefined();
    expect(detectFileType(text('RIFF\u0024\u0000\u0000\u0000WAVE'), {})).toBeUndefined();
    expect(detectFileType(text('GIF88a'), {})).toBe('text/plain');
    expect(detectFileType(text('%PDF'), {})).toBe('text/plain');
  });
});

describe('sanitizeFilename', () => {
  it.each([
    [undefined, 'file'],
    ['', 'file'],
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\ana\\photo.png', 'photo.png'],
    ['/abs/path/', 'file'],
    ['..', 'file'],
    ['a\u0000b\u001fc\u007fd\u0085.txt', 'abcd.txt'],
    ['line\r\nbreak.txt', 'linebreak.txt'],
    ['  spaced name.md  ', 'spaced name.md'],
    ['relatório ✓.csv', 'relatório ✓.csv'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeFilename(input)).toBe(expected);
  });

  it('keeps at most 255 characters without splitting a surrogate pair', () => {
    expect(sanitizeFilename('a'.repeat(300))).toBe('a'.repeat(255));
    const emoji = sanitizeFilename('😀'.repeat(300));
    expect(Array.from(emoji)).toHaveLength(255);
    expect(emoji).toBe('😀'.repeat(255));
  });
});
