import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationQueue } from './conversation-queue.js';
import { RedisTurns, type RedisTurnsOptions } from './redis-turns.js';

const URL = process.env['PAPO_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const clients: Redis[] = [];
const turns: RedisTurns[] = [];
const prefix = `papo:test:turn:${randomUUID()}:`;

/** One "instance": its own Redis connection and its own RedisTurns, as two processes would have. */
async function instance(
  opts: RedisTurnsOptions = {},
): Promise<{ redis: Redis; turns: RedisTurns; queue: ConversationQueue }> {
  const redis = new Redis(URL, { maxRetriesPerRequest: 2, commandTimeout: 2000, enableOfflineQueue: false });
  clients.push(redis);
  await new Promise((resolve) => redis.once('ready', resolve));
  const t = new RedisTurns(redis, { prefix, ...opts });
  turns.push(t);
  return { redis, turns: t, queue: new ConversationQueue(t) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const probe = await instance();
  await probe.redis.ping();
});
afterAll(async () => {
  const keys = await clients[0]!.keys(`${prefix}*`);
  if (keys.length) await clients[0]!.del(...keys);
  for (const t of turns) await t.close();
  for (const c of clients) c.disconnect();
});

describe('RedisTurns: one generation at a time per conversation across instances', () => {
  it('runs the places of one conversation in the order they were taken, whichever instance took them', async () => {
    const a = await instance();
    const b = await instance();
    const key = randomUUID();
    const order: string[] = [];
    const running = { now: 0, max: 0 };
    const runs: Promise<void>[] = [];
    for (let i = 0; i < 8; i++) {
      const q = i % 2 === 0 ? a.queue : b.queue;
      const slot = q.reserve(key);
      await sleep(15); // let the ticket land before the next instance takes one
      runs.push(
        slot.run(async () => {
          running.now++;
          running.max = Math.max(running.max, running.now);
          await sleep(i === 0 ? 120 : 10); // later places are ready long before the first ends
          order.push(`${i}`);
          running.now--;
        }),
      );
    }
    await Promise.all(runs);
    expect(order).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(running.max).toBe(1);
  });

  it('keeps conversations independent', async () => {
    const a = await instance();
    const b = await instance();
    const slow = a.queue.reserve(randomUUID());
    await sleep(10);
    const other = b.queue.reserve(randomUUID());
    const done: string[] = [];
    await Promise.all([
      slow.run(async () => {
        await sleep(150);
        done.push('slow');
      }),
      other.run(async () => {
        done.push('other');
      }),
    ]);
    expect(done).toEqual(['other', 'slow']);
  });

  it('skips a place given up before its turn, on another instance', async () => {
    const a = await instance();
    const b = await instance();
    const key = randomUUID();
    const first = a.queue.reserve(key);
    await sleep(15);
    const gone = b.queue.reserve(key);
    await sleep(15);
    const third = a.queue.reserve(key);
    await sleep(15);
    gone.release();
    const order: string[] = [];
    await Promise.all([
      first.run(async () => {
        await sleep(50);
        order.push('first');
      }),
      third.run(async () => {
        order.push('third');
      }),
    ]);
    expect(order).toEqual(['first', 'third']);
  });

  it('moves past a holder whose instance died, once its lease runs out', async () => {
    const fast = { leaseMs: 300, graceMs: 300, pollMs: 50 };
    const dying = await instance(fast);
    const alive = await instance(fast);
    const key = randomUUID();
    const held = dying.turns.take(key);
    await held.wait(); // it holds the turn…
    const next = alive.turns.take(key);
    let ran = false;
    const waiting = next.wait().then(() => (ran = true));
    await sleep(150);
    expect(ran).toBe(false);
    // …and its process dies: no finish, no lease renewals
    await dying.turns.close();
    dying.redis.disconnect();
    const started = Date.now();
    await waiting;
    next.finish();
    expect(ran).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails open when Redis is unreachable: the process keeps its own order', async () => {
    const redis = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: 0,
      commandTimeout: 200,
      enableOfflineQueue: false,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    clients.push(redis);
    const queue = new ConversationQueue(new RedisTurns(redis, { prefix }));
    const key = randomUUID();
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2].map((i) =>
        queue.run(key, async () => {
          await sleep(10 * (3 - i));
          order.push(i);
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2]);
  });

  it('leaves no subscription behind once nobody waits', async () => {
    const a = await instance();
    const b = await instance();
    const key = randomUUID();
    const first = a.turns.take(key);
    await first.wait();
    const second = b.turns.take(key);
    const waiting = second.wait();
    await sleep(50);
    const channels = await a.redis.pubsub('CHANNELS', `${prefix}*`);
    expect(channels).toEqual([`${prefix}${key}:ch`]);
    first.finish();
    await waiting;
    second.finish();
    await sleep(50);
    expect(await a.redis.pubsub('CHANNELS', `${prefix}*`)).toEqual([]);
  });
});
