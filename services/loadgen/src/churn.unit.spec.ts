import { setImmediate as yieldToIo } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { churnRates, churnTimeline, runTimeline, type ChurnStep } from './churn.ts';
import type { Clock } from './pacing.ts';
import { parseWorkload } from './workload.ts';

/**
 * Virtual time with real timers' semantics: sleepers wake in order of their deadlines, and time only
 * moves (to the next deadline) once every task has run as far as it can.
 */
class ManualClock implements Clock {
  time = 0;
  private sleepers: Array<{ at: number; wake: () => void }> = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.sleepers.push({ at: this.time + Math.max(0, ms), wake }));
  }

  /** Drives time until `work` settles. */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    // Handled here too: a failure waits for the next turn of the loop to be returned.
    watched.catch(() => undefined);
    for (;;) {
      await yieldToIo();
      if (settled) return watched;
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers.shift();
      if (!next) throw new Error('nothing left to wake, but the work did not settle');
      this.time = Math.max(this.time, next.at);
      next.wake();
    }
  }
}

describe('churnTimeline', () => {
  it('spaces each action evenly at its rate over the duration', () => {
    const steps = churnTimeline({ createPod: 2, deletePod: 0.5 }, 4000);
    expect(steps.filter((s) => s.action === 'createPod').map((s) => s.atMs)).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000, 3500]);
    expect(steps.filter((s) => s.action === 'deletePod').map((s) => s.atMs)).toEqual([0, 2000]);
    expect(steps.filter((s) => s.action === 'createPod').map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('orders steps by time, removals before additions at the same time', () => {
    const steps = churnTimeline({ addNode: 1, removeNode: 1, createPod: 1, deletePod: 1 }, 2000);
    expect(steps.map((s) => `${s.atMs}:${s.action}`)).toEqual([
      '0:deletePod',
      '0:removeNode',
      '0:createPod',
      '0:addNode',
      '1000:deletePod',
      '1000:removeNode',
      '1000:createPod',
      '1000:addNode',
    ]);
  });

  it('plans nothing for a zero rate and takes the rates from a workload churn', () => {
    expect(churnTimeline({ createPod: 0 }, 10_000)).toEqual([]);
    const w = parseWorkload({
      name: 'w',
      cluster: { nodes: 2 },
      phases: [{ name: 'p', pods: { count: 0, namePrefix: 'p', template: { spec: { containers: [{ name: 'c', image: 'i' }] } } }, churn: { durationSeconds: 10, nodes: { addRate: 3 } } }],
    });
    const rates = churnRates(w.phases[0]!.churn!);
    expect(rates).toEqual({ addNode: 3, removeNode: 0 });
    expect(churnTimeline(rates, 10_000)).toHaveLength(30);
  });
});

describe('runTimeline', () => {
  it('starts each step when it is due, without waiting for the earlier ones to finish', async () => {
    const clock = new ManualClock();
    const steps = churnTimeline({ createPod: 10 }, 1000);
    const starts: number[] = [];
    const ends: number[] = [];
    const result = await clock.run(
      runTimeline(steps, { clock, concurrency: 100 }, async () => {
        starts.push(clock.now());
        await clock.sleep(250); // each step takes longer than the spacing
        ends.push(clock.now());
      }),
    );
    expect(starts).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(ends.at(-1)).toBe(1150);
    expect(result).toEqual({ started: 10, lateness: { maxMs: 0, meanMs: 0 }, durationMs: 1150 });
  });

  it('keeps at most `concurrency` steps in flight and reports how late that made them', async () => {
    const clock = new ManualClock();
    const steps = churnTimeline({ deletePod: 10 }, 1000);
    let inFlight = 0;
    let peak = 0;
    const starts: number[] = [];
    const result = await clock.run(
      runTimeline(steps, { clock, concurrency: 2 }, async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        starts.push(clock.now());
        await clock.sleep(400);
        inFlight--;
      }),
    );
    expect(peak).toBe(2);
    // Two at a time, 400 ms each: steps start at 0, 100, then as slots free up.
    expect(starts).toEqual([0, 100, 400, 500, 800, 900, 1200, 1300, 1600, 1700]);
    expect(result.lateness.maxMs).toBe(1700 - 900);
    expect(result.lateness.meanMs).toBeCloseTo((0 + 0 + 200 + 200 + 400 + 400 + 600 + 600 + 800 + 800) / 10, 10);
  });

  it('runs every step even when some fail, then throws the first failure', async () => {
    const clock = new ManualClock();
    const ran: ChurnStep[] = [];
    const work = runTimeline(churnTimeline({ createPod: 4 }, 1000), { clock, concurrency: 4 }, async (step) => {
      ran.push(step);
      if (step.index === 1) throw new Error('step 1 failed');
      if (step.index === 2) throw new Error('step 2 failed');
    });
    await expect(clock.run(work)).rejects.toThrow('step 1 failed');
    expect(ran.map((s) => s.index)).toEqual([0, 1, 2, 3]);
  });

  it('stops starting steps once aborted', async () => {
    const clock = new ManualClock();
    const abort = new AbortController();
    const started: number[] = [];
    const result = await clock.run(
      runTimeline(churnTimeline({ addNode: 10 }, 1000), { clock, concurrency: 10, signal: abort.signal }, async (step) => {
        started.push(step.index);
        if (step.index === 3) abort.abort();
      }),
    );
    expect(started).toEqual([0, 1, 2, 3]);
    expect(result.started).toBe(4);
  });
});
