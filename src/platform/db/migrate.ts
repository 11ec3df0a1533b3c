import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import type { DbHandle } from './client.js';

export const migrationsFolder = path.join(packageRoot, 'src/platform/db/migrations');

/** Applies the generated SQL migrations; safe to run at every start and from several instances. */
export async function migrate(handle: DbHandle): Promise<void> {
  await handle.withMigrationLock(async () => {
    if (handle.driver === 'pglite') {
      await migratePglite(handle.db as unknown as PgliteDatabase, { migrationsFolder });
    } else {
      await migratePg(handle.db as unknown as NodePgDatabase, { migrationsFolder });
    }
  });
}
