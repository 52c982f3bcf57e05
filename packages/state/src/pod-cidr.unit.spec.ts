import { describe, expect, it } from 'vitest';
import { given, nodeRegistered } from './testing/index.ts';
import { PodCidrAllocator, indexOfPodCidr, podCidrForIndex } from './pod-cidr.ts';

describe('pod CIDR allocation in the fold', () => {
  it('gives each node that brings none the lowest free /24 from 10.244.0.0/16 onwards', () => {
    const allocator = new PodCidrAllocator();
    allocator.reserve('own', '10.244.1.0/24');
    expect(allocator.allocate('a')).toBe('10.244.0.0/24');
    expect(allocator.allocate('b')).toBe('10.244.2.0/24');
    expect(allocator.allocate('a')).toBe('10.244.0.0/24');
    expect(podCidrForIndex(256)).toBe('10.245.0.0/24');
    expect(podCidrForIndex(12 * 256)).toBe('10.0.0.0/24');
    for (const index of [0, 1, 255, 256, 3071, 3072, 65535]) expect(indexOfPodCidr(podCidrForIndex(index))).toBe(index);
  });

  it('assigns ranges as nodes register, keeps them across re-registration', () => {
    given(nodeRegistered({ name: 'node-1', podCIDR: null }), nodeRegistered({ name: 'node-2', podCIDR: null }))
      .when(nodeRegistered({ name: 'node-1', podCIDR: null }))
      .then(({ state }) => {
        expect(state.nodes.get('node-1')?.node.spec.podCIDR).toBe('10.244.0.0/24');
        expect(state.nodes.get('node-2')?.node.spec.podCIDR).toBe('10.244.1.0/24');
        expect(state.nodes.get('node-2')?.node.spec.podCIDRs).toEqual(['10.244.1.0/24']);
      });
  });
});
