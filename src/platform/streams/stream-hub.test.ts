import { expect, it } from 'vitest';
import { StreamHub, type StreamEvent } from './stream-hub.js';

it('answers the owner asynchronously until the retention after the end has passed', async () => {
  const hub = new StreamHub(50);
  const w = hub.create({ workspaceId: 'w', conversationId: 'c' });
  w.emit('e', { i: 1 });
  w.end();
  expect(hub.has(w.streamId)).toBe(true);
  await expect(hub.ownerOf(w.streamId)).resolves.toEqual({ workspaceId: 'w', conversationId: 'c' });
  await new Promise((r) => setTimeout(r, 120));
  await expect(hub.ownerOf(w.streamId)).resolves.toBeUndefined();
  expect(hub.has(w.streamId)).toBe(false);
  expect(hub.size()).toBe(0);
});

it('shows every stored event and the end to an observer, once', () => {
  const hub = new StreamHub(60_000);
  const seen: StreamEvent[] = [];
  const ends: number[] = [];
  const ids: string[] = [];
  const w = hub.create({ workspaceId: 'w', conversationId: 'c' }, (id) => {
    ids.push(id);
    return { event: (ev) => seen.push(ev), end: (last) => ends.push(last) };
  });
  w.emit('a', { n: 1 });
  w.emit('b', 'two');
  w.end();
  w.emit('late', {});
  w.end();
  expect(ids).toEqual([w.streamId]);
  expect(seen).toEqual([
    { id: 1, event: 'a', json: '{"n":1}' },
    { id: 2, event: 'b', json: '"two"' },
  ]);
  expect(ends).toEqual([2]);
});
