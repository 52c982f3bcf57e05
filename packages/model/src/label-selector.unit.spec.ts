import { describe, expect, it } from 'vitest';
import { LabelSelectorError, matchesLabelSelector, parseLabelSelector } from './label-selector.ts';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', env: 'prod' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web,tier=front', true],
    ['app!=web', false],
    ['env in (prod, staging)', true],
    ['env notin (prod)', false],
    ['tier', true],
    ['!gpu', true],
    ['!app', false],
    ['app=db', false],
  ])('%j selects: %s', (selector, expected) => {
    expect(matchesLabelSelector(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it('names the term it cannot parse', () => {
    expect(() => parseLabelSelector('app=web,=x')).toThrow(LabelSelectorError);
    expect(() => parseLabelSelector('app=web,=x')).toThrow('cannot parse "=x"');
  });
});
