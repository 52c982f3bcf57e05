import { describe, expect, it } from 'vitest';
import { givenFieldDifferences } from './spec-compare.ts';

const stored = {
  containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: { requests: { cpu: '1' } } }],
  restartPolicy: 'Always',
  schedulerName: 'default-scheduler',
  priority: 0,
};

describe('givenFieldDifferences', () => {
  it('ignores fields the server defaulted and the manifest left out', () => {
    const given = { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }], resources: { requests: { cpu: 1 } } }] };
    expect(givenFieldDifferences(given, stored, 'spec')).toEqual([]);
  });

  it('names each differing field with its path', () => {
    const given = { containers: [{ name: 'c', image: 'nginx:2' }], restartPolicy: 'Never' };
    expect(givenFieldDifferences(given, stored, 'spec')).toEqual([
      { path: 'spec.containers[0].image', given: 'nginx:2', stored: 'nginx' },
      { path: 'spec.restartPolicy', given: 'Never', stored: 'Always' },
    ]);
  });

  it('treats a different number of list items as a difference, and empty given values as unset', () => {
    expect(givenFieldDifferences({ containers: [{ name: 'c' }, { name: 'd' }] }, stored, 'spec')).toHaveLength(1);
    expect(givenFieldDifferences({ volumes: [], nodeSelector: {} }, stored, 'spec')).toEqual([]);
    expect(givenFieldDifferences({ nodeSelector: { zone: 'a' } }, stored, 'spec')).toEqual([{ path: 'spec.nodeSelector', given: { zone: 'a' }, stored: undefined }]);
  });
});
