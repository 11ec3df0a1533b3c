import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { messages } from '../../platform/db/schema/index.js';
import { newSession, newWorld } from '../../../test/factories.js';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import { scriptedModel } from '../../../test/mock-model.js';

// The server model timeout has a 10 s floor (README §11), so this file takes ~10 s on its own.
let t: TestApp;
const hanging = scriptedModel({ chunks: ['thinking… '], fail: 'hang' });

beforeAll(async () => {
  t = await createTestApp({
    env: { PAPO_MODEL_TIMEOUT_SECONDS: '10' },
    providers: { mock: () => hanging.model },
  });
});
afterAll(() => t.close());

it('aborts the model at the server timeout, stores a failed reply with the partial text and answers 504', async () => {
  const w = await newWorld(t, { model: 'mock:hang' });
  const sid = await newSession(t, w);
  const started = Date.now();
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/agents/sessions/${sid}/messages`,
    headers: { 'x-api-key': w.key },
    payload: { content: 'are you there?' },
  });
  const elapsed = Date.now() - started;
  expect(res.statusCode).toBe(504);
  const body = res.json();
  expect(body.error.code).toBe('model_timeout');
  expect(body.error.context.timeout_s).toBe(10);
  expect(elapsed).toBeGreaterThanOrEqual(9_900);
  const rows = await t.db.db.select().from(messages).where(eq(messages.conversationId, sid));
  const failed = rows.find((r) => r.id === body.error.context.message_id);
  expect(failed?.status).toBe('failed');
  expect(failed?.content).toEqual([{ type: 'text', text: 'thinking… ' }]);
  expect(rows.find((r) => r.role === 'user')?.content).toEqual([{ type: 'text', text: 'are you there?' }]);
  expect(hanging.calls[0]?.abortSignal?.aborted).toBe(true);
});
