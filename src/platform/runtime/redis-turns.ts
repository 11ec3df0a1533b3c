import type { Redis } from 'ioredis';

/**
 * One place in a conversation's cross-instance turn order. Taken when the request arrives;
 * `wait` resolves once every earlier place, on any instance, has finished or been given up.
 */
export interface TurnTicket {
  wait(): Promise<void>;
  /** After running: the next place is served. */
  finish(): void;
  /** Given up before its turn: it is skipped when reached. */
  release(): void;
}

export interface DistributedTurns {
  take(key: string): TurnTicket;
  close(): Promise<void>;
}

export interface RedisTurnsOptions {
  /** Key prefix (tests use their own). */
  prefix?: string;
  /** How long a served place may hold its turn without renewing (the holder renews every third). */
  leaseMs?: number;
  /** How long a place that has just been reached has to claim its turn before others skip it. */
  graceMs?: number;
  /** Polling bound while waiting (wake-ups normally come from pub/sub at once). */
  pollMs?: number;
  /** Idle keys of a conversation expire after this long. */
  ttlMs?: number;
  warn?: (obj: Record<string, unknown>, msg: string) => void;
}

/*
 * A ticket lock per conversation in Redis: `next` hands out numbers, `serving` names the number
 * whose turn it is, `released` holds numbers given up before their turn, `lease` shows that the
 * served number's process is alive (renewed while it runs; a short grace value when a number is
 * reached, so its process has time to claim). A waiter that finds `serving` below it with no
 * lease skips the dead holder. Every change of `serving` is published on the conversation's
 * channel; one subscriber connection per process wakes its local waiters.
 */
const TAKE = `
local n = redis.call('INCR', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SET', KEYS[2], n) end
if tonumber(redis.call('GET', KEYS[2])) == n then redis.call('SET', KEYS[4], 'grace', 'PX', ARGV[1]) end
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return n
`;

// ARGV: number, mode (finish | release | skip), graceMs, ttlMs
const ADVANCE = `
local s = tonumber(redis.call('GET', KEYS[2]) or '0')
local m = tonumber(ARGV[1])
if s ~= m then
  if ARGV[2] == 'release' and m > s then redis.call('SADD', KEYS[3], m) end
  return s
end
if ARGV[2] == 'skip' and redis.call('EXISTS', KEYS[4]) == 1 then return s end
s = s + 1
while redis.call('SREM', KEYS[3], s) == 1 do s = s + 1 end
redis.call('SET', KEYS[2], s)
if s <= tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[4], 'grace', 'PX', ARGV[3])
else
  redis.call('DEL', KEYS[4])
end
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
redis.call('PUBLISH', KEYS[5], s)
return s
`;

// ARGV: number, leaseMs → 1 when it is this number's turn (lease taken or renewed)
const CLAIM = `
if tonumber(redis.call('GET', KEYS[2]) or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[2])
return 1
`;

export class RedisTurns implements DistributedTurns {
  private readonly prefix: string;
  private readonly leaseMs: number;
  private readonly graceMs: number;
  private readonly pollMs: number;
  private readonly ttlMs: number;
  private readonly warn: NonNullable<RedisTurnsOptions['warn']>;
  private subscriber: Redis | undefined;
  /** Local waiters per channel, woken by the subscriber. */
  private readonly waiters = new Map<string, Set<() => void>>();
  private warned = false;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    opts: RedisTurnsOptions = {},
  ) {
    this.prefix = opts.prefix ?? 'papo:turn:';
    this.leaseMs = opts.leaseMs ?? 15_000;
    this.graceMs = opts.graceMs ?? 10_000;
    this.pollMs = opts.pollMs ?? 500;
    this.ttlMs = opts.ttlMs ?? 3_600_000;
    this.warn = opts.warn ?? (() => undefined);
  }

  take(key: string): TurnTicket {
    const k = this.keys(key);
    // sent now, so tickets of one process are numbered in the order requests reserved them
    const taken = this.redis
      .eval(TAKE, 4, k[0], k[1], k[2], k[3], this.graceMs, this.ttlMs)
      .then((r) => Number(r))
      .catch((err: unknown) => this.failOpen(err));
    // while this place is held, its process keeps the lease alive once the place is reached,
    // so a request still reading its body when its turn comes is not skipped as dead
    const keepAlive = setInterval(() => {
      void taken.then((n) => (n === undefined ? undefined : this.claim(k, n).catch(() => undefined)));
    }, this.leaseMs / 3);
    keepAlive.unref();
    let done = false;
    let replacement: TurnTicket | undefined;
    const advance = (mode: 'finish' | 'release') => {
      if (done) return;
      done = true;
      clearInterval(keepAlive);
      void taken.then((n) => (n === undefined ? undefined : this.advance(k, n, mode)));
    };
    return {
      wait: async () => {
        const n = await taken;
        if (n === undefined || this.closed || done) return;
        const turn = await this.waitTurn(key, k, n);
        if (turn === 'skipped') {
          // skipped as dead while this process stalled past the grace time: take a new place
          advance('release');
          replacement = this.take(key);
          await replacement.wait();
        }
      },
      finish: () => (replacement ? replacement.finish() : advance('finish')),
      release: () => (replacement ? replacement.release() : advance('release')),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.waiters.values()) for (const w of set) w();
    this.waiters.clear();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private keys(key: string): [string, string, string, string, string] {
    const p = `${this.prefix}${key}:`;
    return [`${p}next`, `${p}serving`, `${p}released`, `${p}lease`, `${p}ch`];
  }

  private async waitTurn(key: string, k: string[], n: number): Promise<'turn' | 'skipped'> {
    const channel = k[4]!;
    let wake: () => void = () => undefined;
    const waker = () => wake();
    let listening = false;
    try {
      for (;;) {
        if (this.closed) return 'turn';
        const claimed = await this.claim(k, n).catch((err: unknown) => {
          this.failOpen(err);
          return true;
        });
        if (claimed) return 'turn';
        const serving = Number(await this.redis.get(k[1]!).catch(() => NaN));
        if (serving > n) {
          this.warn({ key, ticket: n, serving }, 'conversation turn was skipped; taking a new place');
          return 'skipped';
        }
        const pinged = new Promise<'ping'>((resolve) => (wake = () => resolve('ping')));
        if (!listening) {
          listening = true;
          this.listen(channel, waker);
        }
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'poll'>(
          (resolve) => (timer = setTimeout(() => resolve('poll'), this.pollMs)),
        );
        const why = await Promise.race([pinged, timeout]);
        clearTimeout(timer);
        if (why === 'poll' && serving < n) {
          // nobody announced a change: skip a holder whose lease ran out (its process died)
          await this.advance(k, serving, 'skip');
        }
      }
    } finally {
      if (listening) this.unlisten(channel, waker);
    }
  }

  /** Local waiters share one subscription per channel on the process's one subscriber connection. */
  private listen(channel: string, waker: () => void): void {
    const set = this.waiters.get(channel);
    if (set) {
      set.add(waker);
      return;
    }
    this.waiters.set(channel, new Set([waker]));
    this.subscriberConnection()
      .subscribe(channel)
      .catch((err: unknown) => this.failOpen(err));
  }

  private unlisten(channel: string, waker: () => void): void {
    const set = this.waiters.get(channel);
    if (!set?.delete(waker) || set.size > 0) return;
    this.waiters.delete(channel);
    // sent after the subscribe on the same connection, so it always undoes it
    this.subscriber?.unsubscribe(channel).catch(() => undefined);
  }

  private claim(k: string[], n: number): Promise<boolean> {
    return this.redis.eval(CLAIM, 4, k[0]!, k[1]!, k[2]!, k[3]!, n, this.leaseMs).then((r) => r === 1);
  }

  private advance(k: string[], n: number, mode: 'finish' | 'release' | 'skip'): Promise<number | void> {
    return this.redis
      .eval(ADVANCE, 5, ...k, n, mode, this.graceMs, this.ttlMs)
      .then((r) => Number(r))
      .catch((err: unknown) => {
        this.failOpen(err);
      });
  }

  private subscriberConnection(): Redis {
    if (!this.subscriber) {
      this.subscriber = this.redis.duplicate({ enableOfflineQueue: true });
      this.subscriber.on('error', (err: unknown) => this.failOpen(err));
      this.subscriber.on('message', (ch: string) => {
        for (const w of this.waiters.get(ch) ?? []) w();
      });
    }
    return this.subscriber;
  }

  /** Redis unreachable: the turn order falls back to this process's own queue. */
  private failOpen(err: unknown): undefined {
    if (!this.warned) {
      this.warned = true;
      this.warn({ err }, 'Redis unavailable: conversation turns are ordered per instance only');
      setTimeout(() => (this.warned = false), 60_000).unref();
    }
    return undefined;
  }
}
