import { randomUUID } from 'node:crypto';

export type Part =
  /** A file part: `Content-Disposition: form-data; name=…; filename=…` plus an optional Content-Type. */
  | { name: string; filename?: string; contentType?: string; data: Buffer | string }
  /** A text field. */
  | { name: string; value: string; contentType?: string };

/** A hand-built `multipart/form-data` body for `app.inject`. */
export function multipartBody(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----papo-test-${randomUUID()}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const lines = [`--${boundary}`];
    if ('value' in part) {
      lines.push(`Content-Disposition: form-data; name="${part.name}"`);
      if (part.contentType) lines.push(`Content-Type: ${part.contentType}`);
      chunks.push(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), Buffer.from(part.value), Buffer.from('\r\n'));
      continue;
    }
    const filename = part.filename === undefined ? '' : `; filename="${part.filename}"`;
    lines.push(`Content-Disposition: form-data; name="${part.name}"${filename}`);
    lines.push(`Content-Type: ${part.contentType ?? 'application/octet-stream'}`);
    const data = typeof part.data === 'string' ? Buffer.from(part.data) : part.data;
    chunks.push(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const payload = Buffer.concat(chunks);
  return {
    payload,
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(payload.length),
    },
  };
}
