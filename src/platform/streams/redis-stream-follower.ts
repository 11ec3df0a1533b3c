import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseXread, type StreamEntry } from './redis-stream-entries.js';

export interface StreamLog {
  warn(obj: object, msg: string): void;
}

/** Why the loop stopped feeding a reader before its end marker. */
export type FollowStop = 'gone' | 'idle' | 'failed' | 'closed';

/** One remote reader's mailbox: the loop appends entries, the reader drains them in order. */
export interface Follow {
  /** Highest id the reader has handed on; the loop reads each key after its slowest reader. */
  seen: number;
  queue: StreamEntry[];
  stopped?: FollowStop;
  wake?: () => void;
}

interface FollowedKey {
  follows: Set<Follow>;
  /** Highest id the loop has read for this key. */
  after: number;
  lastEntryAt: number;
}

export interface FollowerOptions {
  /** The main connection: duplicated once for the blocking reads, and sends CLIENT UNBLOCK. */
  redis: Redis;
  log: StreamLog;
  blockMs: number;
  batchSize: number;
  /** How long a followed key may stay silent before the loop checks that it still exists. */
  existsCheckMs: number;
  /** Silence after which a stream is given up (its producer died and the key outlived it). */
  idleLimitMs: number;
  connectionName: string;
}

/**
 * The one blocking reader per process (LESSONS.md): a single duplicated connection runs
 * `XREAD BLOCK … STREAMS k1 … kn id1 … idn` over every stream that has remote readers, hands
 * entries to them, drops a key when its last reader leaves and stops when none is left.
 */
export class RedisStreamFollower {
  private readonly keys = new Map<string, FollowedKey>();
  private conn: Redis | undefined;
  private connId: string | undefined;
  private running: Promise<void> | undefined;
  /** Token of the XREAD in flight, so a new key can cut its block short. */
  private blocked: object | undefined;
  private kicked: object | undefined;
  private lastSweepAt = Date.now();
  private closed = false;
  /** Blocking connections opened so far (tests). */
  connectionsOpened = 0;

  constructor(private readonly o: FollowerOptions) {}

  get followedKeys(): number {
    return this.keys.size;
  }

  follow(key: string, follow: Follow): void {
    if (this.closed) {
      stop(follow, 'closed');
      return;
    }
    let k = this.keys.get(key);
    if (!k) {
      k = { follows: new Set(), after: follow.seen, lastEntryAt: Date.now() };
      this.keys.set(key, k);
      if (this.blocked) this.kick(this.blocked);
    }
    k.follows.add(follow);
    this.running ??= this.run();
  }

  unfollow(key: string, follow: Follow): void {
    const k = this.keys.get(key);
    if (!k?.follows.delete(follow)) return;
    if (k.follows.size === 0) this.keys.delete(key);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopAll('closed');
    this.dropConnection();
    await this.running;
  }

  private async run(): Promise<void> {
    try {
      while (this.keys.size > 0 && !this.closed) {
        const conn = await this.connect();
        const keys = [...this.keys.keys()];
        if (keys.length === 0) break; // the last reader left while connecting
        const ids = keys.map((key) => `0-${this.readAfter(this.keys.get(key)!)}`);
        const token = {};
        this.blocked = token;
        let reply: unknown;
        try {
          reply = await conn.call(
            'XREAD',
            'COUNT',
            this.o.batchSize,
            'BLOCK',
            this.o.blockMs,
            'STREAMS',
            ...keys,
            ...ids,
          );
        } finally {
          this.blocked = undefined;
        }
        this.deliver(parseXread(reply));
        if (Date.now() - this.lastSweepAt >= this.o.existsCheckMs) await this.sweep(conn);
      }
    } catch (err) {
      if (!this.closed)
        this.o.log.warn({ err }, 'following streams in Redis failed; their remote readers stop');
      this.dropConnection();
      this.stopAll('failed');
    } finally {
      this.running = undefined;
    }
  }

  private readAfter(k: FollowedKey): number {
    let slowest = Infinity;
    for (const f of k.follows) slowest = Math.min(slowest, f.seen);
    return Math.max(k.after, slowest === Infinity ? 0 : slowest);
  }

  private deliver(byKey: Map<string, StreamEntry[]>): void {
    const now = Date.now();
    for (const [key, entries] of byKey) {
      const k = this.keys.get(key);
      const last = entries.at(-1);
      if (!k || !last) continue;
      k.after = Math.max(k.after, last.id);
      k.lastEntryAt = now;
      for (const f of k.follows) {
        const tail = f.queue.at(-1)?.id ?? f.seen;
        for (const e of entries) if (e.id > tail || e.end) f.queue.push(e);
        f.wake?.();
      }
      // past the end marker there is nothing left to read; the readers drain their queues
      if (last.end) this.keys.delete(key);
    }
  }

  /** Ends readers of keys that expired (producer died) or stayed silent past the idle limit. */
  private async sweep(conn: Redis): Promise<void> {
    const now = Date.now();
    this.lastSweepAt = now;
    const quiet = [...this.keys].filter(([, k]) => now - k.lastEntryAt >= this.o.existsCheckMs);
    if (quiet.length === 0) return;
    const exists = await Promise.all(quiet.map(([key]) => conn.exists(key)));
    quiet.forEach(([key, k], i) => {
      if (exists[i] === 0) this.stopKey(key, 'gone');
      else if (now - k.lastEntryAt >= this.o.idleLimitMs) this.stopKey(key, 'idle');
    });
  }

  private async connect(): Promise<Redis> {
    if (this.conn && this.conn.status === 'ready' && this.connId) return this.conn;
    this.dropConnection();
    const conn = this.o.redis.duplicate({
      lazyConnect: true,
      connectionName: this.o.connectionName,
      enableOfflineQueue: false,
      // a lost connection ends the loop and its readers; the next reader opens a new one
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      commandTimeout: this.o.blockMs + (this.o.redis.options.commandTimeout ?? 2000),
    });
    conn.on('error', () => {}); // reported through the failing command instead
    this.conn = conn;
    this.connectionsOpened++;
    await conn.connect();
    this.connId = String(await conn.client('ID'));
    if (this.closed) throw new Error('closed');
    return conn;
  }

  private dropConnection(): void {
    this.conn?.disconnect();
    this.conn = undefined;
    this.connId = undefined;
  }

  /** Unblocks the XREAD in flight so a newly followed key joins at once, not after the block. */
  private kick(token: object): void {
    const id = this.connId;
    if (this.kicked === token || !id) return;
    this.kicked = token;
    void (async () => {
      // the UNBLOCK may reach Redis before the XREAD it aims at: retry briefly, then wait it out
      for (let delay = 1; delay <= 16 && this.blocked === token; delay *= 2) {
        const n = await this.o.redis.call('CLIENT', 'UNBLOCK', id).catch(() => -1);
        if (n !== 0) return;
        await sleep(delay);
      }
    })();
  }

  private stopKey(key: string, why: FollowStop): void {
    for (const f of this.keys.get(key)?.follows ?? []) stop(f, why);
    this.keys.delete(key);
  }

  private stopAll(why: FollowStop): void {
    for (const key of [...this.keys.keys()]) this.stopKey(key, why);
  }
}

function stop(f: Follow, why: FollowStop): void {
  f.stopped = why;
  f.wake?.();
}
