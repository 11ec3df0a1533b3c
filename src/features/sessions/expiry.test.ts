import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { conversations } from '../../platform/db/schema/index.js';
import { newSession, newWorld } from '../../../test/factories.js';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import { expireDueConversations } from './sessions.repo.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

it('the sweeper marks idle active conversations expired and leaves the others alone', async () => {
  const w = await newWorld(t, { idle_ttl_seconds: 300 });
  const idle = await newSession(t, w);
  const closed = await newSession(t, w);
  await t.app.inject({
    method: 'POST',
    url: `/v1/agents/sessions/${closed}/terminate`,
    headers: { 'x-api-key': w.key },
  });
  t.clock.advance(200_000);
  const fresh = await newSession(t, w);
  t.clock.advance(101_000);

  const swept = await expireDueConversations(t.db.db, t.clock.now());
  expect(swept).toBeGreaterThanOrEqual(1);
  const status = async (id: string) =>
    (await t.db.db.select({ s: conversations.status }).from(conversations).where(eq(conversations.id, id)))[0]
      ?.s;
  expect(await status(idle)).toBe('expired');
  expect(await status(closed)).toBe('closed');
  expect(await status(fresh)).toBe('active');
  // a second sweep finds nothing new
  expect(await expireDueConversations(t.db.db, t.clock.now())).toBe(0);
});
