import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { AppError } from '../errors.js';

export interface RateDecision {
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

const WINDOW_S = 60;

/**
 * Fixed 60-second windows per subject (README §4), in memory or, with Redis, shared by every
 * instance. One limiter per distinct limit value, since keys may override the default.
 */
export class RateLimits {
  private readonly limiters = new Map<number, RateLimiterAbstract>();

  constructor(private readonly redis?: Redis) {}

  private limiterFor(limit: number): RateLimiterAbstract {
    let l = this.limiters.get(limit);
    if (!l) {
      l = this.redis
        ? new RateLimiterRedis({
            storeClient: this.redis,
            points: limit,
            duration: WINDOW_S,
            keyPrefix: `papo:rl:${limit}`,
          })
        : new RateLimiterMemory({ points: limit, duration: WINDOW_S, keyPrefix: `rl:${limit}` });
      this.limiters.set(limit, l);
    }
    return l;
  }

  /** Counts one request for `subject`; throws 429 rate_limited when over the limit. */
  async hit(subject: string, limit: number): Promise<RateDecision> {
    try {
      const res = await this.limiterFor(limit).consume(subject, 1);
      return { limit, remaining: res.remainingPoints, resetSeconds: Math.ceil(res.msBeforeNext / 1000) };
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const retry = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw new AppError(
        'rate_limited',
        `Rate limit of ${limit} requests per ${WINDOW_S} s reached; retry in ${retry} s.`,
        { limit, window_s: WINDOW_S, retry_after_s: retry },
        {
          'Retry-After': String(retry),
          'RateLimit-Limit': String(limit),
          'RateLimit-Remaining': '0',
          'RateLimit-Reset': String(retry),
        },
      );
    }
  }
}

/** The most restrictive of several decisions: the one with the fewest requests left. */
export function mostRestrictive(a: RateDecision | undefined, b: RateDecision): RateDecision {
  if (!a) return b;
  return b.remaining < a.remaining || (b.remaining === a.remaining && b.resetSeconds > a.resetSeconds)
    ? b
    : a;
}
