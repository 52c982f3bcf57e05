import { describe, expect, it } from 'vitest';
import { parseWarningHeader } from './warnings.ts';

describe('parseWarningHeader', () => {
  it('returns nothing for a missing header', () => {
    expect(parseWarningHeader(null)).toEqual([]);
  });

  it('parses one warning', () => {
    expect(parseWarningHeader('299 - "spec.containers[0].imagePullPolicy: accepted but not acted on by Flotilla"')).toEqual([
      'spec.containers[0].imagePullPolicy: accepted but not acted on by Flotilla',
    ]);
  });

  it('splits warnings that fetch joined with ", " even when texts contain commas and escaped quotes', () => {
    const header = '299 - "a, b: \\"quoted\\"", 299 - "second", 299 flotilla "third" "Mon, 01 Jan 2024 00:00:00 GMT"';
    expect(parseWarningHeader(header)).toEqual(['a, b: "quoted"', 'second', 'third']);
  });

  it('ignores codes other than 299, as Kubernetes clients do', () => {
    expect(parseWarningHeader('199 - "misc", 299 - "kept"')).toEqual(['kept']);
  });

  it('keeps a malformed header whole instead of losing it', () => {
    expect(parseWarningHeader('something odd')).toEqual(['something odd']);
  });
});
