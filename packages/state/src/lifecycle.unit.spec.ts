import { describe, expect, it } from 'vitest';
import type { ClusterState, PodRecord } from './cluster-state.ts';
import { eventsFor } from './kube-events.ts';
import { pendingPods, podsOnNode } from './queries.ts';
import {
  container,
  containerStarted,
  containerTerminated,
  containerWaiting,
  given,
  nodeRegistered,
  podAdmissionRejected,
  podBound,
  podCreated,
  podDeleted,
  podDeletionRequested,
  podSandboxReady,
  podSandboxRemoved,
  podSchedulingFailed,
  specTime,
} from './testing/index.ts';

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

const conditionsOf = (state: ClusterState, name = 'pod-1') =>
  Object.fromEntries((pod(state, name).pod.status?.conditions ?? []).map((c) => [c.type, c.status]));

/** A pod with an init container, a sidecar and an app container, bound to node-1. */
const boundWebPod = [
  nodeRegistered({ cpu: '4', memory: '8Gi' }),
  podCreated({
    name: 'web',
    initContainers: [container('init', { cpu: '1' }), container('proxy', { cpu: '100m', sidecar: true })],
    containers: [container('app', { cpu: '500m', memory: '256Mi' })],
  }),
  podBound({ name: 'web' }),
];

describe('PodSandboxReady', () => {
  it('gives the pod its IP, start time and waiting container statuses', () => {
    given(...boundWebPod)
      .when(podSandboxReady({ name: 'web', podIP: '10.244.1.5', hostIP: '192.168.0.10' }))
      .then(({ state }) => {
        const status = pod(state, 'web').pod.status;
        expect(status).toMatchObject({
          phase: 'Pending',
          podIP: '10.244.1.5',
          podIPs: [{ ip: '10.244.1.5' }],
          hostIP: '192.168.0.10',
          startTime: specTime(4),
          qosClass: 'Burstable',
        });
        const waiting = { ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } };
        expect(status?.initContainerStatuses).toEqual([
          { name: 'init', image: 'registry.example/init:1', ...waiting },
          { name: 'proxy', image: 'registry.example/proxy:1', ...waiting },
        ]);
        expect(status?.containerStatuses).toEqual([{ name: 'app', image: 'registry.example/app:1', ...waiting }]);
        expect(conditionsOf(state, 'web')).toEqual({
          PodReadyToStartContainers: 'True',
          Initialized: 'False',
          Ready: 'False',
          ContainersReady: 'False',
          PodScheduled: 'True',
        });
        expect(node(state).podIPs.get('10.244.1.5')).toBe('default/web');
      });
  });

  it('app containers wait in ContainerCreating when there are no init containers', () => {
    given(nodeRegistered(), podCreated(), podBound())
      .when(podSandboxReady())
      .then(({ state }) => expect(pod(state).pod.status?.containerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'ContainerCreating' } }));
  });
});

describe('fencing: status only counts from the node the pod is bound to, for its uid', () => {
  it('ignores a sandbox from another node', () => {
    given(nodeRegistered({ name: 'node-1' }), nodeRegistered({ name: 'node-2' }), podCreated(), podBound({ nodeName: 'node-1' }))
      .when(podSandboxReady({ nodeName: 'node-2' }))
      .then(({ state, changes, before }) => {
        expect(changes).toEqual([]);
        expect(pod(state)).toEqual(pod(before));
        expect(node(state, 'node-2').podIPs.size).toBe(0);
      });
  });

  it('ignores container status from another node or an older uid', () => {
    const base = [nodeRegistered({ name: 'node-1' }), nodeRegistered({ name: 'node-2' }), podCreated(), podBound({ nodeName: 'node-1' }), podSandboxReady()];
    given(...base)
      .when(containerStarted({ nodeName: 'node-2' }))
      .then(({ changes }) => expect(changes).toEqual([]));
    given(...base)
      .when(containerTerminated({ uid: 'an-older-pod', exitCode: 1 }))
      .then(({ changes }) => expect(changes).toEqual([]));
  });

  it('ignores a container start without a sandbox (before PodSandboxReady, after PodSandboxRemoved)', () => {
    given(nodeRegistered(), podCreated(), podBound())
      .when(containerStarted())
      .then(({ changes }) => expect(changes).toEqual([]));
    given(nodeRegistered(), podCreated(), podBound(), podSandboxReady(), containerStarted(), containerTerminated({ exitCode: 1 }), podSandboxRemoved())
      .when(containerStarted({ restartCount: 1 }))
      .then(({ changes, state }) => {
        expect(changes).toEqual([]);
        expect(pod(state).pod.status?.phase).toBe('Failed');
      });
  });

  it('ignores status for a pod that is not bound yet', () => {
    given(nodeRegistered(), podCreated())
      .when(podSandboxReady())
      .then(({ changes, state }) => {
        expect(changes).toEqual([]);
        expect(node(state).podIPs.size).toBe(0);
      });
  });
});

describe('containers: status, phase and conditions', () => {
  const running = [...boundWebPod, podSandboxReady({ name: 'web' }), containerStarted({ name: 'web', container: 'init', kind: 'init' })];

  it('an init container running keeps the pod Pending, not ready; Started is reported', () => {
    given(...boundWebPod, podSandboxReady({ name: 'web' }))
      .when(containerStarted({ name: 'web', container: 'init', kind: 'init', startedAt: 'T-init' }))
      .then(({ state, changes }) => {
        const status = pod(state, 'web').pod.status;
        expect(status?.phase).toBe('Pending');
        expect(status?.initContainerStatuses?.[0]).toMatchObject({ name: 'init', ready: false, started: true, state: { running: { startedAt: 'T-init' } } });
        expect(changes.map((c) => `${c.kind} ${c.type}`)).toEqual(['Pod MODIFIED', 'Event ADDED']);
        expect(eventsFor(state, 'Pod', 'default', 'web').at(-1)).toMatchObject({
          reason: 'Started',
          type: 'Normal',
          message: 'Started container init',
          source: { component: 'kubelet', host: 'node-1' },
          involvedObject: { fieldPath: 'spec.initContainers{init}' },
        });
      });
  });

  it('goes Running, Initialized and Ready once init completed, the sidecar started and the app runs', () => {
    given(
      ...running,
      containerTerminated({ name: 'web', container: 'init', kind: 'init', exitCode: 0 }),
      containerStarted({ name: 'web', container: 'proxy', kind: 'sidecar' }),
    )
      .when(containerStarted({ name: 'web', container: 'app' }))
      .then(({ state }) => {
        expect(pod(state, 'web').pod.status?.phase).toBe('Running');
        expect(conditionsOf(state, 'web')).toEqual({
          PodReadyToStartContainers: 'True',
          Initialized: 'True',
          Ready: 'True',
          ContainersReady: 'True',
          PodScheduled: 'True',
        });
        const ready = pod(state, 'web').pod.status?.conditions?.find((c) => c.type === 'Ready');
        expect(ready?.lastTransitionTime).toBe(specTime(8));
        const initialized = pod(state, 'web').pod.status?.conditions?.find((c) => c.type === 'Initialized');
        expect(initialized?.lastTransitionTime).toBe(specTime(7));
      });
  });

  it('an init container that completed is ready (as the kubelet reports it); one that failed is not', () => {
    given(...running)
      .when(containerTerminated({ name: 'web', container: 'init', kind: 'init', exitCode: 0 }))
      .then(({ state }) => expect(pod(state, 'web').pod.status?.initContainerStatuses?.[0]).toMatchObject({ ready: true, started: false }));
    given(...running)
      .when(containerTerminated({ name: 'web', container: 'init', kind: 'init', exitCode: 1 }))
      .then(({ state }) => expect(pod(state, 'web').pod.status?.initContainerStatuses?.[0]).toMatchObject({ ready: false, started: false }));
  });

  it('an init container that fails under restartPolicy Never fails the pod and frees its resources', () => {
    given(
      nodeRegistered(),
      podCreated({ initContainers: [container('init', { cpu: '1' })], containers: [container('app', { cpu: '1' })], restartPolicy: 'Never' }),
      podBound(),
      podSandboxReady(),
      containerStarted({ container: 'init', kind: 'init' }),
    )
      .when(containerTerminated({ container: 'init', kind: 'init', exitCode: 1 }))
      .then(({ state }) => {
        expect(pod(state).pod.status?.phase).toBe('Failed');
        expect(pod(state).released).toBe(true);
        expect(node(state).requested).toEqual({});
        expect(node(state).podKeys.size).toBe(0);
        // Still bound and listed for its node agent, which tears the sandbox down.
        expect(podsOnNode(state, 'node-1').map((p) => p.key)).toEqual(['default/pod-1']);
      });
  });

  it('a restart moves the terminated state to lastState; CrashLoopBackOff is reported as BackOff', () => {
    given(nodeRegistered(), podCreated(), podBound(), podSandboxReady(), containerStarted(), containerTerminated({ exitCode: 2, finishedAt: 'T-crash' }))
      .when(containerWaiting({ reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container', restartCount: 1 }))
      .then(({ state }) => {
        const status = pod(state).pod.status?.containerStatuses?.[0];
        expect(status).toMatchObject({
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' } },
          lastState: { terminated: { exitCode: 2, reason: 'Error', finishedAt: 'T-crash' } },
          restartCount: 1,
          ready: false,
        });
        expect(pod(state).pod.status?.phase).toBe('Running');
        expect(pod(state).released).toBe(false);
        expect(eventsFor(state, 'Pod', 'default', 'pod-1').at(-1)).toMatchObject({
          reason: 'BackOff',
          type: 'Warning',
          message: 'Back-off restarting failed container app in pod pod-1',
          involvedObject: { fieldPath: 'spec.containers{app}' },
        });
        expect(conditionsOf(state).Ready).toBe('False');
      });
  });

  it('the restarted container keeps lastState and its new restart count', () => {
    given(nodeRegistered(), podCreated(), podBound(), podSandboxReady(), containerStarted(), containerTerminated({ exitCode: 2 }), containerWaiting({ restartCount: 1 }))
      .when(containerStarted({ restartCount: 1, startedAt: 'T-again' }))
      .then(({ state }) => {
        expect(pod(state).pod.status?.containerStatuses?.[0]).toMatchObject({
          state: { running: { startedAt: 'T-again' } },
          lastState: { terminated: { exitCode: 2 } },
          restartCount: 1,
          ready: true,
        });
      });
  });

  it('all app containers succeeded (OnFailure): Succeeded, resources released once', () => {
    given(nodeRegistered(), podCreated({ cpu: '1', restartPolicy: 'OnFailure' }), podBound(), podSandboxReady(), containerStarted())
      .when(containerTerminated({ exitCode: 0 }))
      .then(({ state }) => {
        expect(pod(state).pod.status?.phase).toBe('Succeeded');
        expect(conditionsOf(state)).toMatchObject({ Ready: 'False', ContainersReady: 'False', Initialized: 'True' });
        expect(node(state).requested).toEqual({});
      });
  });

  it('a sidecar still running when the app completes does not keep the pod from succeeding', () => {
    given(
      nodeRegistered(),
      podCreated({ initContainers: [container('proxy', { sidecar: true })], containers: [container('app')], restartPolicy: 'Never' }),
      podBound(),
      podSandboxReady(),
      containerStarted({ container: 'proxy', kind: 'sidecar' }),
      containerStarted(),
    )
      .when(containerTerminated({ exitCode: 0 }))
      .then(({ state }) => {
        expect(pod(state).pod.status?.phase).toBe('Succeeded');
        expect(pod(state).released).toBe(true);
      });
  });

  it('a terminal phase is final: later container events do not revive the pod or charge the node again', () => {
    given(nodeRegistered(), podCreated({ cpu: '1', restartPolicy: 'Never' }), podBound(), podSandboxReady(), containerStarted(), containerTerminated({ exitCode: 1 }))
      .when(containerStarted({ restartCount: 1 }))
      .then(({ state }) => {
        expect(pod(state).pod.status?.phase).toBe('Failed');
        expect(node(state).requested).toEqual({});
      });
  });

  it('ignores containers the pod does not have', () => {
    given(nodeRegistered(), podCreated(), podBound(), podSandboxReady())
      .when(containerStarted({ container: 'nope' }))
      .then(({ changes }) => expect(changes).toEqual([]));
  });
});

describe('deletion releases resources exactly once', () => {
  const runningPod = [nodeRegistered({ cpu: '2' }), podCreated({ cpu: '1', hostPorts: [80] }), podBound(), podSandboxReady({ podIP: '10.244.1.9' }), containerStarted()];

  it('PodDeletionRequested marks the pod; it still holds its resources while it runs', () => {
    given(...runningPod)
      .when(podDeletionRequested({ gracePeriodSeconds: 30 }))
      .then(({ state, changes }) => {
        const record = pod(state);
        expect(record.deletion).toEqual({ seq: 6, gracePeriodSeconds: 30, requestedAt: specTime(6) });
        expect(record.pod.metadata.deletionTimestamp).toBe(new Date(Date.parse(specTime(6)) + 30_000).toISOString());
        expect(record.pod.metadata.deletionGracePeriodSeconds).toBe(30);
        expect(record.pod.status?.phase).toBe('Running');
        expect(node(state).requested).toEqual({ cpu: 1000, pods: 1 });
        expect(changes.map((c) => `${c.kind} ${c.type}`)).toEqual(['Pod MODIFIED']);
      });
  });

  it('a second request only counts when it shortens the grace period', () => {
    given(...runningPod, podDeletionRequested({ gracePeriodSeconds: 30 }))
      .when(podDeletionRequested({ gracePeriodSeconds: 60 }))
      .then(({ changes }) => expect(changes).toEqual([]));
    given(...runningPod, podDeletionRequested({ gracePeriodSeconds: 30 }))
      .when(podDeletionRequested({ gracePeriodSeconds: 0 }))
      .then(({ state }) => {
        expect(pod(state).deletion).toEqual({ seq: 7, gracePeriodSeconds: 0, requestedAt: specTime(6) });
        expect(pod(state).pod.metadata.deletionGracePeriodSeconds).toBe(0);
      });
  });

  it('the node stops the container (Killing), the pod turns terminal and frees its resources; sandbox and delete free nothing twice', () => {
    const stopped = given(...runningPod, podDeletionRequested())
      .when(containerTerminated({ exitCode: 143, reason: 'Error' }))
      .then(({ state }) => {
        expect(eventsFor(state, 'Pod', 'default', 'pod-1').at(-1)).toMatchObject({ reason: 'Killing', type: 'Normal', message: 'Stopping container app' });
        expect(pod(state).pod.status?.phase).toBe('Failed');
        expect(pod(state).released).toBe(true);
        expect(node(state).requested).toEqual({});
        expect(node(state).hostPorts.size).toBe(0);
        expect(node(state).podIPs.get('10.244.1.9')).toBe('default/pod-1');
      });

    given(...runningPod, podDeletionRequested(), containerTerminated({ exitCode: 143 }))
      .when(podSandboxRemoved())
      .then(({ state }) => {
        expect(node(state).requested).toEqual(node(stopped.state).requested);
        expect(node(state).podIPs.size).toBe(0);
        expect(conditionsOf(state).PodReadyToStartContainers).toBe('False');
        expect(state.pods.has('default/pod-1')).toBe(true);
      });

    given(...runningPod, podDeletionRequested(), containerTerminated({ exitCode: 143 }), podSandboxRemoved())
      .when(podDeleted())
      .then(({ state, changes }) => {
        expect(state.pods.has('default/pod-1')).toBe(false);
        expect(node(state).requested).toEqual({});
        expect(podsOnNode(state, 'node-1')).toEqual([]);
        expect(changes).toEqual([
          { kind: 'Pod', type: 'DELETED', key: 'default/pod-1', object: expect.objectContaining({ metadata: expect.objectContaining({ resourceVersion: '9' }) }), previousNodeName: 'node-1' },
        ]);
      });
  });

  it('a sandbox removed while the pod still holds resources releases them, and PodDeleted does not release again', () => {
    given(...runningPod, podDeletionRequested())
      .when(podSandboxRemoved())
      .then(({ state }) => {
        expect(pod(state).released).toBe(true);
        expect(node(state).requested).toEqual({});
      });
    given(...runningPod, podDeletionRequested(), podSandboxRemoved(), podCreated({ name: 'other', cpu: '2' }), podBound({ name: 'other' }))
      .when(podDeleted())
      .then(({ state }) => {
        expect(pod(state, 'other').nodeName).toBe('node-1');
        expect(node(state).requested).toEqual({ cpu: 2000, pods: 1 });
      });
  });

  it('force-deleting a running pod releases its resources and IP', () => {
    given(...runningPod)
      .when(podDeleted({ reason: 'force' }))
      .then(({ state }) => {
        expect(node(state).requested).toEqual({});
        expect(node(state).hostPorts.size).toBe(0);
        expect(node(state).podIPs.size).toBe(0);
      });
  });

  it('ignores deletion of another uid', () => {
    given(...runningPod)
      .when(podDeleted({ uid: 'someone-else' }))
      .then(({ state, changes }) => {
        expect(changes).toEqual([]);
        expect(state.pods.has('default/pod-1')).toBe(true);
      });
  });

  it('a deleting pod is no longer pending', () => {
    given(podCreated())
      .when(podDeletionRequested())
      .then(({ state }) => expect(pendingPods(state)).toEqual([]));
  });
});

describe('PodAdmissionRejected: the node refuses a pod bound to it', () => {
  it('returns the pod to pending, frees the node, records why', () => {
    given(nodeRegistered({ name: 'node-1' }), podCreated({ cpu: '1', hostPorts: [80] }), podBound({ nodeName: 'node-1' }))
      .when(podAdmissionRejected({ nodeName: 'node-1', reason: 'OutOfcpu', message: 'Node didn\'t have enough resource: cpu' }))
      .then(({ state, changes }) => {
        const record = pod(state);
        expect(record.nodeName).toBeUndefined();
        expect(record.boundSeq).toBeUndefined();
        expect(record.released).toBe(false);
        expect(record.pod.spec.nodeName).toBeUndefined();
        expect(record.pod.status).toEqual({
          phase: 'Pending',
          qosClass: 'Burstable',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'OutOfcpu', message: 'Node didn\'t have enough resource: cpu', lastTransitionTime: specTime(4) }],
        });
        expect(record.lastBindingRejection).toEqual({ seq: 4, nodeName: 'node-1', reason: 'AdmissionRejected', message: 'Node didn\'t have enough resource: cpu' });
        expect(node(state).requested).toEqual({});
        expect(node(state).hostPorts.size).toBe(0);
        expect(pendingPods(state).map((p) => p.key)).toEqual(['default/pod-1']);
        expect(podsOnNode(state, 'node-1')).toEqual([]);
        expect(changes[0]).toMatchObject({ kind: 'Pod', type: 'MODIFIED', previousNodeName: 'node-1' });
        expect(eventsFor(state, 'Pod', 'default', 'pod-1').at(-1)).toMatchObject({
          reason: 'OutOfcpu',
          type: 'Warning',
          source: { component: 'kubelet', host: 'node-1' },
        });
      });
  });

  it('keeps the nodeName the user pinned', () => {
    given(nodeRegistered(), podCreated({ nodeName: 'node-1' }), podBound())
      .when(podAdmissionRejected())
      .then(({ state }) => {
        expect(pod(state).nodeName).toBeUndefined();
        expect(pod(state).pod.spec.nodeName).toBe('node-1');
      });
  });

  it('the pod can be bound again afterwards, and is charged once', () => {
    given(nodeRegistered(), podCreated({ cpu: '1' }), podBound(), podAdmissionRejected())
      .when(podBound({ attempt: 2 }))
      .then(({ state }) => {
        expect(pod(state).nodeName).toBe('node-1');
        expect(pod(state).schedulingAttempts).toBe(2);
        expect(node(state).requested).toEqual({ cpu: 1000, pods: 1 });
      });
  });

  it('is ignored from a node the pod is not bound to', () => {
    given(nodeRegistered({ name: 'node-1' }), nodeRegistered({ name: 'node-2' }), podCreated(), podBound({ nodeName: 'node-1' }))
      .when(podAdmissionRejected({ nodeName: 'node-2' }))
      .then(({ state, changes }) => {
        expect(changes).toEqual([]);
        expect(pod(state).nodeName).toBe('node-1');
      });
  });
});

describe('KubeEvents', () => {
  it('keeps at most maxEvents, dropping the oldest (and telling watchers)', () => {
    given(podCreated(), podSchedulingFailed({ message: 'one' }), podSchedulingFailed({ message: 'two' }))
      .withOptions({ maxEvents: 2 })
      .when(podSchedulingFailed({ message: 'three' }))
      .then(({ state, changes }) => {
        expect(state.events.map((e) => e.message)).toEqual(['two', 'three']);
        expect(changes.map((c) => `${c.kind} ${c.type} ${c.kind === 'Event' ? c.object.message : ''}`)).toEqual([
          'Pod MODIFIED ',
          'Event ADDED three',
          'Event DELETED one',
        ]);
      });
  });
});
