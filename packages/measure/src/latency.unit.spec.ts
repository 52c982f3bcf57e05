import { describe, expect, it } from 'vitest';
import { latencyStats } from './latency.ts';

describe('latencyStats', () => {
  it('takes nearest-rank percentiles of the samples, in any order', () => {
    const samples = Array.from({ length: 100 }, (_, index) => 100 - index); // 1..100 reversed
    expect(latencyStats(samples)).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
  });

  it('gives observed samples for small counts', () => {
    // Ranks: p50 -> ceil(2.5)=3rd, p90 -> ceil(4.5)=5th, p99 -> 5th.
    expect(latencyStats([40, 10, 30, 20, 1000])).toEqual({ count: 5, p50: 30, p90: 1000, p99: 1000, max: 1000, mean: 220 });
  });

  it('reports one sample as every figure', () => {
    expect(latencyStats([7])).toEqual({ count: 1, p50: 7, p90: 7, p99: 7, max: 7, mean: 7 });
  });

  it('reports zeros for no samples', () => {
    expect(latencyStats([])).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });

  it('sorts numerically, not as text', () => {
    expect(latencyStats([9, 100, 20]).p50).toBe(20);
  });
});
