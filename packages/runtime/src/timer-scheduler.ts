// Every delay the runtimes (and the node agent) wait goes through a TimerScheduler, so tests can use
// tiny timings on real timers, or a ManualScheduler that moves time by hand.

export interface TimerScheduler {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `delayMs`; returns a function that cancels it (harmless after it ran). */
  schedule(delayMs: number, fn: () => void): () => void;
}

export const realTimers: TimerScheduler = {
  now: () => Date.now(),
  schedule(delayMs, fn) {
    const timer = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  },
};

export class SleepAbortedError extends Error {
  constructor(options?: ErrorOptions) {
    super('sleep aborted', options);
    this.name = 'AbortError';
  }
}

/** Resolves after `delayMs` on `scheduler`; rejects with an AbortError as soon as `signal` aborts. */
export function sleep(scheduler: TimerScheduler, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new SleepAbortedError({ cause: signal.reason }));
      return;
    }
    const onAbort = (): void => {
      cancel();
      reject(new SleepAbortedError({ cause: signal?.reason }));
    };
    const cancel = scheduler.schedule(delayMs, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

interface ManualTimer {
  at: number;
  order: number;
  fn: () => void;
}

/**
 * Virtual time for tests: nothing runs until `advance()`. Timers fire in time order (then in the order
 * they were scheduled), and promise callbacks settle between two timers, as on a real event loop.
 */
export class ManualScheduler implements TimerScheduler {
  private current: number;
  private order = 0;
  private timers: ManualTimer[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  schedule(delayMs: number, fn: () => void): () => void {
    const timer: ManualTimer = { at: this.current + Math.max(0, delayMs), order: this.order++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due (including ones scheduled meanwhile). */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    await settle();
    for (;;) {
      const next = this.nextDue(until);
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.at;
      next.fn();
      await settle();
    }
    this.current = until;
    await settle();
  }

  private nextDue(until: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers) {
      if (t.at > until) continue;
      if (best === undefined || t.at < best.at || (t.at === best.at && t.order < best.order)) best = t;
    }
    return best;
  }
}

/** Lets pending promise callbacks run (several macrotask turns, so chains of awaits settle too). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
