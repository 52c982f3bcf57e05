import { describe, expect, it } from 'vitest';
import { applyEvent } from './fold.ts';
import { kubeEvent } from './kube-events.ts';
import { holdsResources, orphanedPods, pendingPods, podsOnNode } from './queries.ts';
import {
  containerStarted,
  containerTerminated,
  given,
  nodeRegistered,
  nodeRemoved,
  podBound,
  podCreated,
  podDeleted,
  podSandboxReady,
  toRecord,
} from './testing/index.ts';

const keys = (records: Array<{ key: string }>) => records.map((r) => r.key);

describe('queries', () => {
  const log = [
    nodeRegistered({ name: 'node-1' }),
    nodeRegistered({ name: 'node-2' }),
    podCreated({ name: 'a' }),
    podCreated({ name: 'b' }),
    podCreated({ name: 'c', restartPolicy: 'Never' }),
    podCreated({ name: 'd' }),
    podBound({ name: 'c', nodeName: 'node-1' }),
    podBound({ name: 'a', nodeName: 'node-2' }),
    podSandboxReady({ name: 'c', nodeName: 'node-1' }),
    containerStarted({ name: 'c', nodeName: 'node-1' }),
    containerTerminated({ name: 'c', nodeName: 'node-1', exitCode: 0 }),
  ];

  it('pendingPods: not bound, not deleting, not terminal, in the order they became pending', () => {
    const state = given(...log).state();
    expect(keys(pendingPods(state))).toEqual(['default/b', 'default/d']);
  });

  it('podsOnNode: every pod bound there, including terminal ones that no longer hold resources', () => {
    const state = given(...log).state();
    const onNode1 = podsOnNode(state, 'node-1');
    expect(keys(onNode1)).toEqual(['default/c']);
    expect(onNode1[0]?.pod.status?.phase).toBe('Succeeded');
    expect(holdsResources(onNode1[0]!)).toBe(false);
    expect(keys(podsOnNode(state, 'node-2'))).toEqual(['default/a']);
    expect(podsOnNode(state, 'nowhere')).toEqual([]);
  });

  it('orphanedPods: pods bound to a node that was removed', () => {
    const state = given(...log, nodeRemoved({ name: 'node-2' })).state();
    expect(keys(orphanedPods(state))).toEqual(['default/a']);
    applyEvent(state, toRecord(podDeleted({ name: 'a' }), state.seq + 1));
    expect(orphanedPods(state)).toEqual([]);
  });

  it('work on a state restored with structuredClone (the index is rebuilt from the pods)', () => {
    const restored = structuredClone(given(...log).state());
    expect(keys(pendingPods(restored))).toEqual(['default/b', 'default/d']);
    expect(keys(podsOnNode(restored, 'node-2'))).toEqual(['default/a']);
    applyEvent(restored, toRecord(podBound({ name: 'b', nodeName: 'node-2' }), restored.seq + 1));
    expect(keys(pendingPods(restored))).toEqual(['default/d']);
    expect(keys(podsOnNode(restored, 'node-2'))).toEqual(['default/a', 'default/b']);
  });
});

describe('kubeEvent naming', () => {
  it('is deterministic from the sequence, unique per Event of one domain event', () => {
    const input = { involvedObject: { kind: 'Pod' as const, namespace: 'ns', name: 'web', uid: 'u' }, reason: 'R', message: 'M', type: 'Normal' as const, source: { component: 'c' } };
    expect(kubeEvent(input, 255, 'T').metadata).toEqual({ name: 'web.ff', namespace: 'ns', uid: 'ev-255', resourceVersion: '255', creationTimestamp: 'T' });
    expect(kubeEvent(input, 255, 'T', 1).metadata).toMatchObject({ name: 'web.ff-1', uid: 'ev-255-1' });
    const nodeEvent = kubeEvent({ ...input, involvedObject: { kind: 'Node', name: 'node-1', uid: 'n' } }, 16, 'T');
    expect(nodeEvent.metadata).toMatchObject({ name: 'node-1.10', namespace: 'default' });
  });
});
