// The fold's side of preemption: PodNominated (the preemptor's nomination, Preempted Events on the
// victims), PodDeletionRequested with reason Preempted (DisruptionTarget), and how a nomination ends.
import { describe, expect, it } from 'vitest';
import type { ClusterState, PodRecord } from './cluster-state.ts';
import { PREEMPTED } from './fold.ts';
import { eventsFor } from './kube-events.ts';
import { nominatedPods } from './queries.ts';
import {
  given,
  nodeRegistered,
  podBound,
  podCreated,
  podDeleted,
  podDeletionRequested,
  podNominated,
  podSandboxReady,
  podSchedulingFailed,
  specTime,
} from './testing/index.ts';

function pod(state: ClusterState, name: string): PodRecord {
  const record = state.pods.get(`default/${name}`);
  if (!record) throw new Error(`no pod default/${name}`);
  return record;
}

/** node-1 (2 CPU) full with two low-priority pods; a high-priority pod waits. */
const fullNode = [
  nodeRegistered({ name: 'node-1', cpu: '2' }),
  podCreated({ name: 'low-a', cpu: '1', priorityClassName: 'low-priority' }),
  podBound({ name: 'low-a', nodeName: 'node-1' }),
  podSandboxReady({ name: 'low-a', nodeName: 'node-1' }),
  podCreated({ name: 'low-b', cpu: '1', priorityClassName: 'low-priority' }),
  podBound({ name: 'low-b', nodeName: 'node-1' }),
  podSandboxReady({ name: 'low-b', nodeName: 'node-1', podIP: '10.244.1.3' }),
  podCreated({ name: 'high', cpu: '1', priorityClassName: 'high-priority' }),
];

const preemptLowB = [
  podDeletionRequested({ name: 'low-b', gracePeriodSeconds: 30, reason: PREEMPTED, message: 'default-scheduler: preempting to accommodate a higher priority pod' }),
  podNominated({ name: 'high', nodeName: 'node-1', victims: ['low-b'], message: '0/1 nodes are available: 1 Insufficient cpu.' }),
];

describe('PodDeletionRequested with reason Preempted', () => {
  it('starts the graceful deletion and marks the victim DisruptionTarget=True, reason PreemptionByScheduler', () => {
    given(...fullNode)
      .when(preemptLowB[0]!)
      .then(({ state, record }) => {
        const victim = pod(state, 'low-b');
        expect(victim.deletion).toEqual({ seq: record.seq, gracePeriodSeconds: 30, requestedAt: specTime(record.seq) });
        expect(victim.pod.metadata.deletionTimestamp).toBe(new Date(Date.parse(specTime(record.seq)) + 30_000).toISOString());
        expect(victim.pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toEqual({
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'PreemptionByScheduler',
          message: 'default-scheduler: preempting to accommodate a higher priority pod',
          lastTransitionTime: specTime(record.seq),
        });
        // It still holds its share until its node has stopped it.
        expect(state.nodes.get('node-1')?.requested.cpu).toBe(2000);
      });
  });

  it('an eviction through the Eviction API (kubectl drain) marks DisruptionTarget=True, reason EvictionByEvictionAPI', () => {
    given(...fullNode)
      .when(podDeletionRequested({ name: 'low-a', gracePeriodSeconds: 30, reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' }))
      .then(({ state, record }) => {
        expect(pod(state, 'low-a').pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toEqual({
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'EvictionByEvictionAPI',
          message: 'Eviction API: evicting',
          lastTransitionTime: specTime(record.seq),
        });
      });
  });

  it('a user\'s delete adds no DisruptionTarget condition', () => {
    given(...fullNode)
      .when(podDeletionRequested({ name: 'low-b' }))
      .then(({ state }) => expect(pod(state, 'low-b').pod.status?.conditions?.some((c) => c.type === 'DisruptionTarget')).toBe(false));
  });

  it('marks a pod that was already terminating without changing its grace period', () => {
    given(...fullNode, podDeletionRequested({ name: 'low-b', gracePeriodSeconds: 10 }))
      .when(podDeletionRequested({ name: 'low-b', gracePeriodSeconds: 30, reason: PREEMPTED }))
      .then(({ state, before }) => {
        const victim = pod(state, 'low-b');
        expect(victim.deletion).toEqual(pod(before, 'low-b').deletion);
        expect(victim.pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
          status: 'True',
          reason: 'PreemptionByScheduler',
          message: 'default-scheduler: preempting to accommodate a higher priority pod',
        });
      });
  });
});

describe('PodNominated', () => {
  it('nominates the pending pod and records Preempted on each victim', () => {
    given(...fullNode, preemptLowB[0]!)
      .when(preemptLowB[1]!)
      .then(({ state, changes, record }) => {
        const high = pod(state, 'high');
        expect(high.pod.status?.nominatedNodeName).toBe('node-1');
        expect(high.pod.metadata.resourceVersion).toBe(String(record.seq));
        expect(high.schedulingAttempts).toBe(0); // the attempt is counted by its PodSchedulingFailed
        expect(nominatedPods(state).map(({ pod: p, nodeName }) => `${p.key}@${nodeName}`)).toEqual(['default/high@node-1']);
        const [preempted] = eventsFor(state, 'Pod', 'default', 'low-b').filter((e) => e.reason === 'Preempted');
        expect(preempted).toMatchObject({
          type: 'Normal',
          reason: 'Preempted',
          message: 'Preempted by pod uid-high on node node-1',
          involvedObject: { kind: 'Pod', namespace: 'default', name: 'low-b', uid: 'uid-low-b' },
          source: { component: 'default-scheduler' },
        });
        expect(changes.map((c) => `${c.kind} ${c.type} ${c.key}`)).toEqual(['Pod MODIFIED default/high', `Event ADDED default/low-b.${record.seq.toString(16)}`]);
      });
  });

  it('then PodSchedulingFailed of the same attempt keeps the nomination and counts the attempt', () => {
    given(...fullNode, ...preemptLowB)
      .when(podSchedulingFailed({ name: 'high', attempt: 1 }))
      .then(({ state }) => {
        const high = pod(state, 'high');
        expect(high.pod.status?.nominatedNodeName).toBe('node-1');
        expect(high.schedulingAttempts).toBe(1);
        expect(high.pod.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable' });
      });
  });

  it('a later PodSchedulingFailed that clears the nomination (nominatedNodeName \'\') removes it', () => {
    given(...fullNode, ...preemptLowB, podSchedulingFailed({ name: 'high', attempt: 1 }))
      .when(podSchedulingFailed({ name: 'high', attempt: 2, nominatedNodeName: '' }))
      .then(({ state }) => {
        expect(pod(state, 'high').pod.status).not.toHaveProperty('nominatedNodeName');
        expect(nominatedPods(state)).toEqual([]);
      });
  });

  it('a later PodNominated moves the nomination to another node', () => {
    given(...fullNode, nodeRegistered({ name: 'node-2', cpu: '1', podCIDR: '10.244.2.0/24' }), ...preemptLowB)
      .when(podNominated({ name: 'high', nodeName: 'node-2', attempt: 2 }))
      .then(({ state }) => expect(pod(state, 'high').pod.status?.nominatedNodeName).toBe('node-2'));
  });

  it('the binding ends the nomination', () => {
    given(...fullNode, ...preemptLowB, podDeleted({ name: 'low-b' }))
      .when(podBound({ name: 'high', nodeName: 'node-1', attempt: 2 }))
      .then(({ state }) => {
        const high = pod(state, 'high');
        expect(high.nodeName).toBe('node-1');
        expect(high.pod.status).not.toHaveProperty('nominatedNodeName');
        expect(nominatedPods(state)).toEqual([]);
        expect(state.nodes.get('node-1')?.requested.cpu).toBe(2000);
      });
  });

  it('deleting the nominated pod ends the nomination', () => {
    given(...fullNode, ...preemptLowB)
      .when(podDeleted({ name: 'high' }))
      .then(({ state }) => expect(nominatedPods(state)).toEqual([]));
  });

  it('does not nominate a pod that was bound meanwhile, but still records Preempted on the victim', () => {
    given(...fullNode, nodeRegistered({ name: 'node-2', cpu: '4', podCIDR: '10.244.2.0/24' }), podBound({ name: 'high', nodeName: 'node-2' }))
      .when(podNominated({ name: 'high', nodeName: 'node-1', victims: ['low-b'] }))
      .then(({ state }) => {
        expect(pod(state, 'high').pod.status).not.toHaveProperty('nominatedNodeName');
        expect(nominatedPods(state)).toEqual([]);
        expect(eventsFor(state, 'Pod', 'default', 'low-b').map((e) => e.reason)).toContain('Preempted');
      });
  });

  it('ignores a PodNominated for another uid, and victims that are gone or replaced', () => {
    given(...fullNode, podDeleted({ name: 'low-a' }))
      .when(podNominated({ name: 'high', uid: 'uid-other', victims: ['low-a', { name: 'low-b', uid: 'uid-older' }] }))
      .then(({ state, changes }) => {
        expect(pod(state, 'high').pod.status).not.toHaveProperty('nominatedNodeName');
        expect(changes).toEqual([]);
      });
  });
});
