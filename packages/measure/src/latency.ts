/** Latency figures in milliseconds. */
export interface LatencyStats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * Nearest-rank percentiles (the p-th percentile is the smallest sample with at least p% of the samples
 * at or below it), so every figure is a sample that was actually observed. No samples: all zero.
 */
export function latencyStats(samplesMs: readonly number[]): LatencyStats {
  const count = samplesMs.length;
  if (count === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  // A typed array sorts numerically and fast, which matters at 50k samples.
  const sorted = Float64Array.from(samplesMs).sort();
  let sum = 0;
  for (const sample of sorted) sum += sample;
  return {
    count,
    p50: nearestRank(sorted, 50),
    p90: nearestRank(sorted, 90),
    p99: nearestRank(sorted, 99),
    max: sorted[count - 1] as number,
    mean: sum / count,
  };
}

/** The nearest-rank percentile of ascending `sorted` (non-empty). */
export function nearestRank(sorted: ArrayLike<number>, percentile: number): number {
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}
