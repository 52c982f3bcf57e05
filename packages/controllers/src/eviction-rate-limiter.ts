/** Partial refills add up in floating point: 10 x 0.1 must still make a token. */
const EPSILON = 1e-9;

/**
 * A token bucket, as Kubernetes' node lifecycle controller paces evictions
 * (flowcontrol.NewTokenBucketRateLimiter(evictionLimiterQPS, 1)): `ratePerSecond` tokens a second up to
 * `burst`, full at first. Pure state: time is an argument, so it is deterministic under test. A rate of
 * 0 never lets anything through (Kubernetes' "never" limiter).
 */
export class EvictionRateLimiter {
  private tokens: number;
  private last: number | undefined;

  constructor(
    readonly ratePerSecond: number,
    readonly burst = 1,
  ) {
    if (!(ratePerSecond >= 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`eviction rate must be a finite number >= 0, got ${ratePerSecond}`);
    if (!(burst >= 1)) throw new RangeError(`eviction burst must be >= 1, got ${burst}`);
    this.tokens = burst;
  }

  /** Takes one token if there is one at `now` (ms). */
  tryTake(now: number): boolean {
    if (this.ratePerSecond === 0) return false;
    this.refill(now);
    if (this.tokens < 1 - EPSILON) return false;
    this.tokens = Math.max(0, this.tokens - 1);
    return true;
  }

  /** When the next token is there (ms), for a caller that wants to wake up then; `now` if one is. */
  nextTokenAt(now: number): number {
    if (this.ratePerSecond === 0) return Number.POSITIVE_INFINITY;
    this.refill(now);
    return this.tokens >= 1 - EPSILON ? now : now + ((1 - this.tokens) * 1000) / this.ratePerSecond;
  }

  private refill(now: number): void {
    if (this.last !== undefined && now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    }
    // A clock that steps back does not refill twice.
    this.last = Math.max(this.last ?? now, now);
  }
}
