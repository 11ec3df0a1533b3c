import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../harness.js';
import { mockRegistry } from '../../mock-model.js';
import { parseSse } from '../../sse-client.js';
import { expectGenniaError, G, g, genniaWorld, waitFor, type Paged } from './gennia.js';

// gennia.md §3.1/§3.2 with README §6.3: the server model timeout (the shortest allowed, 10 s).
let t: TestApp;
let base: string;
const mocks = mockRegistry();
const hang = mocks.register('hang', { fail: 'hang', chunks: ['waiting '] });

beforeAll(async () => {
  t = await createTestApp({ providers: { mock: mocks.provider }, env: { PAPO_MODEL_TIMEOUT_SECONDS: '10' } });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => t.close());

describe('server model timeout', () => {
  it('sync → 504 MODEL_TIMEOUT; stream → error MODEL_TIMEOUT then done; failed replies are stored', async () => {
    const w = await genniaWorld(t, { model: hang });
    const [sync, streamed] = await Promise.all([
      g(t, 'POST', `/agents/${w.agentId}/messages`, w.key, {
        content: 'sync',
        externalUserId: 'sync-user',
        timeoutSeconds: 60,
      }),
      fetch(`${base}${G}/agents/${w.agentId}/messages/stream`, {
        method: 'POST',
        headers: { 'x-api-key': w.key, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'stream', externalUserId: 'stream-user' }),
      }).then((r) => r.text()),
    ]);
    expectGenniaError(sync, 504, 'MODEL_TIMEOUT');
    const events = parseSse(streamed).events.map((e) => [
      e.event,
      JSON.parse(e.data!) as Record<string, unknown>,
    ]);
    expect(events.map(([e]) => e)).toEqual(['conversation-id', 'text-delta', 'error', 'done']);
    expect(events[2]![1]).toMatchObject({ code: 'MODEL_TIMEOUT', details: [] });
    expect(events[3]![1]).toEqual({ message: null });
    for (const user of ['sync-user', 'stream-user']) {
      const convs = (await g(t, 'GET', `/conversations?externalUserId=${user}`, w.key)).json<
        Paged<{ publicId: string }>
      >();
      const reply = await waitFor(async () => {
        const page = (
          await g(t, 'GET', `/conversations/${convs.items[0]!.publicId}/messages?role=agent`, w.key)
        ).json<Paged<{ content: string }>>();
        return page.items[0];
      });
      expect(reply.content).toBe('waiting ');
    }
  }, 30_000);
});
