import { describe, expect, it } from 'vitest';
import { EvictionRateLimiter } from './eviction-rate-limiter.ts';

describe('EvictionRateLimiter', () => {
  it('lets one through at once (burst 1), then one every 1/rate seconds', () => {
    const limiter = new EvictionRateLimiter(0.1);
    expect(limiter.tryTake(0)).toBe(true);
    expect(limiter.tryTake(0)).toBe(false);
    expect(limiter.tryTake(9_999)).toBe(false);
    expect(limiter.tryTake(10_000)).toBe(true);
    expect(limiter.nextTokenAt(10_000)).toBe(20_000);
  });

  it('adds up partial refills (ten checks a second apart make a token at 0.1/s)', () => {
    const limiter = new EvictionRateLimiter(0.1);
    limiter.tryTake(0);
    const granted: number[] = [];
    for (let t = 1_000; t <= 30_000; t += 1_000) if (limiter.tryTake(t)) granted.push(t);
    expect(granted).toEqual([10_000, 20_000, 30_000]);
  });

  it('does not save up more than the burst while idle', () => {
    const limiter = new EvictionRateLimiter(1, 1);
    expect(limiter.tryTake(0)).toBe(true);
    expect(limiter.tryTake(60_000)).toBe(true);
    expect(limiter.tryTake(60_000)).toBe(false);
  });

  it('never lets anything through at rate 0', () => {
    const limiter = new EvictionRateLimiter(0);
    expect(limiter.tryTake(0)).toBe(false);
    expect(limiter.tryTake(1e12)).toBe(false);
    expect(limiter.nextTokenAt(0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses a negative rate', () => {
    expect(() => new EvictionRateLimiter(-1)).toThrow(RangeError);
  });
});
