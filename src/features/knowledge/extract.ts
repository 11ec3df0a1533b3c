import mammoth from 'mammoth';
import { FILE_TYPES } from '../files/file-type.js';
import { chunkCsv, chunkText } from './chunking.js';

/** README §7: what a knowledge base accepts (no images). */
export const KNOWLEDGE_FILE_TYPES: ReadonlySet<string> = new Set([
  FILE_TYPES.pdf,
  FILE_TYPES.docx,
  FILE_TYPES.json,
  FILE_TYPES.csv,
  FILE_TYPES.markdown,
  FILE_TYPES.text,
]);

/** A file that cannot become records; `message` is safe to show to the client. */
export class ExtractionError extends Error {}

/** The text of a stored knowledge file, split into records (≤4,000 characters each). */
export async function extractChunks(data: Buffer, mimeType: string): Promise<string[]> {
  const text = await extractText(data, mimeType);
  const chunks = mimeType === FILE_TYPES.csv ? chunkCsv(text) : chunkText(text);
  if (chunks.length === 0) throw new ExtractionError('The file contains no text.');
  return chunks;
}

async function extractText(data: Buffer, mimeType: string): Promise<string> {
  switch (mimeType) {
    case FILE_TYPES.pdf:
      return pdfText(data);
    case FILE_TYPES.docx:
      return docxText(data);
    case FILE_TYPES.json:
      return jsonText(data);
    default:
      return utf8(data);
  }
}

function utf8(data: Buffer): string {
  return data.toString('utf8').replace(/^\uFEFF/, '');
}

/** Pretty-printed so that large documents split at line breaks rather than mid-value. */
function jsonText(data: Buffer): string {
  const text = utf8(data);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

async function docxText(data: Buffer): Promise<string> {
  try {
    const { value } = await mammoth.extractRawText({ buffer: data });
    return value;
  } catch {
    throw new ExtractionError('The Word document could not be read.');
  }
}

async function pdfText(data: Buffer): Promise<string> {
  try {
    // loaded on first use: the PDF engine is large and most processes never read a PDF
    const { extractText, getDocumentProxy } = await import('unpdf');
    const pdf = await getDocumentProxy(new Uint8Array(data));
    const { text } = await extractText(pdf, { mergePages: false });
    return text.map((page) => page.trim()).join('\n\n');
  } catch {
    throw new ExtractionError('The PDF could not be read.');
  }
}
