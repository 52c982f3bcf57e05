import { describe, expect, it } from 'vitest';
import type { ClusterState, NodeRecord, PodRecord } from './cluster-state.ts';
import { eventsFor } from './kube-events.ts';
import { podsOnNode } from './queries.ts';
import {
  containerStarted,
  containerTerminated,
  given,
  nodeEvictionTaintAdded,
  nodeMarkedReachable,
  nodeMarkedUnreachable,
  nodeRegistered,
  nodeUpdated,
  ownedPodCreated,
  podBound,
  podCreated,
  podDeleted,
  podDeletionRequested,
  podEvicted,
  podSandboxReady,
  podSandboxRemoved,
  replicaSetCreated,
  specTime,
} from './testing/index.ts';

function pod(state: ClusterState, name = 'pod-1'): PodRecord {
  const record = state.pods.get(`default/${name}`);
  if (!record) throw new Error(`no pod default/${name}`);
  return record;
}

function node(state: ClusterState, name = 'node-1'): NodeRecord {
  const record = state.nodes.get(name);
  if (!record) throw new Error(`no node ${name}`);
  return record;
}

const readyCondition = (state: ClusterState, name = 'node-1') => node(state, name).node.status.conditions?.find((c) => c.type === 'Ready');
const podReady = (state: ClusterState, name = 'pod-1') => pod(state, name).pod.status?.conditions?.find((c) => c.type === 'Ready');
const taints = (state: ClusterState, name = 'node-1') => (node(state, name).node.spec.taints ?? []).map((t) => `${t.key}:${t.effect}@${t.timeAdded ?? ''}`);

const nodeReady = { type: 'Ready', status: 'True' as const, reason: 'KubeletReady', message: 'kubelet is posting ready status' };
/** node-1 (Ready) running pod-1 (ready, IP 10.244.1.2) with 1 cpu. */
const runningPod = [
  nodeRegistered({ cpu: '4' }),
  nodeUpdated({ taints: [{ key: 'dedicated', value: 'web', effect: 'PreferNoSchedule' }] }),
  podCreated({ cpu: '1' }),
  podBound(),
  podSandboxReady({ podIP: '10.244.1.2' }),
  containerStarted(),
];
const withReadyNode = (events: Parameters<typeof given>) => {
  // Node agents register with a Ready condition; the builder's node has none, so give it one.
  const [first, ...rest] = events;
  if (first && 'type' in first && first.type === 'NodeRegistered') {
    const registered = { ...first, data: { node: { ...first.data.node, status: { ...first.data.node.status, conditions: [{ ...nodeReady, lastTransitionTime: specTime(0) }] } } } };
    return [registered, ...rest];
  }
  return events;
};
const cluster = withReadyNode(runningPod);

describe('NodeMarkedUnreachable', () => {
  it('makes the node Ready=Unknown (NodeStatusUnknown) and taints it unreachable:NoSchedule from now', () => {
    given(...cluster)
      .when(nodeMarkedUnreachable({ leaseRenewTime: '2025-12-31T23:59:00.000Z' }))
      .then(({ state, record }) => {
        expect(readyCondition(state)).toEqual({
          type: 'Ready',
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
          lastTransitionTime: record.event.time,
        });
        expect(taints(state)).toEqual(['dedicated:PreferNoSchedule@', `node.kubernetes.io/unreachable:NoSchedule@${record.event.time}`]);
        expect(node(state).unreachable).toEqual({ since: record.event.time, leaseRenewTime: '2025-12-31T23:59:00.000Z', message: 'Kubelet stopped posting node status.' });
        expect(node(state).node.metadata.resourceVersion).toBe(String(record.seq));
        expect(eventsFor(state, 'Node', undefined, 'node-1').map((e) => `${e.type} ${e.reason}: ${e.message}`)).toContain('Normal NodeNotReady: Node node-1 status is now: NodeNotReady');
      });
  });

  it('marks the node\'s ready pods not ready (MarkPodsNotReady), with the NodeNotReady Warning on each', () => {
    given(...cluster)
      .when(nodeMarkedUnreachable())
      .then(({ state, before, changes, record }) => {
        expect(podReady(before)?.status).toBe('True');
        expect(podReady(state)).toEqual({ type: 'Ready', status: 'False', lastTransitionTime: record.event.time });
        // The containers themselves are not known to have stopped.
        expect(pod(state).pod.status?.conditions?.find((c) => c.type === 'ContainersReady')?.status).toBe('True');
        expect(pod(state).pod.status?.phase).toBe('Running');
        expect(changes.map((c) => `${c.kind} ${c.type} ${c.key}`)).toEqual(
          expect.arrayContaining(['Node MODIFIED node-1', 'Pod MODIFIED default/pod-1']),
        );
        expect(eventsFor(state, 'Pod', 'default', 'pod-1').at(-1)).toMatchObject({ reason: 'NodeNotReady', message: 'Node is not ready', type: 'Warning' });
      });
  });

  it('keeps pods not ready while unreachable, even if a container reports ready meanwhile', () => {
    given(...cluster, nodeMarkedUnreachable(), containerTerminated({ exitCode: 1 }))
      .when(containerStarted({ restartCount: 1 }))
      .then(({ state }) => expect(podReady(state)?.status).toBe('False'));
  });

  it('ignores an unknown node, and a node that is unreachable already', () => {
    given(...cluster)
      .when(nodeMarkedUnreachable({ name: 'node-9' }))
      .then(({ changes, state }) => {
        expect(changes).toEqual([]);
        expect(state.nodes.has('node-9')).toBe(false);
      });
    given(...cluster, nodeMarkedUnreachable())
      .when(nodeMarkedUnreachable())
      .then(({ changes }) => expect(changes).toEqual([]));
  });

  it('keeps the node unreachable when its agent registers again, or its taints are updated (cordon, taint)', () => {
    const [registration] = cluster;
    if (!registration || !('type' in registration)) throw new Error('no registration');
    given(...cluster, nodeMarkedUnreachable())
      .when(registration)
      .then(({ state }) => {
        expect(readyCondition(state)?.status).toBe('Unknown');
        expect(taints(state)).toEqual([`node.kubernetes.io/unreachable:NoSchedule@${specTime(7)}`]);
      });
    given(...cluster, nodeMarkedUnreachable(), nodeEvictionTaintAdded())
      .when(nodeUpdated({ taints: [], unschedulable: true }))
      .then(({ state }) => {
        expect(node(state).node.spec.unschedulable).toBe(true);
        expect(taints(state)).toEqual([`node.kubernetes.io/unreachable:NoSchedule@${specTime(7)}`, `node.kubernetes.io/unreachable:NoExecute@${specTime(8)}`]);
      });
  });
});

describe('NodeEvictionTaintAdded', () => {
  it('adds unreachable:NoExecute with timeAdded = the event time', () => {
    given(...cluster, nodeMarkedUnreachable())
      .when(nodeEvictionTaintAdded())
      .then(({ state, record }) => {
        expect(taints(state)).toEqual([
          'dedicated:PreferNoSchedule@',
          `node.kubernetes.io/unreachable:NoSchedule@${specTime(7)}`,
          `node.kubernetes.io/unreachable:NoExecute@${record.event.time}`,
        ]);
        expect(node(state).unreachable?.evictionTaintAddedAt).toBe(record.event.time);
      });
  });

  it('is a no-op for a reachable node, one that has the taint already, an unknown node, or another lapse of the lease', () => {
    given(...cluster)
      .when(nodeEvictionTaintAdded())
      .then(({ changes }) => expect(changes).toEqual([]));
    given(...cluster, nodeMarkedUnreachable(), nodeMarkedReachable())
      .when(nodeEvictionTaintAdded())
      .then(({ changes }) => expect(changes).toEqual([]));
    given(...cluster, nodeMarkedUnreachable(), nodeEvictionTaintAdded())
      .when(nodeEvictionTaintAdded())
      .then(({ changes }) => expect(changes).toEqual([]));
    given(...cluster)
      .when(nodeEvictionTaintAdded({ name: 'node-9' }))
      .then(({ changes }) => expect(changes).toEqual([]));
    given(...cluster, nodeMarkedUnreachable({ leaseRenewTime: '2026-01-01T00:10:00.000Z' }))
      .when(nodeEvictionTaintAdded({ leaseRenewTime: '2026-01-01T00:05:00.000Z' }))
      .then(({ changes }) => expect(changes).toEqual([]));
  });
});

describe('NodeMarkedReachable', () => {
  it('makes the node Ready=True again and removes both unreachable taints, keeping the others', () => {
    given(...cluster, nodeMarkedUnreachable(), nodeEvictionTaintAdded())
      .when(nodeMarkedReachable())
      .then(({ state, record }) => {
        expect(readyCondition(state)).toMatchObject({ ...nodeReady, lastTransitionTime: record.event.time });
        expect(taints(state)).toEqual(['dedicated:PreferNoSchedule@']);
        expect(node(state).unreachable).toBeUndefined();
        expect(eventsFor(state, 'Node', undefined, 'node-1').at(-1)).toMatchObject({ reason: 'NodeReady', message: 'Node node-1 status is now: NodeReady' });
      });
  });

  it('cancels the eviction: no taint left, pods bound and ready as their containers say', () => {
    given(...cluster, nodeMarkedUnreachable(), nodeEvictionTaintAdded())
      .when(nodeMarkedReachable())
      .then(({ state, record }) => {
        expect(node(state).node.spec.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable')).toBe(false);
        expect(podReady(state)).toEqual({ type: 'Ready', status: 'True', lastTransitionTime: record.event.time });
        expect(pod(state).nodeName).toBe('node-1');
        expect(node(state).requested).toMatchObject({ cpu: 1000, pods: 1 });
      });
  });

  it('is a no-op for a node that is not unreachable, an unknown node, and a renewal no newer than the lapse', () => {
    given(...cluster)
      .when(nodeMarkedReachable())
      .then(({ changes }) => expect(changes).toEqual([]));
    given(...cluster)
      .when(nodeMarkedReachable({ name: 'node-9' }))
      .then(({ changes }) => expect(changes).toEqual([]));
    given(...cluster, nodeMarkedUnreachable({ leaseRenewTime: '2026-01-01T00:00:05.000Z' }))
      .when(nodeMarkedReachable({ leaseRenewTime: '2026-01-01T00:00:05.000Z' }))
      .then(({ changes }) => expect(changes).toEqual([]));
  });
});

describe('PodEvicted', () => {
  const evictable = [...cluster, nodeMarkedUnreachable(), nodeEvictionTaintAdded()];

  it('ends the pod Failed (NodeLost) with the DisruptionTarget condition, and a TaintManagerEviction Event', () => {
    given(...evictable)
      .when(podEvicted({ message: 'Node node-1 which was running pod pod-1 is unresponsive' }))
      .then(({ state, record }) => {
        const status = pod(state).pod.status;
        expect(status).toMatchObject({ phase: 'Failed', reason: 'NodeLost', message: 'Node node-1 which was running pod pod-1 is unresponsive' });
        expect(status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toEqual({
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'DeletionByTaintManager',
          message: 'Taint manager: deleting due to NoExecute taint',
          lastTransitionTime: record.event.time,
        });
        expect(pod(state).evicted).toEqual({ reason: 'NodeLost', message: 'Node node-1 which was running pod pod-1 is unresponsive', at: record.event.time });
        expect(eventsFor(state, 'Pod', 'default', 'pod-1').at(-1)).toMatchObject({
          reason: 'TaintManagerEviction',
          message: 'Marking for deletion Pod default/pod-1',
          type: 'Normal',
          source: { component: 'taint-eviction-controller' },
        });
      });
  });

  it('frees the node\'s resources and the pod IP (the pod stays bound to the name until deleted)', () => {
    given(...evictable)
      .when(podEvicted())
      .then(({ state, before }) => {
        expect(node(before).requested).toMatchObject({ cpu: 1000, pods: 1 });
        expect(node(state).requested).toEqual({});
        expect(node(state).podKeys.size).toBe(0);
        expect(node(state).podIPs.size).toBe(0);
        expect(pod(state).released).toBe(true);
        expect(podsOnNode(state, 'node-1').map((p) => p.key)).toEqual(['default/pod-1']);
      });
  });

  it('fences the pod: its node\'s later reports about it are ignored', () => {
    const evicted = [...evictable, podEvicted()];
    for (const report of [containerTerminated({ exitCode: 137 }), podSandboxRemoved(), podSandboxReady({ podIP: '10.244.1.9' }), containerStarted({ restartCount: 1 })]) {
      given(...evicted)
        .when(report)
        .then(({ changes, state, before }) => {
          expect(changes).toEqual([]);
          expect(pod(state)).toEqual(pod(before));
        });
    }
  });

  it('still takes a deletion: the evicted pod holds nothing, so it can go at once', () => {
    given(...evictable, podEvicted(), podDeletionRequested())
      .when(podDeleted())
      .then(({ state }) => {
        expect(state.pods.has('default/pod-1')).toBe(false);
        expect(podsOnNode(state, 'node-1')).toEqual([]);
      });
  });

  it('is ignored for another node, another uid, an evicted pod, or a pod that has ended', () => {
    given(...evictable)
      .when(podEvicted({ nodeName: 'node-2' }))
      .then(({ changes }) => expect(changes).toEqual([]));
    given(...evictable)
      .when(podEvicted({ uid: 'an-older-pod' }))
      .then(({ changes }) => expect(changes).toEqual([]));
    given(...evictable, podEvicted())
      .when(podEvicted())
      .then(({ changes }) => expect(changes).toEqual([]));
    given(...withReadyNode([nodeRegistered(), podCreated({ restartPolicy: 'Never' }), podBound(), podSandboxReady(), containerStarted(), containerTerminated()]))
      .when(podEvicted())
      .then(({ changes, state }) => {
        expect(changes).toEqual([]);
        expect(pod(state).pod.status?.phase).toBe('Succeeded');
      });
  });

  it('takes the pod out of its ReplicaSet\'s count, so that a replacement is accepted', () => {
    const owned = withReadyNode([
      nodeRegistered(),
      replicaSetCreated({ replicas: 1 }),
      ownedPodCreated('aaaaa'),
      podBound({ name: 'web-aaaaa' }),
      podSandboxReady({ name: 'web-aaaaa' }),
      containerStarted({ name: 'web-aaaaa' }),
      nodeMarkedUnreachable(),
      nodeEvictionTaintAdded(),
    ]);
    given(...owned, podEvicted({ name: 'web-aaaaa' }))
      .when(ownedPodCreated('bbbbb'))
      .then(({ state }) => {
        expect(state.pods.has('default/web-bbbbb')).toBe(true);
        expect(state.replicaSets.get('default/web')?.replicaSet.status).toMatchObject({ replicas: 1, readyReplicas: 0 });
      });
    given(...owned)
      .when(podEvicted({ name: 'web-aaaaa' }))
      .then(({ state, changes }) => {
        expect(state.replicaSets.get('default/web')?.replicaSet.status).toMatchObject({ replicas: 0 });
        expect(changes.some((c) => c.kind === 'ReplicaSet' && c.type === 'MODIFIED')).toBe(true);
      });
  });
});
