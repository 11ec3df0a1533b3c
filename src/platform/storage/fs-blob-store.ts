import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from './blob-store.js';

/**
 * Local-disk driver: one file per key under `rootDir`. Writes go to a temporary file in the
 * same directory and are renamed into place, so a reader never sees a half-written blob.
 */
export function createFsBlobStore(rootDir: string): BlobStore {
  const root = path.resolve(rootDir);

  function pathFor(key: string): string {
    const segments = key.split('/');
    const valid =
      key.length > 0 &&
      !key.includes('\\') &&
      !key.includes('\0') &&
      segments.every((s) => s !== '' && s !== '.' && s !== '..');
    const target = path.resolve(root, ...segments);
    if (!valid || !target.startsWith(root + path.sep))
      throw new Error(`Invalid blob key ${JSON.stringify(key)}`);
    return target;
  }

  return {
    async put(key, data) {
      const target = pathFor(key);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const temp = `${target}.${randomUUID()}.tmp`;
      try {
        await fs.writeFile(temp, data, { flag: 'wx' });
        await fs.rename(temp, target);
      } catch (err) {
        await fs.rm(temp, { force: true });
        throw err;
      }
    },

    async get(key) {
      try {
        return await fs.readFile(pathFor(key));
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },

    async delete(key) {
      await fs.rm(pathFor(key), { force: true });
    },
  };
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
