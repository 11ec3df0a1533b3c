import { invalidField } from './errors.js';

export const FREE_FORM_LIMIT_BYTES = 16 * 1024;

/** Free-form objects (metadata, context, info…) are limited to 16 KiB serialised (README §5). */
export function assertJsonSize(path: string, value: unknown, limit = FREE_FORM_LIMIT_BYTES): void {
  if (value === undefined || value === null) return;
  if (Buffer.byteLength(JSON.stringify(value)) > limit) {
    throw invalidField(path, `must be at most ${limit} bytes when serialised`);
  }
}
