import type { LanguageModelV3 } from '@ai-sdk/provider';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
  /** Extra model providers by name (e.g. a MockLanguageModelV3 under `mock`). */
  providers?: Record<string, (modelId: string) => LanguageModelV3>;
}

/** A fresh server on a fresh database: in-memory PGlite, or a throwaway PostgreSQL database. */
export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'papo-test-'));
  let dbUrl: string | undefined;
  let dropDb: (() => Promise<void>) | undefined;
  if (TEST_DRIVER === 'postgres') {
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
  const { app, services } = await buildApp({ config, db, clock, gateway, blobs, signingSecret, logger });
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
      await dropDb?.();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
