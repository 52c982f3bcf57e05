import { describe, expect, it } from 'vitest';
import { cpuToMillis, formatBytes, formatMillis, parseQuantity, quantityToUnits } from './quantity.ts';

describe('Kubernetes quantities', () => {
  it.each([
    ['100m', 0.1],
    ['0.5', 0.5],
    ['1', 1],
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1e3', 1000],
    ['1k', 1000],
    ['1M', 1e6],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['.5', 0.5],
    ['2E-1', 0.2],
  ])('parses %s', (input, expected) => {
    expect(parseQuantity(input)).toBeCloseTo(expected, 9);
  });

  it.each(['1.5.5', '', 'abc', '1 Gi', '1gi', '1KiB', ' 1', '--1', '1e', 'Mi'])('rejects %j', (input) => {
    expect(parseQuantity(input)).toBeUndefined();
  });

  it('counts CPU in millicores, rounding up like Kubernetes', () => {
    expect(cpuToMillis('100m')).toBe(100);
    expect(cpuToMillis('0.5')).toBe(500);
    expect(cpuToMillis(2)).toBe(2000);
    expect(cpuToMillis('0.0001')).toBe(1);
    expect(cpuToMillis('1500u')).toBe(2);
  });

  it('counts memory in bytes', () => {
    expect(quantityToUnits('128Mi')).toBe(134_217_728);
    expect(quantityToUnits('1G')).toBe(1_000_000_000);
    expect(quantityToUnits('1500m')).toBe(2);
  });

  it('throws a named error for malformed input', () => {
    expect(() => cpuToMillis('1.5.5')).toThrow('invalid quantity "1.5.5"');
  });

  it('formats the way kubectl prints', () => {
    expect(formatMillis(1500)).toBe('1500m');
    expect(formatMillis(2000)).toBe('2');
    expect(formatBytes(134_217_728)).toBe('128Mi');
    expect(formatBytes(2 ** 30)).toBe('1Gi');
    expect(formatBytes(1000)).toBe('1000');
  });
});
