import { describe, expect, it } from 'vitest';
import type { Container, ContainerStatus, PodCondition } from '@flotilla/model';
import type { ClusterState, PodRecord } from './cluster-state.ts';
import { eventsFor } from './kube-events.ts';
import {
  container,
  containerProbeFailed,
  containerReadinessChanged,
  containerStarted,
  containerStartupProbeSucceeded,
  containerTerminated,
  containerWaiting,
  given,
  nodeRegistered,
  podBound,
  podCreated,
  podSandboxReady,
  podSandboxRemoved,
  specTime,
} from './testing/index.ts';
import type { PodInput } from './testing/index.ts';

// Probes as the kubelet's prober manager reports them: `started` waits for the startup probe,
// `ready` for started and the readiness probe, and the pod's Ready condition follows.

const exec = { exec: { command: ['true'] } };
const withProbes = (name: string, probes: Pick<Container, 'readinessProbe' | 'startupProbe' | 'livenessProbe'>, sidecar = false): Container => ({
  ...container(name, { sidecar }),
  ...probes,
});

function pod(state: ClusterState): PodRecord {
  const record = state.pods.get('default/pod-1');
  if (!record) throw new Error('no pod default/pod-1');
  return record;
}
const app = (state: ClusterState, name = 'app'): ContainerStatus | undefined => pod(state).pod.status?.containerStatuses?.find((s) => s.name === name);
const init = (state: ClusterState, name: string): ContainerStatus | undefined => pod(state).pod.status?.initContainerStatuses?.find((s) => s.name === name);
const condition = (state: ClusterState, type: string): PodCondition | undefined => pod(state).pod.status?.conditions?.find((c) => c.type === type);
const onNode = (input: PodInput) => [nodeRegistered(), podCreated(input), podBound(), podSandboxReady()];

describe('readiness probe', () => {
  const probed = onNode({ containers: [withProbes('app', { readinessProbe: exec })] });

  it('a container with a readiness probe is started but not ready when it starts; the pod is Running, not Ready', () => {
    given(...probed)
      .when(containerStarted())
      .then(({ state }) => {
        expect(app(state)).toMatchObject({ started: true, ready: false, state: { running: {} } });
        expect(pod(state).pod.status?.phase).toBe('Running');
        expect(condition(state, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
        expect(condition(state, 'ContainersReady')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
      });
  });

  it('becomes ready when the probe passes: Ready and ContainersReady turn True at that time', () => {
    given(...probed, containerStarted())
      .when(containerReadinessChanged({ ready: true }))
      .then(({ state, changes }) => {
        expect(app(state)).toMatchObject({ started: true, ready: true });
        expect(condition(state, 'Ready')).toEqual({ type: 'Ready', status: 'True', lastTransitionTime: specTime(6) });
        expect(condition(state, 'ContainersReady')).toEqual({ type: 'ContainersReady', status: 'True', lastTransitionTime: specTime(6) });
        expect(changes.map((c) => `${c.kind} ${c.type}`)).toEqual(['Pod MODIFIED']);
      });
  });

  it('a readiness failure flips Ready to False with ContainersNotReady, the pod keeps Running', () => {
    given(...probed, containerStarted(), containerReadinessChanged({ ready: true }))
      .when(containerReadinessChanged({ ready: false, message: 'exit status 1' }))
      .then(({ state }) => {
        expect(app(state)).toMatchObject({ ready: false, started: true, state: { running: {} } });
        expect(pod(state).pod.status?.phase).toBe('Running');
        expect(condition(state, 'Ready')).toEqual({
          type: 'Ready',
          status: 'False',
          reason: 'ContainersNotReady',
          message: 'containers with unready status: [app]',
          lastTransitionTime: specTime(7),
        });
        expect(condition(state, 'ContainersReady')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', lastTransitionTime: specTime(7) });
      });
  });

  it('a report that changes nothing changes nothing', () => {
    given(...probed, containerStarted(), containerReadinessChanged({ ready: true }))
      .when(containerReadinessChanged({ ready: true }))
      .then(({ changes, state, before }) => {
        expect(changes).toEqual([]);
        expect(pod(state)).toEqual(pod(before));
      });
  });

  it('a restarted container is not ready again until its probe passes', () => {
    given(...probed, containerStarted(), containerReadinessChanged({ ready: true }), containerTerminated({ exitCode: 137 }), containerWaiting({ restartCount: 1 }))
      .when(containerStarted({ restartCount: 1 }))
      .then(({ state }) => {
        expect(app(state)).toMatchObject({ ready: false, started: true, restartCount: 1 });
        expect(condition(state, 'Ready')?.status).toBe('False');
      });
  });

  it('without a readiness probe a container is ready as it starts, and a late report of it is a no-op', () => {
    given(...onNode({}))
      .when(containerStarted())
      .then(({ state }) => {
        expect(app(state)).toMatchObject({ ready: true, started: true });
        expect(condition(state, 'Ready')?.status).toBe('True');
      });
    given(...onNode({}), containerStarted())
      .when(containerReadinessChanged({ ready: true }))
      .then(({ changes }) => expect(changes).toEqual([]));
  });

  it('a terminated container is not ready', () => {
    given(...probed, containerStarted(), containerReadinessChanged({ ready: true }))
      .when(containerTerminated({ exitCode: 1 }))
      .then(({ state }) => expect(app(state)).toMatchObject({ ready: false, started: false }));
  });

  it('a sidecar that is not ready keeps the pod not Ready; its readiness makes it Ready', () => {
    const steps = [
      ...onNode({ initContainers: [withProbes('proxy', { readinessProbe: exec }, true)], containers: [container('app')] }),
      containerStarted({ container: 'proxy', kind: 'sidecar' }),
      containerStarted(),
    ];
    given(...steps.slice(0, -1))
      .when(steps.at(-1)!)
      .then(({ state }) => {
        expect(init(state, 'proxy')).toMatchObject({ started: true, ready: false });
        expect(condition(state, 'Initialized')?.status).toBe('True');
        expect(pod(state).pod.status?.phase).toBe('Running');
        expect(condition(state, 'Ready')).toMatchObject({ status: 'False', message: 'containers with unready status: [proxy]' });
      });
    given(...steps)
      .when(containerReadinessChanged({ container: 'proxy', kind: 'sidecar' }))
      .then(({ state }) => {
        expect(init(state, 'proxy')?.ready).toBe(true);
        expect(condition(state, 'Ready')?.status).toBe('True');
      });
  });
});

describe('startup probe', () => {
  it('a container with a startup probe is running but not started nor ready until the probe succeeds', () => {
    given(...onNode({ containers: [withProbes('app', { startupProbe: exec })] }))
      .when(containerStarted())
      .then(({ state }) => {
        expect(app(state)).toMatchObject({ started: false, ready: false, state: { running: {} } });
        expect(pod(state).pod.status?.phase).toBe('Running');
        expect(condition(state, 'Ready')?.status).toBe('False');
      });
  });

  it('its success starts the container, and makes it ready when it has no readiness probe', () => {
    given(...onNode({ containers: [withProbes('app', { startupProbe: exec })] }), containerStarted())
      .when(containerStartupProbeSucceeded())
      .then(({ state }) => {
        expect(app(state)).toMatchObject({ started: true, ready: true });
        expect(condition(state, 'Ready')).toEqual({ type: 'Ready', status: 'True', lastTransitionTime: specTime(6) });
      });
  });

  it('with a readiness probe too, the container waits for readiness after starting', () => {
    const steps = [...onNode({ containers: [withProbes('app', { startupProbe: exec, readinessProbe: exec })] }), containerStarted()];
    given(...steps)
      .when(containerReadinessChanged({ ready: true }))
      .then(({ changes, state }) => {
        // Readiness probes only run once the container started: such a report is stale.
        expect(changes).toEqual([]);
        expect(app(state)?.ready).toBe(false);
      });
    given(...steps)
      .when(containerStartupProbeSucceeded())
      .then(({ state }) => expect(app(state)).toMatchObject({ started: true, ready: false }));
    given(...steps, containerStartupProbeSucceeded())
      .when(containerReadinessChanged({ ready: true }))
      .then(({ state }) => {
        expect(app(state)).toMatchObject({ started: true, ready: true });
        expect(condition(state, 'Ready')?.status).toBe('True');
      });
  });

  it('a sidecar with a startup probe holds initialization (and the pod Pending) until it succeeds', () => {
    const steps = [
      ...onNode({ initContainers: [withProbes('proxy', { startupProbe: exec }, true)], containers: [container('app')] }),
      containerStarted({ container: 'proxy', kind: 'sidecar' }),
    ];
    given(...steps.slice(0, -1))
      .when(steps.at(-1)!)
      .then(({ state }) => {
        expect(init(state, 'proxy')).toMatchObject({ started: false, ready: false });
        expect(pod(state).pod.status?.phase).toBe('Pending');
        expect(condition(state, 'Initialized')).toMatchObject({ status: 'False', message: 'containers with incomplete status: [proxy]' });
      });
    given(...steps)
      .when(containerStartupProbeSucceeded({ container: 'proxy', kind: 'sidecar' }))
      .then(({ state }) => {
        expect(init(state, 'proxy')).toMatchObject({ started: true, ready: true });
        expect(condition(state, 'Initialized')?.status).toBe('True');
      });
  });
});

describe('fencing: probe reports count only for the container run they were made on', () => {
  const probed = [
    nodeRegistered({ name: 'node-1' }),
    nodeRegistered({ name: 'node-2', podCIDR: '10.244.2.0/24' }),
    podCreated({ containers: [withProbes('app', { readinessProbe: exec, startupProbe: exec })] }),
    podBound({ nodeName: 'node-1' }),
    podSandboxReady(),
    containerStarted(),
  ];

  it.each([
    ['from another node', { nodeName: 'node-2' }],
    ['for an older pod of the same name', { uid: 'uid-an-older-pod-1' }],
    ['about an earlier run of the container', { restartCount: 4 }],
    ['about a container the pod does not have', { container: 'nope' }],
  ])('ignores a report %s', (_case, ref) => {
    given(...probed)
      .when(containerStartupProbeSucceeded(ref))
      .then(({ changes }) => expect(changes).toEqual([]));
    given(...probed, containerStartupProbeSucceeded())
      .when(containerReadinessChanged(ref))
      .then(({ changes }) => expect(changes).toEqual([]));
    given(...probed)
      .when(containerProbeFailed({ ...ref, probe: 'startup' }))
      .then(({ changes }) => expect(changes).toEqual([]));
  });

  it('ignores reports about a container that is not running, or once the sandbox is gone', () => {
    given(...probed, containerStartupProbeSucceeded(), containerTerminated({ exitCode: 1 }))
      .when(containerReadinessChanged({ ready: true }))
      .then(({ changes }) => expect(changes).toEqual([]));
    given(...probed, containerStartupProbeSucceeded(), podSandboxRemoved())
      .when(containerReadinessChanged({ ready: true }))
      .then(({ changes }) => expect(changes).toEqual([]));
  });

  it('ignores readiness for a regular init container (it is never ready while it runs)', () => {
    given(...onNode({ initContainers: [container('setup')], containers: [container('app')] }), containerStarted({ container: 'setup', kind: 'init' }))
      .when(containerReadinessChanged({ container: 'setup', kind: 'init' }))
      .then(({ changes, state }) => {
        expect(changes).toEqual([]);
        expect(init(state, 'setup')).toMatchObject({ ready: false, started: true });
      });
  });
});

describe('ContainerProbeFailed: the kubelet\'s Unhealthy and Killing Events, no status change', () => {
  const running = (input: PodInput = {}) => [...onNode(input), containerStarted()];
  const reasons = (state: ClusterState) => eventsFor(state, 'Pod', 'default', 'pod-1').slice(-2).map((e) => `${e.type} ${e.reason}: ${e.message}`);

  it('liveness, restarting: Unhealthy, then Killing "will be restarted", on the container', () => {
    given(...running({ containers: [withProbes('app', { livenessProbe: exec })] }))
      .when(containerProbeFailed({ probe: 'liveness', message: 'HTTP probe failed with statuscode: 500' }))
      .then(({ state, changes }) => {
        expect(changes.map((c) => `${c.kind} ${c.type}`)).toEqual(['Event ADDED', 'Event ADDED']);
        const [unhealthy, killing] = eventsFor(state, 'Pod', 'default', 'pod-1').slice(-2);
        expect(unhealthy).toMatchObject({
          type: 'Warning',
          reason: 'Unhealthy',
          message: 'Liveness probe failed: HTTP probe failed with statuscode: 500',
          source: { component: 'kubelet', host: 'node-1' },
          involvedObject: { kind: 'Pod', name: 'pod-1', fieldPath: 'spec.containers{app}' },
        });
        expect(killing).toMatchObject({
          type: 'Normal',
          reason: 'Killing',
          message: 'Container app failed liveness probe, will be restarted',
          involvedObject: { fieldPath: 'spec.containers{app}' },
        });
        expect(unhealthy?.metadata.name).not.toBe(killing?.metadata.name);
      });
  });

  it('startup: Unhealthy "Startup probe failed", Killing "failed startup probe, will be restarted"', () => {
    given(...running({ containers: [withProbes('app', { startupProbe: exec })] }))
      .when(containerProbeFailed({ probe: 'startup', message: 'dial tcp 10.244.1.2:8080: connect: connection refused' }))
      .then(({ state }) =>
        expect(reasons(state)).toEqual([
          'Warning Unhealthy: Startup probe failed: dial tcp 10.244.1.2:8080: connect: connection refused',
          'Normal Killing: Container app failed startup probe, will be restarted',
        ]),
      );
  });

  it('readiness: only Unhealthy, and no status change of its own', () => {
    given(...running({ containers: [withProbes('app', { readinessProbe: exec })] }), containerReadinessChanged({ ready: true }))
      .when(containerProbeFailed({ probe: 'readiness', message: 'exit status 1' }))
      .then(({ state, before, changes }) => {
        expect(changes.map((c) => `${c.kind} ${c.type}`)).toEqual(['Event ADDED']);
        expect(eventsFor(state, 'Pod', 'default', 'pod-1').at(-1)).toMatchObject({ type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: exit status 1' });
        expect(pod(state)).toEqual(pod(before));
      });
  });

  it('under restartPolicy Never the container is killed, not restarted', () => {
    given(...running({ restartPolicy: 'Never', containers: [withProbes('app', { livenessProbe: exec })] }))
      .when(containerProbeFailed({ probe: 'liveness', message: 'exit status 1' }))
      .then(({ state }) => expect(reasons(state)[1]).toBe('Normal Killing: Container app failed liveness probe'));
  });

  it('a sidecar is named as an init container', () => {
    given(...onNode({ initContainers: [withProbes('proxy', { livenessProbe: exec }, true)], containers: [container('app')] }), containerStarted({ container: 'proxy', kind: 'sidecar' }))
      .when(containerProbeFailed({ container: 'proxy', kind: 'sidecar', message: 'exit status 2' }))
      .then(({ state }) => {
        expect(reasons(state)).toEqual(['Warning Unhealthy: Liveness probe failed: exit status 2', 'Normal Killing: Init container proxy failed liveness probe']);
        expect(eventsFor(state, 'Pod', 'default', 'pod-1').at(-1)?.involvedObject.fieldPath).toBe('spec.initContainers{proxy}');
      });
  });

  it('no Killing when the node does not act on the failure', () => {
    given(...running({ containers: [withProbes('app', { livenessProbe: exec })] }))
      .when(containerProbeFailed({ probe: 'liveness', action: 'None', message: 'exit status 1' }))
      .then(({ changes }) => expect(changes.map((c) => c.kind === 'Event' && c.object.reason)).toEqual(['Unhealthy']));
  });
});
