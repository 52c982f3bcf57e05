import { describe, expect, it } from 'vitest';
import { clusterState, podRecord } from '../test-support/fixtures.ts';
import { AssumedPods } from './assumed-pods.ts';

const Mi = 1024 * 1024;

describe('AssumedPods', () => {
  it('sums the requests and host ports of the pods assumed onto each node', () => {
    const assumed = new AssumedPods();
    assumed.assume(podRecord({ name: 'a', cpu: '1', hostPorts: [80] }), 'n1');
    assumed.assume(podRecord({ name: 'b', cpu: '500m', memory: '1Gi', hostPorts: [80, 443] }), 'n1');
    assumed.assume(podRecord({ name: 'c', cpu: '2' }), 'n2');
    const n1 = assumed.onNode('n1')!;
    expect(n1.requested).toEqual({ cpu: 1500, memory: 1024 * Mi, pods: 2 });
    expect(n1.nonZeroRequested).toEqual({ cpu: 1500, memory: 1224 * Mi });
    expect([...n1.hostPorts]).toEqual([['TCP/80', 2], ['TCP/443', 1]]);
    expect([...n1.pods.keys()]).toEqual(['default/a', 'default/b']);
    expect(assumed.onNode('n2')!.requested).toEqual({ cpu: 2000, pods: 1 });
    expect(assumed.size).toBe(3);
  });

  it('forget subtracts one pod and keeps a port another pod still holds', () => {
    const assumed = new AssumedPods();
    assumed.assume(podRecord({ name: 'a', cpu: '1', hostPorts: [80] }), 'n1');
    assumed.assume(podRecord({ name: 'b', cpu: '500m', hostPorts: [80] }), 'n1');
    expect(assumed.forget('default/a')).toBe(true);
    expect(assumed.forget('default/a')).toBe(false);
    expect(assumed.onNode('n1')!.requested).toEqual({ cpu: 500, pods: 1 });
    expect([...assumed.onNode('n1')!.hostPorts.keys()]).toEqual(['TCP/80']);
    assumed.forget('default/b');
    expect(assumed.onNode('n1')).toBeUndefined();
  });

  it('assuming a pod again moves it', () => {
    const assumed = new AssumedPods();
    const pod = podRecord({ name: 'a', cpu: '1' });
    assumed.assume(pod, 'n1');
    assumed.assume(pod, 'n2');
    expect(assumed.onNode('n1')).toBeUndefined();
    expect(assumed.get('default/a')!.nodeName).toBe('n2');
  });

  describe('reconcile', () => {
    it('forgets pods the fold bound, released, deleted or replaced, and keeps pending ones', () => {
      const state = clusterState(
        [{ name: 'n1' }],
        [{ name: 'pending' }, { name: 'bound', boundTo: 'n1' }, { name: 'released' }, { name: 'replaced' }],
      );
      const assumed = new AssumedPods();
      for (const name of ['pending', 'bound', 'released', 'replaced', 'deleted']) assumed.assume(podRecord({ name }), 'n1');
      state.pods.set('default/released', { ...state.pods.get('default/released')!, released: true });
      state.pods.set('default/replaced', podRecord({ name: 'replaced', uid: 'another-uid' }));
      expect(assumed.reconcile(state).sort()).toEqual(['default/bound', 'default/deleted', 'default/released', 'default/replaced']);
      expect([...assumed.values()].map((p) => p.key)).toEqual(['default/pending']);
    });

    it('forgets a pod whose binding the fold rejected after it was assumed, not before', () => {
      const state = clusterState([{ name: 'n1' }], [{ name: 'a', resourceVersion: 5 }]);
      const assumed = new AssumedPods();
      assumed.assume(state.pods.get('default/a')!, 'n1');
      const rejection = { seq: 4, nodeName: 'n1', reason: 'InsufficientResources', message: 'Insufficient cpu' };
      state.pods.set('default/a', { ...state.pods.get('default/a')!, lastBindingRejection: rejection });
      expect(assumed.reconcile(state)).toEqual([]);
      state.pods.set('default/a', { ...state.pods.get('default/a')!, lastBindingRejection: { ...rejection, seq: 7 } });
      expect(assumed.reconcile(state)).toEqual(['default/a']);
    });
  });
});
