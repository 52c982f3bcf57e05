import { describe, expect, it } from 'vitest';
import type { ClusterState, PodRecord } from './cluster-state.ts';
import { judgeBinding } from './binding.ts';
import { nodeFits } from './fit.ts';
import { eventsFor } from './kube-events.ts';
import {
  container,
  given,
  nodeRegistered,
  nodeUpdated,
  podBound,
  podCreated,
  podDeleted,
  podDeletionRequested,
  specTime,
} from './testing/index.ts';

const GiB = 2 ** 30;

function pod(state: ClusterState, name = 'pod-1'): PodRecord {
  const record = state.pods.get(`default/${name}`);
  if (!record) throw new Error(`no pod default/${name}`);
  return record;
}

function node(state: ClusterState, name = 'node-1') {
  const record = state.nodes.get(name);
  if (!record) throw new Error(`no node ${name}`);
  return record;
}

describe('PodBound: the binding takes effect', () => {
  it('binds a pending pod to a node with room and charges the node', () => {
    given(nodeRegistered({ cpu: '4', memory: '8Gi' }), podCreated({ cpu: '500m', memory: '1Gi', hostPorts: [8080] }))
      .when(podBound({ nodeName: 'node-1' }))
      .then(({ state, changes }) => {
        const record = pod(state);
        expect(record.nodeName).toBe('node-1');
        expect(record.boundSeq).toBe(3);
        expect(record.schedulingAttempts).toBe(1);
        expect(record.released).toBe(false);
        expect(record.pod.spec.nodeName).toBe('node-1');
        expect(record.pod.metadata.resourceVersion).toBe('3');
        expect(record.pod.status?.phase).toBe('Pending');
        expect(record.pod.status?.conditions).toEqual([{ type: 'PodScheduled', status: 'True', lastTransitionTime: specTime(3) }]);

        const n = node(state);
        expect(n.requested).toEqual({ cpu: 500, memory: GiB, pods: 1 });
        expect([...n.podKeys]).toEqual(['default/pod-1']);
        expect([...n.hostPorts]).toEqual(['TCP/8080']);

        expect(changes.map((c) => `${c.kind} ${c.type} ${c.key}`)).toEqual(['Pod MODIFIED default/pod-1', 'Event ADDED default/pod-1.3']);
      });
  });

  it('emits Scheduled from the scheduler that bound it', () => {
    given(nodeRegistered(), podCreated({ cpu: '1' }))
      .when(podBound({ nodeName: 'node-1', schedulerName: 'my-scheduler' }))
      .then(({ state }) => {
        const [event] = eventsFor(state, 'Pod', 'default', 'pod-1');
        expect(event).toMatchObject({
          reason: 'Scheduled',
          type: 'Normal',
          message: 'Successfully assigned default/pod-1 to node-1',
          source: { component: 'my-scheduler' },
          involvedObject: { kind: 'Pod', namespace: 'default', name: 'pod-1', uid: 'uid-pod-1' },
          metadata: { name: 'pod-1.3', namespace: 'default', uid: 'ev-3', resourceVersion: '3', creationTimestamp: specTime(3) },
          firstTimestamp: specTime(3),
          lastTimestamp: specTime(3),
          count: 1,
        });
      });
  });

  it('accepts a pod that fills the node exactly', () => {
    given(nodeRegistered({ cpu: '2', memory: '2Gi', pods: '1' }), podCreated({ cpu: '2', memory: '2Gi' }))
      .when(podBound())
      .then(({ state }) => {
        expect(pod(state).nodeName).toBe('node-1');
        expect(node(state).requested).toEqual({ cpu: 2000, memory: 2 * GiB, pods: 1 });
      });
  });

  it('accepts a pod pinned by spec.nodeName to that node, and a cordoned node the pod tolerates', () => {
    given(
      nodeRegistered({ unschedulable: true }),
      podCreated({ nodeName: 'node-1', tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }),
    )
      .when(podBound({ nodeName: 'node-1' }))
      .then(({ state }) => expect(pod(state).nodeName).toBe('node-1'));
  });

  it('counts init containers and sidecars as kube-scheduler does (effective request reaches the node)', () => {
    // steady: app 1 cpu + sidecar 500m = 1500m; init peak: big-init 2 cpu + sidecar started before it 500m = 2500m
    // memory: steady 1Gi + 1Gi = 2Gi; init peak: 1Gi (sidecar) + 512Mi = 1.5Gi -> 2Gi
    given(
      nodeRegistered({ cpu: '4', memory: '8Gi' }),
      podCreated({
        initContainers: [
          container('setup', { cpu: '3', memory: '256Mi' }),
          container('proxy', { cpu: '500m', memory: '1Gi', sidecar: true }),
          container('big-init', { cpu: '2', memory: '512Mi' }),
        ],
        containers: [container('app', { cpu: '1', memory: '1Gi' })],
      }),
    )
      .when(podBound())
      .then(({ state }) => {
        // max(setup 3000, proxy+big-init 2500, steady 1500) = 3000m
        expect(pod(state).request).toEqual({ cpu: 3000, memory: 2 * GiB, pods: 1 });
        expect(node(state).requested).toEqual({ cpu: 3000, memory: 2 * GiB, pods: 1 });
      });
  });

  it('reserves sidecar host ports but not those of regular init containers', () => {
    given(
      nodeRegistered(),
      podCreated({
        initContainers: [container('init', { hostPort: 7000 }), container('proxy', { sidecar: true, hostPort: 9000 })],
        containers: [container('app', { hostPort: 8080 })],
      }),
    )
      .when(podBound())
      .then(({ state }) => expect([...node(state).hostPorts].sort()).toEqual(['TCP/8080', 'TCP/9000']));
  });
});

describe('PodBound: the fold rejects bindings that lost a race', () => {
  const rejection = (state: ClusterState) => pod(state).lastBindingRejection;

  it('PodNotFound: the pod is gone; nothing is recorded but an Event', () => {
    given(nodeRegistered(), podCreated(), podDeleted())
      .when(podBound())
      .then(({ state, changes, before }) => {
        expect(state.pods.size).toBe(0);
        expect(node(state).requested).toEqual(node(before).requested);
        expect(changes.map((c) => `${c.kind} ${c.type}`)).toEqual(['Event ADDED']);
        const [event] = eventsFor(state, 'Pod', 'default', 'pod-1', 'uid-pod-1');
        expect(event).toMatchObject({ reason: 'BindingRejected', type: 'Warning' });
        expect(event?.message).toContain('PodNotFound');
        expect(judgeBinding(state, { namespace: 'default', name: 'pod-1', uid: 'uid-pod-1', nodeName: 'node-1' })).toMatchObject({
          accepted: false,
          reason: 'PodNotFound',
        });
      });
  });

  it('UidMismatch: a pod of the same name but another uid is left alone', () => {
    given(nodeRegistered(), podCreated({ uid: 'old' }), podDeleted({ uid: 'old' }), podCreated({ uid: 'new' }))
      .when(podBound({ uid: 'old' }))
      .then(({ state, changes }) => {
        const record = pod(state);
        expect(record.nodeName).toBeUndefined();
        expect(record.schedulingAttempts).toBe(0);
        expect(record.lastBindingRejection).toBeUndefined();
        expect(record.resourceVersion).toBe(4);
        expect(node(state).requested).toEqual({});
        expect(changes.filter((c) => c.kind === 'Pod')).toEqual([]);
        expect(eventsFor(state, 'Pod', 'default', 'pod-1', 'old')[0]?.message).toContain('UidMismatch');
        expect(eventsFor(state, 'Pod', 'default', 'pod-1', 'new')).toEqual([]);
      });
  });

  it('AlreadyBound: a second scheduler replica lost; the first binding stands and is charged once', () => {
    given(nodeRegistered({ name: 'node-1' }), nodeRegistered({ name: 'node-2' }), podCreated({ cpu: '1' }), podBound({ nodeName: 'node-1' }))
      .when(podBound({ nodeName: 'node-2', attempt: 1, schedulerName: 'replica-b' }))
      .then(({ state, changes }) => {
        expect(pod(state).nodeName).toBe('node-1');
        expect(pod(state).schedulingAttempts).toBe(2);
        expect(rejection(state)).toEqual({ seq: 5, nodeName: 'node-2', reason: 'AlreadyBound', message: 'pod default/pod-1 is already bound to node node-1' });
        expect(node(state, 'node-1').requested).toEqual({ cpu: 1000, pods: 1 });
        expect(node(state, 'node-2').requested).toEqual({});
        // The scheduler waiting on its binding learns the outcome from the pod's new resourceVersion.
        expect(changes[0]).toMatchObject({ kind: 'Pod', type: 'MODIFIED', key: 'default/pod-1' });
        expect(pod(state).pod.metadata.resourceVersion).toBe('5');
        const events = eventsFor(state, 'Pod', 'default', 'pod-1');
        expect(events.at(-1)).toMatchObject({
          reason: 'BindingRejected',
          type: 'Warning',
          message: 'Binding to node node-2 rejected (AlreadyBound): pod default/pod-1 is already bound to node node-1',
          source: { component: 'replica-b' },
        });
      });
  });

  it('PodTerminating: deletion was requested', () => {
    given(nodeRegistered(), podCreated(), podDeletionRequested())
      .when(podBound())
      .then(({ state }) => {
        expect(pod(state).nodeName).toBeUndefined();
        expect(rejection(state)?.reason).toBe('PodTerminating');
        expect(node(state).requested).toEqual({});
      });
  });

  it('NodeNameMismatch: the pod is pinned to another node', () => {
    given(nodeRegistered({ name: 'node-1' }), nodeRegistered({ name: 'node-2' }), podCreated({ nodeName: 'node-2' }))
      .when(podBound({ nodeName: 'node-1' }))
      .then(({ state }) => {
        expect(pod(state).nodeName).toBeUndefined();
        expect(pod(state).pod.spec.nodeName).toBe('node-2');
        expect(rejection(state)).toMatchObject({ reason: 'NodeNameMismatch', nodeName: 'node-1' });
      });
  });

  it('NodeNotFound: the node never registered or was removed', () => {
    given(podCreated())
      .when(podBound({ nodeName: 'ghost' }))
      .then(({ state }) => expect(rejection(state)).toEqual({ seq: 2, nodeName: 'ghost', reason: 'NodeNotFound', message: 'node ghost not found' }));
  });

  it('NodeUnschedulable: the node was cordoned after the scheduler looked', () => {
    given(nodeRegistered(), podCreated(), nodeUpdated({ unschedulable: true }))
      .when(podBound())
      .then(({ state }) => {
        expect(pod(state).nodeName).toBeUndefined();
        expect(rejection(state)).toMatchObject({ reason: 'NodeUnschedulable', message: 'node(s) were unschedulable' });
      });
  });

  it('NodeUnschedulable: a toleration for another taint does not help', () => {
    given(nodeRegistered({ unschedulable: true }), podCreated({ tolerations: [{ key: 'dedicated', operator: 'Exists' }] }))
      .when(podBound())
      .then(({ state }) => expect(rejection(state)?.reason).toBe('NodeUnschedulable'));
  });

  it('InsufficientResources: cpu', () => {
    given(nodeRegistered({ cpu: '2' }), podCreated({ name: 'a', cpu: '1500m' }), podBound({ name: 'a' }), podCreated({ name: 'b', cpu: '600m' }))
      .when(podBound({ name: 'b' }))
      .then(({ state }) => {
        expect(pod(state, 'b').nodeName).toBeUndefined();
        expect(pod(state, 'b').lastBindingRejection).toMatchObject({ reason: 'InsufficientResources', message: 'Insufficient cpu' });
        expect(node(state).requested).toEqual({ cpu: 1500, pods: 1 });
        expect(eventsFor(state, 'Pod', 'default', 'b').at(-1)?.message).toBe('Binding to node node-1 rejected (InsufficientResources): Insufficient cpu');
      });
  });

  it('InsufficientResources: cpu and memory named together, like kube-scheduler', () => {
    given(nodeRegistered({ cpu: '1', memory: '1Gi' }), podCreated({ cpu: '2', memory: '2Gi' }))
      .when(podBound())
      .then(({ state }) => expect(rejection(state)?.message).toBe('Insufficient cpu, Insufficient memory'));
  });

  it('InsufficientResources: memory', () => {
    given(nodeRegistered({ memory: '1Gi' }), podCreated({ memory: '1025Mi' }))
      .when(podBound())
      .then(({ state }) => expect(rejection(state)).toMatchObject({ reason: 'InsufficientResources', message: 'Insufficient memory' }));
  });

  it('InsufficientResources: pods (the node is at its pod capacity)', () => {
    given(nodeRegistered({ pods: '1' }), podCreated({ name: 'a' }), podBound({ name: 'a' }), podCreated({ name: 'b' }))
      .when(podBound({ name: 'b' }))
      .then(({ state }) => expect(pod(state, 'b').lastBindingRejection).toMatchObject({ reason: 'InsufficientResources', message: 'Too many pods' }));
  });

  it('InsufficientResources: a resource the node does not have counts as 0 allocatable', () => {
    given(nodeRegistered(), podCreated({ requests: { 'example.com/gpu': '1' } }))
      .when(podBound())
      .then(({ state }) => expect(rejection(state)?.message).toBe('Insufficient example.com/gpu'));
  });

  it('HostPortConflict: another pod on the node holds the host port', () => {
    given(nodeRegistered(), podCreated({ name: 'a', hostPorts: [80] }), podBound({ name: 'a' }), podCreated({ name: 'b', hostPorts: [80] }))
      .when(podBound({ name: 'b' }))
      .then(({ state }) =>
        expect(pod(state, 'b').lastBindingRejection).toMatchObject({
          reason: 'HostPortConflict',
          message: "node(s) didn't have free ports for the requested pod ports",
        }),
      );
  });

  it('a rejected pod stays pending and can be bound elsewhere', () => {
    given(nodeRegistered({ name: 'small', cpu: '1' }), nodeRegistered({ name: 'big', cpu: '8' }), podCreated({ cpu: '2' }), podBound({ nodeName: 'small' }))
      .when(podBound({ nodeName: 'big', attempt: 2 }))
      .then(({ state }) => {
        expect(pod(state).nodeName).toBe('big');
        expect(pod(state).schedulingAttempts).toBe(2);
        expect(pod(state).lastBindingRejection?.nodeName).toBe('small');
      });
  });
});

describe('nodeFits: the one fit check', () => {
  it('lists every reason kube-scheduler would, in its order', () => {
    const state = given(
      nodeRegistered({ cpu: '1', memory: '1Gi', pods: '1', unschedulable: true }),
      podCreated({ name: 'a', hostPorts: [80], tolerations: [{ operator: 'Exists' }] }),
      podBound({ name: 'a' }),
      podCreated({ name: 'b', cpu: '2', memory: '2Gi', hostPorts: [80] }),
    ).state();
    const fit = nodeFits(node(state), pod(state, 'b'));
    expect(fit.fits).toBe(false);
    expect(fit.reasons).toEqual([
      'node(s) were unschedulable',
      'Too many pods',
      'Insufficient cpu',
      'Insufficient memory',
      "node(s) didn't have free ports for the requested pod ports",
    ]);
    expect(fit.failures.map((f) => f.reason)).toEqual(['NodeUnschedulable', 'InsufficientResources', 'HostPortConflict']);
  });

  it('fits an empty node: a pod without requests needs only a pod slot', () => {
    const state = given(nodeRegistered({ cpu: '1' }), podCreated()).state();
    expect(nodeFits(node(state), pod(state))).toEqual({ fits: true, reasons: [], failures: [] });
  });
});
