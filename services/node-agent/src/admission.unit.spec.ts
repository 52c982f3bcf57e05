import { describe, expect, it } from 'vitest';
import { nodeRegistered, podBound, podCreated } from '@flotilla/state/testing';
import { given } from '@flotilla/state/testing';
import { admitPod } from './admission.ts';

describe('admission', () => {
  it('admits a pod the fold bound (it is already counted in the node’s requested)', () => {
    const state = given(nodeRegistered({ cpu: '4' }), podCreated({ cpu: '4' }), podBound()).state();
    expect(admitPod(state.nodes.get('node-1'), state.pods.get('default/pod-1')!)).toEqual({ admitted: true });
  });

  it('rejects with OutOf<resource> and the kubelet message when allocatable shrank below what the pods hold', () => {
    const state = given(
      nodeRegistered({ cpu: '4', memory: '8Gi' }),
      podCreated({ name: 'a', cpu: '3800m' }),
      podBound({ name: 'a' }),
      podCreated({ name: 'b', cpu: '100m', memory: '1Gi' }),
      podBound({ name: 'b' }),
      nodeRegistered({ cpu: '3800m', memory: '8Gi' }),
    ).state();
    expect(admitPod(state.nodes.get('node-1'), state.pods.get('default/b')!)).toEqual({
      admitted: false,
      reason: 'OutOfcpu',
      message: "Node didn't have enough resource: cpu, requested: 100, used: 3800, capacity: 3800",
    });
  });

  it('checks the pod count first, as the kubelet does', () => {
    const state = given(
      nodeRegistered({ pods: '2' }),
      podCreated({ name: 'a' }),
      podBound({ name: 'a' }),
      podCreated({ name: 'b' }),
      podBound({ name: 'b' }),
      nodeRegistered({ pods: '1' }),
    ).state();
    expect(admitPod(state.nodes.get('node-1'), state.pods.get('default/b')!)).toMatchObject({
      admitted: false,
      reason: 'OutOfpods',
      message: "Node didn't have enough resource: pods, requested: 1, used: 1, capacity: 1",
    });
  });
});
