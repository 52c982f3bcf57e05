import { describe, expect, it } from 'vitest';
import { runPaced, TokenBucket, type Clock } from './pacing.ts';

/** Virtual time: sleep advances the clock at once (after letting other tasks run). */
function virtualClock(): Clock & { time: number } {
  const clock = {
    time: 0,
    now: () => clock.time,
    sleep: async (ms: number) => {
      await Promise.resolve();
      clock.time += ms;
    },
  };
  return clock;
}

describe('TokenBucket', () => {
  it('hands out `rate` tokens per second', async () => {
    const clock = virtualClock();
    const bucket = new TokenBucket(100, clock);
    const starts: number[] = [];
    for (let i = 0; i < 301; i++) {
      await bucket.take();
      starts.push(clock.time);
    }
    // 301 tokens at 100/s: the first is free, the other 300 take three seconds.
    expect(starts[0]).toBe(0);
    expect(starts[300]).toBeGreaterThanOrEqual(3000);
    expect(starts[300]).toBeLessThanOrEqual(3010);
    expect(starts.filter((t) => t < 1000).length).toBeLessThanOrEqual(101);
  });

  it('never waits at rate 0', async () => {
    const clock = virtualClock();
    const bucket = new TokenBucket(0, clock);
    for (let i = 0; i < 1000; i++) await bucket.take();
    expect(clock.time).toBe(0);
  });

  it('bursts at most a second of tokens after idling', async () => {
    const clock = virtualClock();
    const bucket = new TokenBucket(10, clock);
    await bucket.take();
    clock.time += 60_000;
    for (let i = 0; i < 10; i++) await bucket.take();
    expect(clock.time).toBe(60_000);
    await bucket.take();
    expect(clock.time).toBeGreaterThan(60_000);
  });
});

describe('runPaced', () => {
  it('runs every index once with at most `concurrency` in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await runPaced(50, { concurrency: 4 }, async (i) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      seen.push(i);
      inFlight -= 1;
    });
    expect(peak).toBe(4);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('paces the starts with the bucket', async () => {
    const clock = virtualClock();
    const starts: number[] = [];
    await runPaced(21, { concurrency: 8, bucket: new TokenBucket(10, clock) }, async () => {
      starts.push(clock.time);
    });
    expect(starts).toHaveLength(21);
    expect(Math.max(...starts)).toBeGreaterThanOrEqual(2000);
  });

  it('runs the rest when a task fails, then throws the first failure', async () => {
    const done: number[] = [];
    await expect(
      runPaced(10, { concurrency: 3 }, async (i) => {
        if (i === 2) throw new Error('boom');
        done.push(i);
      }),
    ).rejects.toThrow('boom');
    expect(done).toHaveLength(9);
  });

  it('stops starting tasks once aborted', async () => {
    const controller = new AbortController();
    let started = 0;
    await runPaced(100, { concurrency: 2, signal: controller.signal }, async () => {
      started += 1;
      if (started === 5) controller.abort();
      await Promise.resolve();
    });
    expect(started).toBeLessThan(10);
  });
});
