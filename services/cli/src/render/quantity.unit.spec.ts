import { describe, expect, it } from 'vitest';
import { formatAmount, formatDecimal, formatQuantity } from './quantity.ts';

describe('quantities for display', () => {
  it.each([
    ['cpu', '0.5', '500m'],
    ['cpu', '1000m', '1'],
    ['cpu', 2, '2'],
    ['memory', '1024Mi', '1Gi'],
    ['memory', '1.5Gi', '1536Mi'],
    ['memory', '1000000000', '1G'],
    ['memory', '1500', '1500'],
    ['pods', '110', '110'],
    ['memory', '1.5.5', '1.5.5'],
  ])('%s %s -> %s', (resource, input, expected) => {
    expect(formatQuantity(resource, input)).toBe(expected);
  });

  it('formats counted amounts', () => {
    expect(formatAmount('cpu', 0)).toBe('0');
    expect(formatAmount('cpu', 1500)).toBe('1500m');
    expect(formatAmount('memory', 64 * 2 ** 20)).toBe('64Mi');
    expect(formatAmount('memory', 1e9)).toBe('1G');
    expect(formatDecimal(3000)).toBe('3k');
  });
});
