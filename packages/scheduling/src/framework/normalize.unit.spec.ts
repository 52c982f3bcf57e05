import { describe, expect, it } from 'vitest';
import { defaultNormalizeScore } from './normalize.ts';

const run = (values: number[], reverse: boolean): number[] => {
  const scores = values.map((score, i) => ({ name: `n${i}`, score }));
  defaultNormalizeScore(100, reverse, scores);
  return scores.map((s) => s.score);
};

describe('defaultNormalizeScore', () => {
  it('scales the highest to 100 with integer division', () => {
    expect(run([1, 2, 3], false)).toEqual([33, 66, 100]);
  });

  it('reverses so that the lowest wins', () => {
    expect(run([1, 2, 3], true)).toEqual([67, 34, 0]);
  });

  it('all zero: 0 for all, or 100 for all when reversed', () => {
    expect(run([0, 0], false)).toEqual([0, 0]);
    expect(run([0, 0], true)).toEqual([100, 100]);
  });
});
