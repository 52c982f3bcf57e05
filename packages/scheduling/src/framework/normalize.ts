import type { NodeScore } from './types.ts';

/**
 * kube-scheduler's helper.DefaultNormalizeScore: scales scores so the highest becomes maxPriority
 * (integer division, as int64), optionally reversed so the lowest raw score wins. When every score
 * is 0 the result is 0 for all, or maxPriority for all when reversed.
 */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: NodeScore[]): void {
  let maxCount = 0;
  for (const entry of scores) if (entry.score > maxCount) maxCount = entry.score;
  if (maxCount === 0) {
    if (reverse) for (const entry of scores) entry.score = maxPriority;
    return;
  }
  for (const entry of scores) {
    let score = Math.trunc((maxPriority * entry.score) / maxCount);
    if (reverse) score = maxPriority - score;
    entry.score = score;
  }
}
