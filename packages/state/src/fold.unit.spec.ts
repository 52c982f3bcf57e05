import { describe, expect, it } from 'vitest';
import type { ClusterState, PodRecord } from './cluster-state.ts';
import { applyEvent, createClusterState, evolve, foldAll } from './fold.ts';
import { eventsFor } from './kube-events.ts';
import {
  container,
  given,
  nodeRegistered,
  nodeRemoved,
  nodeUpdated,
  podBound,
  podCreated,
  podSandboxReady,
  podSchedulingFailed,
  toRecord,
} from './testing/index.ts';

const GiB = 2 ** 30;

function pod(state: ClusterState, name = 'pod-1'): PodRecord {
  const record = state.pods.get(`default/${name}`);
  if (!record) throw new Error(`no pod default/${name}`);
  return record;
}

describe('createClusterState', () => {
  it('starts empty at seq 0 and keeps 10,000 Events by default', () => {
    expect(createClusterState()).toMatchObject({ seq: 0, pods: new Map(), nodes: new Map(), events: [], options: { maxEvents: 10_000 } });
    expect(createClusterState({ maxEvents: 5 }).options.maxEvents).toBe(5);
  });
});

describe('NodeRegistered', () => {
  it('adds the node with allocatable in counted units and a default of 110 pods', () => {
    given()
      .when(nodeRegistered({ name: 'node-1', cpu: '3500m', memory: '8Gi' }))
      .then(({ state, changes }) => {
        const node = state.nodes.get('node-1');
        expect(node?.allocatable).toEqual({ cpu: 3500, memory: 8 * GiB, pods: 110 });
        expect(node?.requested).toEqual({});
        expect(node?.resourceVersion).toBe(1);
        expect(node?.node.metadata.resourceVersion).toBe('1');
        expect(changes).toEqual([{ kind: 'Node', type: 'ADDED', key: 'node-1', object: node?.node }]);
        expect(state.seq).toBe(1);
      });
  });

  it('uses allocatable when it differs from capacity, and a stated pod capacity', () => {
    given()
      .when(nodeRegistered({ cpu: '4', pods: '20', allocatable: { cpu: '3800m', memory: '7Gi', pods: '20' } }))
      .then(({ state }) => expect(state.nodes.get('node-1')?.allocatable).toEqual({ cpu: 3800, memory: 7 * GiB, pods: 20 }));
  });

  it('re-registration replaces the object and capacity but keeps the pods bound there', () => {
    given(nodeRegistered({ cpu: '4' }), podCreated({ cpu: '1' }), podBound())
      .when(nodeRegistered({ cpu: '8', labels: { zone: 'b' } }))
      .then(({ state, changes }) => {
        const node = state.nodes.get('node-1');
        expect(node?.allocatable.cpu).toBe(8000);
        expect(node?.requested).toEqual({ cpu: 1000, pods: 1 });
        expect([...(node?.podKeys ?? [])]).toEqual(['default/pod-1']);
        expect(node?.node.metadata.labels).toEqual({ zone: 'b' });
        expect(changes.map((c) => `${c.kind} ${c.type}`)).toEqual(['Node MODIFIED']);
      });
  });

  it('skips a node whose quantities do not parse instead of failing the fold', () => {
    given()
      .when(nodeRegistered({ cpu: 'lots' }))
      .then(({ state, changes }) => {
        expect(state.nodes.size).toBe(0);
        expect(changes).toEqual([]);
        expect(state.seq).toBe(1);
      });
  });
});

describe('NodeUpdated and NodeRemoved', () => {
  it('applies only the fields present', () => {
    given(nodeRegistered({ labels: { a: '1' }, taints: [{ key: 'k', effect: 'NoSchedule' }] }))
      .when(nodeUpdated({ unschedulable: true }))
      .then(({ state, before, changes }) => {
        const node = state.nodes.get('node-1')?.node;
        expect(node?.spec.unschedulable).toBe(true);
        expect(node?.spec.taints).toEqual([{ key: 'k', effect: 'NoSchedule' }]);
        expect(node?.metadata.labels).toEqual({ a: '1' });
        expect(node?.metadata.resourceVersion).toBe('2');
        expect(before.nodes.get('node-1')?.node.spec.unschedulable).toBeUndefined();
        expect(changes).toEqual([{ kind: 'Node', type: 'MODIFIED', key: 'node-1', object: node }]);
      });
  });

  it('replaces labels and taints when given', () => {
    given(nodeRegistered({ labels: { a: '1' } }))
      .when(nodeUpdated({ labels: { b: '2' }, taints: [] }))
      .then(({ state }) => {
        expect(state.nodes.get('node-1')?.node.metadata.labels).toEqual({ b: '2' });
        expect(state.nodes.get('node-1')?.node.spec.taints).toEqual([]);
      });
  });

  it('ignores updates for unknown nodes', () => {
    given()
      .when(nodeUpdated({ name: 'ghost', unschedulable: true }))
      .then(({ state, changes }) => {
        expect(changes).toEqual([]);
        expect(state.nodes.size).toBe(0);
      });
  });

  it('removes the node; its pods stay bound to the name, and an Event notes it', () => {
    given(nodeRegistered(), podCreated(), podBound())
      .when(nodeRemoved({ reason: 'lease expired' }))
      .then(({ state, changes }) => {
        expect(state.nodes.has('node-1')).toBe(false);
        expect(pod(state).nodeName).toBe('node-1');
        expect(changes[0]).toMatchObject({ kind: 'Node', type: 'DELETED', key: 'node-1' });
        expect(eventsFor(state, 'Node', undefined, 'node-1')[0]).toMatchObject({
          reason: 'RemovingNode',
          message: 'Node node-1 event: Removing Node node-1 from Controller (lease expired); 1 pod(s) are still bound to it',
          metadata: { namespace: 'default' },
        });
      });
  });

  it('a node that registers again under a removed name takes back the accounting of the pods still bound to it', () => {
    given(nodeRegistered(), podCreated({ cpu: '1', hostPorts: [80] }), podBound(), podSandboxReady({ podIP: '10.244.1.7' }), nodeRemoved())
      .when(nodeRegistered())
      .then(({ state }) => {
        const node = state.nodes.get('node-1');
        expect(node?.requested).toEqual({ cpu: 1000, pods: 1 });
        expect([...(node?.hostPorts ?? [])]).toEqual(['TCP/80']);
        expect(node?.podIPs.get('10.244.1.7')).toBe('default/pod-1');
      });
  });
});

describe('PodCreated', () => {
  it('adds a pending pod with its QoS class, effective request plus one pod slot, and host ports', () => {
    given()
      .when(podCreated({ cpu: '250m', memory: '64Mi', hostPorts: [8080] }))
      .then(({ state, changes }) => {
        const record = pod(state);
        expect(record).toMatchObject({
          key: 'default/pod-1',
          resourceVersion: 1,
          request: { cpu: 250, memory: 64 * 2 ** 20, pods: 1 },
          hostPorts: ['TCP/8080'],
          schedulingAttempts: 0,
          released: false,
        });
        expect(record.nodeName).toBeUndefined();
        expect(record.pod.status).toEqual({ phase: 'Pending', conditions: [], qosClass: 'Burstable' });
        expect(record.pod.metadata.resourceVersion).toBe('1');
        expect(changes).toEqual([{ kind: 'Pod', type: 'ADDED', key: 'default/pod-1', object: record.pod }]);
      });
  });

  it('remembers a nodeName the user set', () => {
    given()
      .when(podCreated({ nodeName: 'node-7' }))
      .then(({ state }) => {
        expect(pod(state).requestedNodeName).toBe('node-7');
        expect(pod(state).nodeName).toBeUndefined();
      });
  });

  it('ignores a create for a name that is taken (first in the log wins), whatever the uid', () => {
    given(podCreated({ uid: 'first', cpu: '1' }))
      .when(podCreated({ uid: 'second', cpu: '2' }))
      .then(({ state, changes, before }) => {
        expect(changes).toEqual([]);
        expect(pod(state).pod.metadata.uid).toBe('first');
        expect(pod(state)).toEqual(pod(before));
      });
  });

  it('counts init containers and sidecars in the request', () => {
    given()
      .when(
        podCreated({
          initContainers: [container('migrate', { cpu: '2' }), container('proxy', { cpu: '100m', memory: '64Mi', sidecar: true })],
          containers: [container('app', { cpu: '500m', memory: '128Mi' })],
        }),
      )
      .then(({ state }) => expect(pod(state).request).toEqual({ cpu: 2000, memory: 192 * 2 ** 20, pods: 1 }));
  });
});

describe('idempotency and determinism', () => {
  it('a record at or below state.seq changes nothing', () => {
    const bind = toRecord(podBound(), 3);
    given(nodeRegistered(), podCreated({ cpu: '1' }), bind)
      .when(bind)
      .then(({ state, before, changes }) => {
        expect(changes).toEqual([]);
        expect(state).toEqual(before);
        expect(state.nodes.get('node-1')?.requested).toEqual({ cpu: 1000, pods: 1 });
      });
    const state = foldAll([toRecord(nodeRegistered(), 1), toRecord(podCreated(), 5)]);
    expect(applyEvent(state, toRecord(podBound(), 4))).toEqual([]);
    expect(state.seq).toBe(5);
    expect(pod(state).nodeName).toBeUndefined();
  });

  it('gaps in the sequence are fine (other subjects share the stream)', () => {
    given(toRecord(nodeRegistered(), 10), toRecord(podCreated(), 20))
      .when(toRecord(podBound(), 35))
      .then(({ state }) => {
        expect(state.seq).toBe(35);
        expect(pod(state).pod.metadata.resourceVersion).toBe('35');
      });
  });

  it('folding the same log twice gives equal states', () => {
    const log = given(
      nodeRegistered(),
      podCreated({ name: 'a', cpu: '1' }),
      podCreated({ name: 'b', cpu: '1' }),
      podBound({ name: 'a' }),
      podSchedulingFailed({ name: 'b', message: 'no' }),
    ).records();
    expect(foldAll(log)).toEqual(foldAll(log));
    const state = createClusterState();
    for (const record of log) expect(evolve(state, record)).toBe(state);
    expect(state).toEqual(foldAll(log));
  });

  it('never mutates an object it handed out: watchers may keep references', () => {
    const state = given(nodeRegistered(), podCreated()).state();
    const created = pod(state).pod;
    const snapshot = structuredClone(created);
    const node = state.nodes.get('node-1')?.node;
    const nodeSnapshot = structuredClone(node);
    let seq = state.seq;
    applyEvent(state, toRecord(podBound(), ++seq));
    applyEvent(state, toRecord(podSandboxReady(), ++seq));
    applyEvent(state, toRecord(nodeUpdated({ unschedulable: true, labels: { x: 'y' } }), ++seq));
    expect(created).toEqual(snapshot);
    expect(node).toEqual(nodeSnapshot);
    expect(pod(state).pod).not.toBe(created);
  });
});

describe('PodSchedulingFailed', () => {
  it('keeps the pod pending with kube-scheduler\'s message verbatim', () => {
    const message = '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    given(podCreated())
      .when(podSchedulingFailed({ message, attempt: 1 }))
      .then(({ state, changes }) => {
        const record = pod(state);
        expect(record.schedulingAttempts).toBe(1);
        expect(record.unschedulableMessage).toBe(message);
        expect(record.pod.status?.conditions).toEqual([
          { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastTransitionTime: '2026-01-01T00:00:02.000Z' },
        ]);
        const [event] = eventsFor(state, 'Pod', 'default', 'pod-1');
        expect(event).toMatchObject({ reason: 'FailedScheduling', type: 'Warning', message, source: { component: 'default-scheduler' } });
        expect(changes.map((c) => `${c.kind} ${c.type}`)).toEqual(['Pod MODIFIED', 'Event ADDED']);
      });
  });

  it('only counts the attempt once the pod is bound (another replica won)', () => {
    given(nodeRegistered(), podCreated(), podBound())
      .when(podSchedulingFailed({ attempt: 1 }))
      .then(({ state, changes }) => {
        expect(pod(state).schedulingAttempts).toBe(2);
        expect(pod(state).unschedulableMessage).toBeUndefined();
        expect(pod(state).pod.status?.conditions?.[0]).toMatchObject({ type: 'PodScheduled', status: 'True' });
        expect(changes).toEqual([]);
      });
  });

  it('a later binding clears the message', () => {
    given(nodeRegistered(), podCreated(), podSchedulingFailed())
      .when(podBound({ attempt: 2 }))
      .then(({ state }) => {
        expect(pod(state).unschedulableMessage).toBeUndefined();
        expect(pod(state).pod.status?.conditions).toEqual([{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T00:00:04.000Z' }]);
      });
  });

  it('ignores another uid', () => {
    given(podCreated())
      .when(podSchedulingFailed({ uid: 'other' }))
      .then(({ state, changes }) => {
        expect(changes).toEqual([]);
        expect(pod(state).schedulingAttempts).toBe(0);
      });
  });
});
