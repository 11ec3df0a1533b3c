import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Repos take either the database or an open transaction. */
export type DbOrTx = Db | Tx;

export interface DbHandle {
  db: Db;
  driver: 'pglite' | 'postgres';
  close(): Promise<void>;
  /** Cheap liveness probe for health checks and draining. */
  ping(): Promise<void>;
  /** Runs `fn` while holding the cluster-wide migration lock (instances starting together). */
  withMigrationLock<T>(fn: () => Promise<T>): Promise<T>;
}

const MIGRATION_LOCK_ID = 7_203_114_501;

export interface OpenDbOptions {
  /** postgres://… → node-postgres; otherwise embedded PGlite. */
  url?: string;
  /** PGlite data directory; `memory://` keeps everything in memory (tests). */
  dataDir: string;
}

/**
 * PGlite has a single connection; it serialises queries and transactions itself (a query
 * issued outside an open transaction waits for it), so code must use the `tx` it is given
 * inside a transaction and never hold one open across a model call.
 */
export async function openDb(opts: OpenDbOptions): Promise<DbHandle> {
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max: 10 });
    pool.on('error', () => {
      /* idle-client errors surface on the next query; never crash the process */
    });
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    return {
      db,
      driver: 'postgres',
      close: once(() => pool.end()),
      ping: async () => {
        await pool.query('select 1');
      },
      withMigrationLock: async (fn) => {
        const conn = await pool.connect();
        try {
          await conn.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
          return await fn();
        } finally {
          await conn.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
          conn.release();
        }
      },
    };
  }
  let dataDir = opts.dataDir;
  if (!dataDir.startsWith('memory://')) {
    dataDir = path.join(opts.dataDir, 'pglite');
    fs.mkdirSync(dataDir, { recursive: true });
  }
  // pg_trgm: the search indexes (migration 0002)
  const client = await PGlite.create(dataDir, { extensions: { pg_trgm } });
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    driver: 'pglite',
    close: once(() => client.close()),
    ping: async () => {
      await client.query('select 1');
    },
    // one process owns a PGlite directory; nothing else can race its migrations
    withMigrationLock: (fn) => fn(),
  };
}

/** Closing twice is a no-op (shutdown paths and tests may both close). */
function once(fn: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= fn());
}
