import { describe, expect, it } from 'vitest';
import { formatLabelSelector } from './label-selector.ts';

describe('formatLabelSelector (metav1.FormatLabelSelector)', () => {
  it('prints matchLabels and matchExpressions sorted by key, values sorted', () => {
    expect(
      formatLabelSelector({
        matchLabels: { tier: 'web', app: 'shop' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['staging', 'prod'] },
          { key: 'zone', operator: 'NotIn', values: ['b'] },
          { key: 'gpu', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=shop,env in (prod,staging),gpu,!legacy,tier=web,zone notin (b)');
  });

  it('is empty for an empty or missing selector', () => {
    expect(formatLabelSelector({})).toBe('');
    expect(formatLabelSelector(undefined)).toBe('');
  });
});
