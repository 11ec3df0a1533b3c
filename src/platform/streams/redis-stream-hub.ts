import type { Redis } from 'ioredis';
import { isUuid } from '../ids.js';
import {
  endFields,
  eventFields,
  parseEntries,
  streamKeys,
  type StreamEntry,
} from './redis-stream-entries.js';
import { RedisStreamFollower, type Follow, type StreamLog } from './redis-stream-follower.js';
import {
  StreamHub,
  type StreamEvent,
  type StreamObserver,
  type StreamOwner,
  type StreamStore,
  type StreamWriter,
} from './stream-hub.js';

export type { StreamLog } from './redis-stream-follower.js';

export interface RedisStreamHubOptions {
  redis: Redis;
  /** How long a finished stream stays replayable (as StreamHub). */
  retentionMs: number;
  /** The longest a generation may run; with retentionMs, the TTL of a stream whose process died. */
  maxGenerationMs: number;
  log: StreamLog;
  keyPrefix?: string;
  /** Approximate cap on entries kept per stream (XADD MAXLEN ~). */
  maxEvents?: number;
  /** Longest XREAD block of the follower loop. */
  blockMs?: number;
  /** Entries per XRANGE / XREAD round trip. */
  batchSize?: number;
  /** Silence after which a followed stream is checked for expiry. */
  existsCheckMs?: number;
  /** Client name of the blocking connection (CLIENT LIST). */
  connectionName?: string;
}

/**
 * The replay buffer for several instances (ADR 0002, LESSONS.md): writers keep the in-process
 * record and copy every event to a Redis Stream without waiting; readers of a stream another
 * process runs replay it with XRANGE and follow it through the one shared XREAD loop.
 */
export class RedisStreamHub implements StreamStore {
  private readonly local: StreamHub;
  private readonly follower: RedisStreamFollower;
  private readonly redis: Redis;
  private readonly log: StreamLog;
  private readonly prefix: string;
  private readonly retentionMs: number;
  private readonly safetyTtlMs: number;
  private readonly maxEvents: number;
  private readonly batchSize: number;

  constructor(o: RedisStreamHubOptions) {
    this.redis = o.redis;
    this.log = o.log;
    this.prefix = o.keyPrefix ?? 'papo:stream:';
    this.retentionMs = o.retentionMs;
    this.safetyTtlMs = o.maxGenerationMs + o.retentionMs;
    this.maxEvents = o.maxEvents ?? 100_000;
    this.batchSize = o.batchSize ?? 500;
    this.local = new StreamHub(o.retentionMs);
    this.follower = new RedisStreamFollower({
      redis: o.redis,
      log: o.log,
      blockMs: Math.min(o.blockMs ?? 1000, 1000),
      batchSize: this.batchSize,
      existsCheckMs: o.existsCheckMs ?? 5000,
      idleLimitMs: this.safetyTtlMs,
      connectionName: o.connectionName ?? 'papo:stream-follower',
    });
  }

  create(owner: StreamOwner): StreamWriter {
    return this.local.create(owner, (streamId) => this.mirror(streamId, owner));
  }

  async ownerOf(streamId: string): Promise<StreamOwner | undefined> {
    const local = await this.local.ownerOf(streamId);
    if (local || !isUuid(streamId)) return local;
    try {
      const raw = await this.redis.get(streamKeys(this.prefix, streamId).owner);
      return raw ? (JSON.parse(raw) as StreamOwner) : undefined;
    } catch (err) {
      this.log.warn({ err, streamId }, 'reading a stream owner from Redis failed');
      return undefined;
    }
  }

  read(streamId: string, afterId = 0, signal?: AbortSignal): AsyncGenerator<StreamEvent> {
    if (this.local.has(streamId)) return this.local.read(streamId, afterId, signal);
    return this.readRemote(streamId, afterId, signal);
  }

  size(): number {
    return this.local.size();
  }

  /** Streams the blocking loop follows now (tests, metrics). */
  followedStreams(): number {
    return this.follower.followedKeys;
  }

  /** Blocking connections opened so far (tests, metrics). */
  followerConnections(): number {
    return this.follower.connectionsOpened;
  }

  /** Stops the follower loop and closes its connection; remote readers end. For shutdown. */
  async close(): Promise<void> {
    await this.follower.close();
  }

  /** Copies one stream to Redis: fire-and-forget, in order, logged once, never throws. */
  private mirror(streamId: string, owner: StreamOwner): StreamObserver {
    const keys = streamKeys(this.prefix, streamId);
    const cap = ['MAXLEN', '~', this.maxEvents];
    let failed = false;
    // until a PEXPIRE has succeeded an XADD may create the key (and one PEXPIRE is in flight);
    // afterwards NOMKSTREAM keeps a stream that outlived its safety TTL from coming back without one
    let ttl: 'none' | 'pending' | 'set' = 'none';
    const send = (args: (string | number)[]): Promise<unknown> => {
      const onError = (err: unknown) => {
        if (!failed) this.log.warn({ err, streamId }, 'copying a stream to Redis failed');
        failed = true;
      };
      try {
        return this.redis.call(String(args[0]), ...args.slice(1)).catch(onError);
      } catch (err) {
        onError(err);
        return Promise.resolve();
      }
    };
    const xadd = (fields: (string | number)[]) =>
      void send(['XADD', keys.events, ...(ttl === 'set' ? ['NOMKSTREAM'] : []), ...fields]);
    void send(['SET', keys.owner, JSON.stringify(owner), 'PX', this.safetyTtlMs]);
    return {
      event: (ev) => {
        xadd([...cap, ...eventFields(ev)]);
        if (ttl !== 'none') return;
        ttl = 'pending';
        void send(['PEXPIRE', keys.events, this.safetyTtlMs]).then((r) => {
          ttl = r === 1 ? 'set' : 'none';
        });
      },
      end: (lastId) => {
        xadd(endFields(lastId));
        void send(['PEXPIRE', keys.events, this.retentionMs]);
        void send(['PEXPIRE', keys.owner, this.retentionMs]);
      },
    };
  }

  private async *readRemote(
    streamId: string,
    afterId: number,
    signal?: AbortSignal,
  ): AsyncGenerator<StreamEvent> {
    if (!isUuid(streamId) || signal?.aborted) return;
    const key = streamKeys(this.prefix, streamId).events;
    const tip = (await this.range(['XREVRANGE', key, '+', '-', 'COUNT', 1], streamId))?.[0];
    if (!tip) return; // unknown, expired, or Redis unreachable
    // a Last-Event-ID past the tip still has to see the end marker, as StreamHub does
    const floor = Math.max(0, afterId);
    let seen = Math.min(floor, tip.id - 1);

    for (;;) {
      const batch = await this.range(
        ['XRANGE', key, `0-${seen + 1}`, '+', 'COUNT', this.batchSize],
        streamId,
      );
      if (!batch) return;
      for (const e of batch) {
        if (e.end || signal?.aborted) return;
        seen = e.id;
        if (e.id > floor) yield e.event;
      }
      if (batch.length < this.batchSize) break;
    }

    const follow: Follow = { seen, queue: [] };
    this.follower.follow(key, follow);
    const onAbort = () => follow.wake?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal?.aborted) {
        const head = follow.queue[0];
        if (!head) {
          if (follow.stopped) return;
          await new Promise<void>((resolve) => (follow.wake = resolve));
          follow.wake = undefined;
          continue;
        }
        if (!head.end && head.id <= seen) {
          follow.queue.shift();
          continue;
        }
        if (head.id > seen + 1) {
          // the loop was ahead of this reader (it joined a followed stream): fetch the gap
          const range = ['XRANGE', key, `0-${seen + 1}`, `0-${head.id - 1}`, 'COUNT', this.batchSize];
          const gap = await this.range(range, streamId);
          if (!gap) return;
          for (const e of gap) {
            if (e.end || signal?.aborted) return;
            seen = follow.seen = e.id;
            if (e.id > floor) yield e.event;
          }
          if (gap.length === this.batchSize) continue;
          // anything still missing was trimmed (MAXLEN) or never written: go on after it
        }
        follow.queue.shift();
        if (head.end) return;
        seen = follow.seen = head.id;
        if (head.id > floor) yield head.event;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.follower.unfollow(key, follow);
    }
  }

  private async range(args: (string | number)[], streamId: string): Promise<StreamEntry[] | undefined> {
    try {
      return parseEntries(await this.redis.call(String(args[0]), ...args.slice(1)));
    } catch (err) {
      this.log.warn({ err, streamId }, 'reading a stream from Redis failed');
      return undefined;
    }
  }
}
