import { describe, expect, it } from 'vitest';
import { formatRfc1123z, humanDuration, since } from './duration.ts';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration (apimachinery duration.HumanDuration)', () => {
  it.each([
    [-2 * s, '<invalid>'],
    [-1 * s, '0s'],
    [0, '0s'],
    [1 * s, '1s'],
    [70 * s, '70s'],
    [119 * s, '119s'],
    [120 * s, '2m'],
    [190 * s, '3m10s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [70 * m, '70m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 1 * m, '3h1m'],
    [8 * h + 30 * m, '8h'],
    [47 * h, '47h'],
    [49 * h, '2d1h'],
    [7 * d + 23 * h, '7d23h'],
    [8 * d + 2 * h, '8d'],
    [367 * d, '367d'],
    [2 * 365 * d + 25 * h, '2y1d'],
    [8 * 365 * d + 2 * h, '8y'],
  ])('%i ms -> %s', (ms, expected) => {
    expect(humanDuration(ms)).toBe(expected);
  });

  it('says <unknown> for a missing time', () => {
    expect(since(undefined, new Date())).toBe('<unknown>');
    expect(since('not a date', new Date())).toBe('<unknown>');
  });
});

describe('formatRfc1123z', () => {
  it('formats like Go time.RFC1123Z in UTC', () => {
    expect(formatRfc1123z('2024-02-29T07:05:09Z')).toBe('Thu, 29 Feb 2024 07:05:09 +0000');
  });
});
