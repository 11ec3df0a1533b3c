import type { LanguageModelV3 } from '@ai-sdk/provider';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import type { Services } from '../src/services.js';
import { ManualClock } from '../src/platform/clock.js';
import { openDb, type DbHandle } from '../src/platform/db/client.js';
import { migrate } from '../src/platform/db/migrate.js';
import type { App } from '../src/platform/http/types.js';
import { ModelGateway } from '../src/platform/llm/gateway.js';
import { createFsBlobStore } from '../src/platform/storage/fs-blob-store.js';
import { loadSigningSecret } from '../src/features/workspaces/signing-secret.js';

export const OPERATOR_TOKEN = 'test-operator-token-0123456789';

/** `pglite` (default) or `postgres` (PAPO_TEST_DB=postgres; CI runs the suite on both). */
export const TEST_DRIVER: 'pglite' | 'postgres' =
  process.env['PAPO_TEST_DB'] === 'postgres' ? 'postgres' : 'pglite';
const PG_ADMIN_URL = process.env['PAPO_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestApp {
  app: App;
  services: Services;
  config: Config;
  clock: ManualClock;
  db: DbHandle;
  dataDir: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Several instances: share this PostgreSQL database and data directory (see createTestCluster). */
  shared?: { dbUrl: string; dataDir: string };
  /** Connect the instance to Redis (multi-instance mode). */
  redisUrl?: string;
  /** Extra model providers by name (e.g. a MockLanguageModelV3 under `mock`). */
  providers?: Record<string, (modelId: string) => LanguageModelV3>;
}

/** A fresh server on a fresh database: in-memory PGlite, or a throwaway PostgreSQL database. */
export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = opts.shared?.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'papo-test-'));
  let dbUrl: string | undefined = opts.shared?.dbUrl;
  let dropDb: (() => Promise<void>) | undefined;
  if (TEST_DRIVER === 'postgres' && !opts.shared) {
    const name = `papo_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(PG_ADMIN_URL);
    u.pathname = `/${name}`;
    dbUrl = u.toString();
    dropDb = async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  const config = loadConfig({
    PAPO_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    PAPO_ADMIN_TOKEN: OPERATOR_TOKEN,
    PAPO_DEMO_WORD_DELAY_MS: '0',
    ...(dbUrl && { DATABASE_URL: dbUrl }),
    ...opts.env,
  });
  const db = await openDb({ url: config.db.url, dataDir: dbUrl ? dataDir : 'memory://' });
  await migrate(db);
  const clock = new ManualClock();
  const gateway = new ModelGateway(config, opts.providers);
  const blobs = createFsBlobStore(path.join(dataDir, 'files'));
  const logger = process.env['PAPO_TEST_LOG'] ? { level: process.env['PAPO_TEST_LOG'] } : false;
  const signingSecret = await loadSigningSecret(db.db, clock, config.secret);
  const redis = opts.redisUrl
    ? new Redis(opts.redisUrl, { maxRetriesPerRequest: 2, commandTimeout: 2000, enableOfflineQueue: false })
    : undefined;
  if (redis) await new Promise((resolve) => redis.once('ready', resolve));
  const { app, services } = await buildApp({
    config,
    db,
    clock,
    gateway,
    blobs,
    signingSecret,
    logger,
    redis,
  });
  await app.ready();
  return {
    app,
    services,
    config,
    clock,
    db,
    dataDir,
    async close() {
      await app.close();
      await db.close();
      redis?.disconnect();
      await dropDb?.();
      if (!opts.shared) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const TEST_REDIS_URL = process.env['PAPO_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * `n` Papo instances on one PostgreSQL database, one data directory and one Redis, as a
 * multi-instance deployment runs (PostgreSQL only: PGlite is one process's database). The first
 * instance migrates; all share the operator token and the signing secret through the database.
 */
export async function createTestCluster(n: number, opts: TestAppOptions = {}): Promise<TestApp[]> {
  if (TEST_DRIVER !== 'postgres') throw new Error('createTestCluster needs PAPO_TEST_DB=postgres');
  const first = await createTestApp({ ...opts, redisUrl: TEST_REDIS_URL });
  const shared = { dbUrl: first.config.db.url!, dataDir: first.dataDir };
  const rest: TestApp[] = [];
  for (let i = 1; i < n; i++) rest.push(await createTestApp({ ...opts, shared, redisUrl: TEST_REDIS_URL }));
  // the first instance drops the database and the directory: close it last
  const closeFirst = first.close;
  first.close = async () => {
    for (const r of rest) await r.close();
    await closeFirst();
  };
  return [first, ...rest];
}
