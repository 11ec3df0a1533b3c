import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi, type Mock } from 'vitest';
import { newId } from '../ids.js';
import { RedisStreamHub, type RedisStreamHubOptions } from './redis-stream-hub.js';
import type { StreamEvent, StreamStore, StreamWriter } from './stream-hub.js';

// the options main.ts gives the shared client; each client stands for one process
const clientOptions = {
  lazyConnect: true,
  maxRetriesPerRequest: 2,
  commandTimeout: 2000,
  enableOfflineQueue: false,
};
const redisA = new Redis('redis://127.0.0.1:6379', clientOptions);
const redisB = new Redis('redis://127.0.0.1:6379', clientOptions);
const owner = { workspaceId: 'w1', conversationId: 'c1' };
const hubs: RedisStreamHub[] = [];
const logs: { warn: Mock }[] = [];
let prefix = '';

beforeAll(async () => {
  await Promise.all([redisA.connect(), redisB.connect()]);
});
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
  // nothing in these tests should make a hub over a healthy Redis warn
  for (const log of logs.splice(0)) expect(log.warn.mock.calls).toEqual([]);
  const keys = await redisA.keys(`${prefix}*`);
  if (keys.length > 0) await redisA.del(...keys);
});
afterAll(() => {
  redisA.disconnect();
  redisB.disconnect();
});

/** Two processes over one Redis: A generates, B resumes. */
function pair(opts: Partial<RedisStreamHubOptions> = {}) {
  prefix = `papo:test:${randomUUID()}:`;
  const make = (redis: Redis, name: string) => {
    const log = { warn: vi.fn() };
    logs.push(log);
    const hub = new RedisStreamHub({
      redis,
      retentionMs: 60_000,
      maxGenerationMs: 60_000,
      log,
      keyPrefix: prefix,
      connectionName: `${prefix}${name}`,
      ...opts,
    });
    hubs.push(hub);
    return { hub, log };
  };
  return { a: make(redisA, 'a'), b: make(redisB, 'b') };
}

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const ev of events) out.push(ev);
  return out;
}

/** Resolves once `reader` has seen `n` events (then keeps collecting until the stream ends). */
function follow(hub: StreamStore, streamId: string, afterId = 0, signal?: AbortSignal) {
  const seen: StreamEvent[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const done = (async () => {
    for await (const ev of hub.read(streamId, afterId, signal)) {
      seen.push(ev);
      for (const w of waiters.filter((x) => seen.length >= x.n)) w.resolve();
    }
    return seen;
  })();
  const count = (n: number) =>
    seen.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }));
  return { seen, done, count };
}

async function flushed(redis: Redis, hub: RedisStreamHub, w: StreamWriter, last: number) {
  // writes are fire-and-forget: wait until the last one is visible in Redis
  for (let i = 0; i < 200; i++) {
    const tip = (await redis.xrevrange(`${prefix}${w.streamId}`, '+', '-', 'COUNT', 1))[0];
    if (tip && tip[0] === `0-${last}`) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`stream ${w.streamId} never reached 0-${last} (${hub.size()} local streams)`);
}

async function clientsNamed(name: string) {
  const list = (await redisA.call('CLIENT', 'LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=${name} `));
}

describe('RedisStreamHub', () => {
  it('replays a stream written on one instance on another, from the start and from a Last-Event-ID', async () => {
    const { a, b } = pair();
    const w = a.hub.create(owner);
    for (let i = 1; i <= 5; i++) w.emit(i === 5 ? 'done' : 'delta', { i, text: `é ${i} "q"` });
    w.end();
    await flushed(redisA, a.hub, w, 6);

    await expect(b.hub.ownerOf(w.streamId)).resolves.toEqual(owner);
    const fromA = await collect(a.hub.read(w.streamId));
    const all = await collect(b.hub.read(w.streamId));
    expect(all).toEqual(fromA);
    expect(all.map((e) => e.id)).toEqual([1, 2, 3, 4, 5]);
    expect(all[4]).toEqual({ id: 5, event: 'done', json: '{"i":5,"text":"é 5 \\"q\\""}' });
    expect((await collect(b.hub.read(w.streamId, 3))).map((e) => e.id)).toEqual([4, 5]);
    expect(await collect(b.hub.read(w.streamId, 99))).toEqual([]);
    expect([a.hub.size(), b.hub.size()]).toEqual([1, 0]);
    expect(b.hub.followedStreams()).toBe(0);
    // kept for the retention after the end, not for the running safety TTL
    for (const key of [`${prefix}${w.streamId}`, `${prefix}${w.streamId}:owner`]) {
      const ttl = await redisA.pttl(key);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
  });

  it('follows live events written after the remote reader started, and stops at the end', async () => {
    const { a, b } = pair();
    const w = a.hub.create(owner);
    w.emit('stream.started', { n: 1 });
    await flushed(redisA, a.hub, w, 1);
    const r = follow(b.hub, w.streamId);
    const mid = follow(b.hub, w.streamId, 1);
    await r.count(1);
    for (let i = 2; i <= 20; i++) {
      w.emit('delta', { i });
      if (i % 5 === 0) await new Promise((res) => setTimeout(res, 20));
    }
    w.emit('done', {});
    w.end();
    const got = await r.done;
    expect(got.map((e) => e.id)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(got.at(-1)?.event).toBe('done');
    expect((await mid.done).map((e) => e.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(b.hub.followedStreams()).toBe(0);
  });

  it('shares one blocking connection among every remote reader of this process', async () => {
    const { a, b } = pair();
    const writers = [a.hub.create(owner), a.hub.create(owner), a.hub.create(owner)];
    for (const w of writers) w.emit('stream.started', {});
    await Promise.all(writers.map((w) => flushed(redisA, a.hub, w, 1)));
    const readers = [0, 0, 1, 1, 2].map((i) => follow(b.hub, writers[i]!.streamId));
    await Promise.all(readers.map((r) => r.count(1)));
    await vi.waitFor(() => expect(b.hub.followedStreams()).toBe(3));
    await new Promise((r) => setTimeout(r, 50));
    const conns = await clientsNamed(`${prefix}b`);
    expect(conns).toHaveLength(1);
    expect(conns[0]).toMatch(/ cmd=xread /);
    expect(b.hub.followerConnections()).toBe(1);
    expect(await clientsNamed(`${prefix}a`)).toHaveLength(0);

    for (const [i, w] of writers.entries()) {
      for (let n = 0; n < 3 + i; n++) w.emit('delta', { n });
      w.end();
    }
    const got = await Promise.all(readers.map((r) => r.done));
    expect(got.map((events) => events.length)).toEqual([4, 4, 5, 5, 6]);
    expect(b.hub.followedStreams()).toBe(0);
    expect(b.hub.followerConnections()).toBe(1);
  });

  it('cuts the block short when a stream joins the loop', async () => {
    const { a, b } = pair({ blockMs: 1000 });
    const first = a.hub.create(owner);
    const second = a.hub.create(owner);
    first.emit('stream.started', {});
    second.emit('stream.started', {});
    await flushed(redisA, a.hub, second, 1);
    const r1 = follow(b.hub, first.streamId);
    await r1.count(1);
    await new Promise((r) => setTimeout(r, 150)); // the loop is now blocked on `first` alone
    const r2 = follow(b.hub, second.streamId);
    await r2.count(1);
    const t0 = performance.now();
    second.emit('delta', {});
    await r2.count(2);
    const latency = performance.now() - t0;
    console.info(`first live event of a stream that joined a blocked loop: ${latency.toFixed(1)} ms`);
    expect(latency).toBeLessThan(300);
    first.end();
    second.end();
    await Promise.all([r1.done, r2.done]);
  });

  it('removes an aborted reader from the loop, and the loop stops when nothing is followed', async () => {
    const { a, b } = pair({ blockMs: 200 });
    const w = a.hub.create(owner);
    w.emit('stream.started', {});
    await flushed(redisA, a.hub, w, 1);
    const ac = new AbortController();
    const r = follow(b.hub, w.streamId, 0, ac.signal);
    await r.count(1);
    await vi.waitFor(() => expect(b.hub.followedStreams()).toBe(1));
    ac.abort();
    expect((await r.done).map((e) => e.id)).toEqual([1]);
    expect(b.hub.followedStreams()).toBe(0);
    await vi.waitFor(async () => {
      const [conn] = await clientsNamed(`${prefix}b`);
      expect(conn).toMatch(/ flags=N /); // connected, no longer blocked
    });
    w.end();
  });

  it('reads an unknown or expired stream as nothing', async () => {
    const { a, b } = pair({ retentionMs: 50 });
    expect(await collect(b.hub.read(newId()))).toEqual([]);
    await expect(b.hub.ownerOf(newId())).resolves.toBeUndefined();
    await expect(b.hub.ownerOf('not-a-stream-id')).resolves.toBeUndefined();
    expect(await collect(b.hub.read('not-a-stream-id'))).toEqual([]);

    const w = a.hub.create(owner);
    w.emit('done', {});
    w.end();
    await flushed(redisA, a.hub, w, 2);
    await new Promise((r) => setTimeout(r, 150));
    await expect(b.hub.ownerOf(w.streamId)).resolves.toBeUndefined();
    expect(await collect(b.hub.read(w.streamId))).toEqual([]);
    expect(await redisA.exists(`${prefix}${w.streamId}`, `${prefix}${w.streamId}:owner`)).toBe(0);
    expect(b.hub.followedStreams()).toBe(0);
  });

  it('ends a remote reader when the stream of a dead producer expires', async () => {
    // safety TTL = maxGenerationMs + retentionMs: the producer never calls end()
    const { a, b } = pair({ retentionMs: 100, maxGenerationMs: 300, existsCheckMs: 100, blockMs: 100 });
    const w = a.hub.create(owner);
    w.emit('stream.started', {});
    await flushed(redisA, a.hub, w, 1);
    const ttl = await redisA.pttl(`${prefix}${w.streamId}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(400);
    const t0 = performance.now();
    const got = await collect(b.hub.read(w.streamId));
    expect(got.map((e) => e.id)).toEqual([1]);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(b.hub.followedStreams()).toBe(0);
  });

  it('keeps the order and the ids of 1,000 small events, replayed and followed', async () => {
    const { a, b } = pair();
    const w = a.hub.create(owner);
    w.emit('stream.started', {});
    await flushed(redisA, a.hub, w, 1);
    const live = follow(b.hub, w.streamId);
    await live.count(1);
    for (let i = 2; i <= 1000; i++) w.emit('delta', { d: `t${i}` });
    w.end();
    const fromA = await collect(a.hub.read(w.streamId));
    const t0 = performance.now();
    const followed = await live.done;
    const followMs = performance.now() - t0;
    const t1 = performance.now();
    const replayed = await collect(b.hub.read(w.streamId));
    const replayMs = performance.now() - t1;
    expect(followed).toEqual(fromA);
    expect(replayed).toEqual(fromA);
    expect(replayed.map((e) => e.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    console.info(
      `1,000 events across instances: replay ${replayMs.toFixed(1)} ms, follow tail ${followMs.toFixed(1)} ms`,
    );
  });

  it('gives readers that join at different moments every event exactly once', async () => {
    const { a, b } = pair({ batchSize: 16 });
    const w = a.hub.create(owner);
    w.emit('stream.started', {});
    await flushed(redisA, a.hub, w, 1);
    const readers = [follow(b.hub, w.streamId)];
    for (let i = 2; i <= 300; i++) {
      w.emit('delta', { i });
      if (i % 50 === 0) readers.push(follow(b.hub, w.streamId, i % 100 === 0 ? 0 : i - 20));
      // bursts, so that readers are both replaying and following while others join
      await new Promise((r) => (i % 10 === 0 ? setTimeout(r, 2) : setImmediate(r)));
    }
    w.end();
    const got = await Promise.all(readers.map((r) => r.done));
    got.forEach((events, n) => {
      const from = n === 0 ? 1 : (n * 50) % 100 === 0 ? 1 : n * 50 - 19;
      expect(events.map((e) => e.id)).toEqual(Array.from({ length: 301 - from }, (_, i) => i + from));
    });
    expect(b.hub.followerConnections()).toBe(1);
    expect(b.hub.followedStreams()).toBe(0);
  });

  it('fills the gap when a reader joins a stream the loop has already read past', async () => {
    const { a } = pair();
    // B's client runs a hook after one XRANGE, so the loop can move ahead of the joining reader
    const redisSlow = redisB.duplicate({ lazyConnect: true });
    await redisSlow.connect();
    let afterRange: (() => Promise<void>) | undefined;
    const call = redisSlow.call.bind(redisSlow) as (...args: (string | number)[]) => Promise<unknown>;
    Object.assign(redisSlow, {
      call: async (...args: (string | number)[]) => {
        const reply = await call(...args);
        const hook = args[0] === 'XRANGE' ? afterRange : undefined;
        if (hook) afterRange = undefined;
        await hook?.();
        return reply;
      },
    });
    const log = { warn: vi.fn() };
    logs.push(log);
    const b = new RedisStreamHub({
      redis: redisSlow,
      retentionMs: 60_000,
      maxGenerationMs: 60_000,
      log,
      keyPrefix: prefix,
      connectionName: `${prefix}b`,
    });
    hubs.push(b);
    try {
      const w = a.hub.create(owner);
      w.emit('stream.started', {});
      await flushed(redisA, a.hub, w, 1);
      const first = follow(b, w.streamId);
      await first.count(1);
      await vi.waitFor(() => expect(b.followedStreams()).toBe(1));
      afterRange = async () => {
        for (let i = 2; i <= 5; i++) w.emit('delta', { i });
        await first.count(5); // the loop has read 2..5 before the second reader joins it
      };
      const second = follow(b, w.streamId);
      await second.count(1);
      w.emit('delta', { i: 6 });
      await second.count(6);
      w.end();
      expect((await second.done).map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await first.done).map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      await b.close();
      redisSlow.disconnect();
    }
  });

  it('caps a long stream, and a remote reader replays what is left of it', async () => {
    const { a, b } = pair({ maxEvents: 10 });
    const w = a.hub.create(owner);
    for (let i = 1; i <= 1000; i++) w.emit('delta', { i });
    w.end();
    await flushed(redisA, a.hub, w, 1001);
    const len = await redisA.xlen(`${prefix}${w.streamId}`);
    expect(len).toBeLessThan(500);
    const ids = (await collect(b.hub.read(w.streamId))).map((e) => e.id);
    expect(ids).toEqual(Array.from({ length: len - 1 }, (_, i) => 1000 - len + 2 + i));
    expect(await collect(a.hub.read(w.streamId))).toHaveLength(1000);
  });

  it('keeps local readers working when Redis is unreachable, and warns once per stream', async () => {
    const down = new Redis('redis://127.0.0.1:1', { ...clientOptions, retryStrategy: () => null });
    const log = { warn: vi.fn() };
    const hub = new RedisStreamHub({ redis: down, retentionMs: 60_000, maxGenerationMs: 60_000, log });
    hubs.push(hub);
    const w = hub.create(owner);
    for (let i = 0; i < 10; i++) w.emit('delta', { i });
    w.end();
    expect((await collect(hub.read(w.streamId))).map((e) => e.id)).toHaveLength(10);
    await expect(hub.ownerOf(w.streamId)).resolves.toEqual(owner);
    await vi.waitFor(() => expect(log.warn).toHaveBeenCalledTimes(1));
    await expect(hub.ownerOf(newId())).resolves.toBeUndefined();
    expect(await collect(hub.read(newId()))).toEqual([]);
    down.disconnect();
  });
});
