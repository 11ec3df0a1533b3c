import { expect, it } from 'vitest';
import { ConversationQueue } from './conversation-queue.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

it('runs tasks of one key in reservation order, even when later ones are ready first', async () => {
  const q = new ConversationQueue();
  const order: string[] = [];
  const first = q.reserve('c');
  const second = q.reserve('c');
  const b = second.run(async () => {
    order.push('second');
  });
  await tick();
  expect(order).toEqual([]); // waits for the first place although it asked first
  await first.run(async () => {
    await tick(10);
    order.push('first');
  });
  await b;
  expect(order).toEqual(['first', 'second']);
  expect(q.pending()).toBe(0);
});

it('a released place lets the next one run, but only after the earlier ones', async () => {
  const q = new ConversationQueue();
  const order: string[] = [];
  const a = q.reserve('c');
  const gaveUp = q.reserve('c');
  const c = q.reserve('c');
  const running = c.run(async () => {
    order.push('c');
  });
  gaveUp.release();
  await tick();
  expect(order).toEqual([]);
  await a.run(async () => {
    order.push('a');
  });
  await running;
  expect(order).toEqual(['a', 'c']);
  gaveUp.release(); // idempotent
});

it('keeps keys independent and survives failing tasks', async () => {
  const q = new ConversationQueue();
  const slow = q.run('x', () => tick(30).then(() => 'x'));
  expect(await q.run('y', async () => 'y')).toBe('y');
  await expect(q.run('x', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(await slow).toBe('x');
  expect(await q.run('x', async () => 'after')).toBe('after');
});

it('a place released before its work runs still lets the work run, at the end of the queue', async () => {
  const q = new ConversationQueue();
  const order: string[] = [];
  const early = q.reserve('c');
  const later = q.reserve('c');
  early.release();
  const laterRun = later.run(async () => {
    order.push('later');
  });
  await early.run(async () => {
    order.push('early');
  });
  await laterRun;
  expect(order).toEqual(['later', 'early']);
  expect(q.pending()).toBe(0);
});
