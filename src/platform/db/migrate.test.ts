import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { TEST_DRIVER } from '../../../test/harness.js';
import { openDb } from './client.js';
import { migrate } from './migrate.js';

const ADMIN_URL = process.env['PAPO_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

describe.runIf(TEST_DRIVER === 'postgres')('migrations on PostgreSQL', () => {
  it('apply once when several instances start together', async () => {
    const name = `papo_mig_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    const handles = await Promise.all([1, 2, 3].map(() => openDb({ url: url.toString(), dataDir: '' })));
    try {
      await Promise.all(handles.map((h) => migrate(h)));
      const c = new pg.Client({ connectionString: url.toString() });
      await c.connect();
      const applied = await c.query('select count(*)::int as n from drizzle.__drizzle_migrations');
      const tables = await c.query(
        `select count(*)::int as n from information_schema.tables where table_name = 'messages'`,
      );
      await c.end();
      expect(applied.rows[0].n).toBeGreaterThan(0);
      expect(tables.rows[0].n).toBe(1);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});

describe.runIf(TEST_DRIVER === 'pglite')('migrations on PGlite', () => {
  it('are idempotent across restarts', async () => {
    const h = await openDb({ dataDir: 'memory://' });
    await migrate(h);
    await migrate(h);
    await h.ping();
    await h.close();
  });
});
