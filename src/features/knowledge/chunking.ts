/** README §8: a file's text becomes records of at most this many characters. */
export const CHUNK_MAX_CHARS = 4000;

/** Separators tried in order: paragraphs, lines, sentence ends, spaces; then a hard cut. */
const SEPARATORS: RegExp[] = [/\n{2,}/, /\n/, /(?<=[.!?…;:])\s+/u, /\s+/];

/**
 * Splits text into chunks of at most `max` characters (UTF-16 code units, so never more
 * characters than that), cutting at the largest natural boundary that fits and packing
 * neighbouring pieces together so chunks stay close to the limit.
 */
export function chunkText(text: string, max = CHUNK_MAX_CHARS): string[] {
  const clean = text.replace(/\r\n?/g, '\n').trim();
  if (clean === '') return [];
  return split(clean, max, 0);
}

function split(text: string, max: number, level: number): string[] {
  if (text.length <= max) return [text];
  const sep = SEPARATORS[level];
  if (!sep) return hardSplit(text, max);
  const joiner = level === 0 ? '\n\n' : level === 1 ? '\n' : ' ';
  const pieces = text
    .split(sep)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (pieces.length <= 1) return split(text, max, level + 1);
  const out: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (piece.length > max) {
      if (current) out.push(current);
      current = '';
      out.push(...split(piece, max, level + 1));
      continue;
    }
    const joined = current ? `${current}${joiner}${piece}` : piece;
    if (joined.length <= max) {
      current = joined;
    } else {
      out.push(current);
      current = piece;
    }
  }
  if (current) out.push(current);
  return out;
}

/** Last resort for a run without spaces: fixed cuts that never split a surrogate pair. */
function hardSplit(text: string, max: number): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    let end = Math.min(at + max, text.length);
    const code = text.charCodeAt(end - 1);
    if (end < text.length && code >= 0xd800 && code <= 0xdbff) end--;
    out.push(text.slice(at, end));
    at = end;
  }
  return out;
}

/**
 * CSV chunks repeat the header row, so every record names its columns. Rows longer than the
 * limit on their own fall back to plain splitting.
 */
export function chunkCsv(text: string, max = CHUNK_MAX_CHARS): string[] {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const [header, ...rows] = lines;
  if (header === undefined) return [];
  if (rows.length === 0 || header.length > max / 2) return chunkText(lines.join('\n'), max);
  const out: string[] = [];
  let current = header;
  for (const row of rows) {
    const joined = `${current}\n${row}`;
    if (joined.length <= max) {
      current = joined;
      continue;
    }
    if (current !== header) out.push(current);
    if (header.length + 1 + row.length <= max) current = `${header}\n${row}`;
    else {
      out.push(...chunkText(row, max));
      current = header;
    }
  }
  if (current !== header) out.push(current);
  return out;
}
