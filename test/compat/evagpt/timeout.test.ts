import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { messages } from '../../../src/platform/db/schema/index.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { scriptedModel } from '../../mock-model.js';
import { eva, evaWorld, expectProblem, newEvaConversation } from './eva.js';

// The server model timeout has a 10 s floor (README §11), so this file takes ~10 s on its own.
let t: TestApp;
const hanging = scriptedModel({ chunks: ['pensando… '], fail: 'hang' });

beforeAll(async () => {
  t = await createTestApp({
    env: { PAPO_MODEL_TIMEOUT_SECONDS: '10' },
    providers: { mock: () => hanging.model },
  });
});
afterAll(() => t.close());

it('E10 answers 504 gateway-timeout at the server model timeout and stores the reply as failed', async () => {
  const w = await evaWorld(t, { model: 'mock:hang' });
  const id = await newEvaConversation(t, w);
  const res = await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: 'você está aí?' });
  expectProblem(res, 504, 'gateway-timeout');
  const rows = await t.db.db.select().from(messages).where(eq(messages.conversationId, id));
  const failed = rows.find((r) => r.role === 'assistant');
  expect(failed?.status).toBe('failed');
  expect(failed?.content).toEqual([{ type: 'text', text: 'pensando… ' }]);
});
