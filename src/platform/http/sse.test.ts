import Fastify from 'fastify';
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { StreamHub } from '../streams/stream-hub.js';
import { sendSse } from './sse.js';
import { parseSse } from '../../../test/sse-client.js';

const hub = new StreamHub(60_000);
const app = Fastify();
let base = '';

beforeAll(async () => {
  app.get('/s/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    await sendSse(req, reply, (signal) => hub.read(id, 0, signal), { keepAliveMs: 100 });
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => app.close());

it('writes keep-alive comments while the producer is silent and ends after the stream ends', async () => {
  const w = hub.create({ workspaceId: 'w', conversationId: 'c' });
  w.emit('stream.started', { n: 1 });
  setTimeout(() => {
    w.emit('done', {});
    w.end();
  }, 700);
  const res = await fetch(`${base}/s/${w.streamId}`);
  const text = await res.text();
  const { events } = parseSse(text);
  expect(events[0]).toMatchObject({ id: '1', event: 'stream.started', data: '{"n":1}' });
  expect(events.filter((e) => e.comment === 'keep-alive').length).toBeGreaterThanOrEqual(2);
  expect(events.at(-1)).toMatchObject({ id: '2', event: 'done' });
});

it('replays from an event id and forgets streams after their retention', async () => {
  const short = new StreamHub(50);
  const w = short.create({ workspaceId: 'w', conversationId: 'c' });
  for (let i = 0; i < 5; i++) w.emit('e', { i });
  w.end();
  const seen: number[] = [];
  for await (const ev of short.read(w.streamId, 3)) seen.push(ev.id);
  expect(seen).toEqual([4, 5]);
  await expect(short.ownerOf(w.streamId)).resolves.toEqual({ workspaceId: 'w', conversationId: 'c' });
  await new Promise((r) => setTimeout(r, 120));
  await expect(short.ownerOf(w.streamId)).resolves.toBeUndefined();
});

it('keeps one abort listener per reader however many events it waits for', async () => {
  const getEventListeners = EventEmitter.getEventListeners;
  const w = hub.create({ workspaceId: 'w', conversationId: 'c' });
  const ac = new AbortController();
  const seen: number[] = [];
  const reading = (async () => {
    for await (const ev of hub.read(w.streamId, 0, ac.signal)) {
      seen.push(ev.id);
      expect(getEventListeners(ac.signal, 'abort').length).toBe(1);
    }
  })();
  for (let i = 0; i < 30; i++) {
    w.emit('e', { i });
    await new Promise((r) => setImmediate(r));
  }
  w.end();
  await reading;
  expect(seen).toHaveLength(30);
  expect(getEventListeners(ac.signal, 'abort').length).toBe(0);
});
