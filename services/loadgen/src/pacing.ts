// Pacing for pod creation: a token bucket for the rate and a pool bounding requests in flight.
// Time comes in through a Clock so specs can run it on virtual time.

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Hands out `rate` tokens per second with a burst of at most `burst` (default: one second's worth,
 * at least 1). A rate of 0 never waits.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly burst: number;

  constructor(
    readonly rate: number,
    private readonly clock: Clock = realClock,
    burst?: number,
  ) {
    this.burst = burst ?? Math.max(1, rate);
    // Starts with a single token: the first second is paced like every other, not a burst.
    this.tokens = Math.min(1, this.burst);
    this.last = clock.now();
  }

  /** Resolves when a token is available, and takes it. Calls must not overlap (the pool serialises them). */
  async take(): Promise<void> {
    if (this.rate <= 0) return;
    for (;;) {
      const now = this.clock.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep(Math.ceil(((1 - this.tokens) * 1000) / this.rate));
    }
  }
}

/**
 * Runs task(0..count-1) with at most `concurrency` in flight, each start paced by `bucket`.
 * Every task runs even when some reject; the first rejection is thrown once all settle.
 */
export async function runPaced(
  count: number,
  options: { concurrency: number; bucket?: TokenBucket; signal?: AbortSignal },
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  // One gate: workers take tokens in turn, so the bucket sees no overlapping take() calls.
  let gate: Promise<void> = Promise.resolve();
  const claim = async (): Promise<number | undefined> => {
    const turn = gate.then(async () => {
      if (next >= count || options.signal?.aborted) return undefined;
      await options.bucket?.take();
      return next++;
    });
    gate = turn.then(() => undefined, () => undefined);
    return turn;
  };
  const worker = async (): Promise<void> => {
    for (;;) {
      const index = await claim();
      if (index === undefined) return;
      try {
        await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, count)) }, worker));
  if (failure) throw failure.error;
}
