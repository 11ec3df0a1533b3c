import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { mostRestrictive, RateLimits } from './rate-limit.js';

const redis = new Redis('redis://127.0.0.1:6379', {
  lazyConnect: true,
  maxRetriesPerRequest: 1,
  commandTimeout: 2000,
});
afterAll(() => redis.disconnect());

async function exhaust(limits: RateLimits, subject: string, limit: number) {
  const decisions = [];
  for (let i = 0; i < limit; i++) decisions.push(await limits.hit(subject, limit));
  return decisions;
}

describe('RateLimits', () => {
  it('counts a fixed window per subject and answers 429 with Retry-After past the limit', async () => {
    const limits = new RateLimits();
    const d = await exhaust(limits, 'key:a', 3);
    expect(d.map((x) => x.remaining)).toEqual([2, 1, 0]);
    expect(d[0]!.resetSeconds).toBeGreaterThan(0);
    expect(d[0]!.resetSeconds).toBeLessThanOrEqual(60);
    const err = await limits.hit('key:a', 3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    expect(e.code).toBe('rate_limited');
    expect(e.context).toMatchObject({ limit: 3, window_s: 60 });
    expect(Number(e.headers['Retry-After'])).toBeGreaterThan(0);
    // other subjects are unaffected
    expect((await limits.hit('key:b', 3)).remaining).toBe(2);
  });

  it('shares counters between instances through Redis', async () => {
    await redis.connect();
    const subject = `key:shared-${Date.now()}`;
    const a = new RateLimits(redis);
    const b = new RateLimits(redis);
    await a.hit(subject, 2);
    expect((await b.hit(subject, 2)).remaining).toBe(0);
    await expect(a.hit(subject, 2)).rejects.toMatchObject({ code: 'rate_limited' });
  });

  it('picks the decision with the fewest requests left', () => {
    const wide = { limit: 600, remaining: 500, resetSeconds: 30 };
    const tight = { limit: 5, remaining: 1, resetSeconds: 50 };
    expect(mostRestrictive(wide, tight)).toBe(tight);
    expect(mostRestrictive(tight, wide)).toBe(tight);
    expect(mostRestrictive(undefined, wide)).toBe(wide);
  });
});
