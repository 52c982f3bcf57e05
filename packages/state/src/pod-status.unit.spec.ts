import { describe, expect, it } from 'vitest';
import type { Container, ContainerStatus, PodCondition, PodPhase, PodSpec, PodStatus } from '@flotilla/model';
import { derivePodConditions, derivePodPhase, setCondition } from './pod-status.ts';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.000Z';

const c = (name: string): Container => ({ name, image: 'img' });
const sidecar = (name: string): Container => ({ name, image: 'img', restartPolicy: 'Always' });

const running = (name: string): ContainerStatus => ({ name, ready: true, started: true, restartCount: 0, state: { running: { startedAt: T0 } } });
const exited = (name: string, exitCode: number): ContainerStatus => ({
  name,
  ready: false,
  started: false,
  restartCount: 0,
  state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } },
});
const waiting = (name: string, reason = 'ContainerCreating'): ContainerStatus => ({ name, ready: false, started: false, restartCount: 0, state: { waiting: { reason } } });
const crashLooping = (name: string, lastExit = 1): ContainerStatus => ({
  name,
  ready: false,
  started: false,
  restartCount: 1,
  state: { waiting: { reason: 'CrashLoopBackOff' } },
  lastState: { terminated: { exitCode: lastExit } },
});

const SCHEDULED: PodCondition = { type: 'PodScheduled', status: 'True', lastTransitionTime: T0 };
const SANDBOX: PodCondition = { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: T0 };

function spec(containers: Container[], initContainers: Container[] = [], restartPolicy: PodSpec['restartPolicy'] = 'Always'): PodSpec {
  return { containers, initContainers, restartPolicy };
}

function onNode(app: ContainerStatus[], init: ContainerStatus[] = [], extra: Partial<PodStatus> = {}): PodStatus {
  return { phase: 'Pending', conditions: [SANDBOX, SCHEDULED], containerStatuses: app, initContainerStatuses: init, ...extra };
}

describe('derivePodPhase', () => {
  const cases: Array<[string, PodSpec, PodStatus, PodPhase, { stopping?: boolean }?]> = [
    ['not scheduled', spec([c('app')]), { phase: 'Pending', conditions: [] }, 'Pending'],
    ['scheduled, no sandbox yet', spec([c('app')]), { phase: 'Pending', conditions: [SCHEDULED] }, 'Pending'],
    ['sandbox ready, containers being created', spec([c('app')]), onNode([waiting('app')]), 'Pending'],
    ['init container running', spec([c('app')], [c('init')]), onNode([waiting('app', 'PodInitializing')], [running('init')]), 'Pending'],
    ['init container failed, restartPolicy Never', spec([c('app')], [c('init')], 'Never'), onNode([waiting('app', 'PodInitializing')], [exited('init', 1)]), 'Failed'],
    ['init container failed, OnFailure retries it', spec([c('app')], [c('init')], 'OnFailure'), onNode([waiting('app', 'PodInitializing')], [exited('init', 1)]), 'Pending'],
    ['init container crash-looping under Always', spec([c('app')], [c('init')]), onNode([waiting('app', 'PodInitializing')], [crashLooping('init')]), 'Pending'],
    ['second init container pending after the first completed', spec([c('app')], [c('a'), c('b')]), onNode([waiting('app')], [exited('a', 0), waiting('b')]), 'Pending'],
    ['sidecar not started yet', spec([c('app')], [sidecar('proxy')]), onNode([waiting('app')], [waiting('proxy')]), 'Pending'],
    ['app running', spec([c('app')]), onNode([running('app')]), 'Running'],
    ['app running after init and sidecar', spec([c('app')], [c('init'), sidecar('proxy')]), onNode([running('app')], [exited('init', 0), running('proxy')]), 'Running'],
    ['one app running, another never started', spec([c('a'), c('b')]), onNode([running('a'), waiting('b')]), 'Pending'],
    ['one app running, another completed', spec([c('a'), c('b')], [], 'Never'), onNode([running('a'), exited('b', 0)]), 'Running'],
    ['all succeeded, Never', spec([c('a'), c('b')], [], 'Never'), onNode([exited('a', 0), exited('b', 0)]), 'Succeeded'],
    ['all succeeded, OnFailure', spec([c('a')], [], 'OnFailure'), onNode([exited('a', 0)]), 'Succeeded'],
    ['all succeeded, Always restarts them', spec([c('a')], [], 'Always'), onNode([exited('a', 0)]), 'Running'],
    ['one failed, Never', spec([c('a'), c('b')], [], 'Never'), onNode([exited('a', 0), exited('b', 2)]), 'Failed'],
    ['one failed, OnFailure restarts it', spec([c('a'), c('b')], [], 'OnFailure'), onNode([exited('a', 0), exited('b', 2)]), 'Running'],
    ['crash-looping under Always', spec([c('a')]), onNode([crashLooping('a')]), 'Running'],
    ['sidecar still running when the app completes', spec([c('app')], [sidecar('proxy')], 'Never'), onNode([exited('app', 0)], [running('proxy')]), 'Succeeded'],
    ['sidecar still running when the app fails, Never', spec([c('app')], [sidecar('proxy')], 'Never'), onNode([exited('app', 1)], [running('proxy')]), 'Failed'],
    ['sidecar crash-looping does not hold a running pod back', spec([c('app')], [sidecar('proxy')]), onNode([running('app')], [crashLooping('proxy')]), 'Running'],
    ['stopping: all stopped with exit 0 under Always', spec([c('a')]), onNode([exited('a', 0)]), 'Succeeded', { stopping: true }],
    ['stopping: killed (143) under Always', spec([c('a')]), onNode([exited('a', 143)]), 'Failed', { stopping: true }],
    ['stopping: still running', spec([c('a')]), onNode([running('a')]), 'Running', { stopping: true }],
    ['stopping: init failed under OnFailure will not be retried', spec([c('a')], [c('init')], 'OnFailure'), onNode([waiting('a')], [exited('init', 137)]), 'Failed', { stopping: true }],
    [
      'sandbox removed: containers will not restart',
      spec([c('a')]),
      onNode([exited('a', 0)], [], { conditions: [{ ...SANDBOX, status: 'False' }, SCHEDULED] }),
      'Succeeded',
    ],
    ['terminal phases are final', spec([c('a')]), onNode([running('a')], [], { phase: 'Succeeded' }), 'Succeeded'],
  ];

  it.each(cases)('%s', (_title, podSpec, status, expected, options) => {
    expect(derivePodPhase(podSpec, status, options)).toBe(expected);
  });
});

describe('derivePodConditions', () => {
  const types = (conditions: PodCondition[]) => conditions.map((condition) => `${condition.type}=${condition.status}`);

  it('only carries PodScheduled before the pod has a sandbox', () => {
    const unschedulable: PodCondition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available', lastTransitionTime: T0 };
    expect(derivePodConditions(spec([c('app')]), { phase: 'Pending', conditions: [unschedulable] }, T1)).toEqual([unschedulable]);
  });

  it('initializing: Initialized false naming the incomplete init containers, not ready', () => {
    const conditions = derivePodConditions(
      spec([c('app')], [c('init'), sidecar('proxy')]),
      onNode([waiting('app', 'PodInitializing')], [running('init'), waiting('proxy', 'PodInitializing')]),
      T1,
    );
    expect(conditions).toEqual([
      SANDBOX,
      { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [init proxy]', lastTransitionTime: T1 },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [proxy app]', lastTransitionTime: T1 },
      { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [proxy app]', lastTransitionTime: T1 },
      SCHEDULED,
    ]);
  });

  it('running: all true once init completed, sidecars started and every container is ready', () => {
    const conditions = derivePodConditions(spec([c('app')], [c('init'), sidecar('proxy')]), onNode([running('app')], [exited('init', 0), running('proxy')]), T1);
    expect(types(conditions)).toEqual(['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
  });

  it('a sidecar that is not ready keeps the pod not ready', () => {
    const conditions = derivePodConditions(spec([c('app')], [sidecar('proxy')]), onNode([running('app')], [crashLooping('proxy')]), T1);
    expect(conditions.find((x) => x.type === 'Initialized')?.status).toBe('True');
    expect(conditions.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', message: 'containers with unready status: [proxy]' });
  });

  it('names containers without a status as unknown', () => {
    const conditions = derivePodConditions(spec([c('a'), c('b')]), onNode([running('a')]), T1);
    expect(conditions.find((x) => x.type === 'ContainersReady')?.message).toBe('containers with unknown status: [b]');
  });

  it('succeeded: Initialized PodCompleted, not ready with reason PodCompleted', () => {
    const conditions = derivePodConditions(spec([c('app')], [c('init')], 'Never'), onNode([exited('app', 0)], [exited('init', 0)], { phase: 'Succeeded' }), T1);
    expect(conditions.filter((x) => x.type !== 'PodScheduled' && x.type !== 'PodReadyToStartContainers')).toEqual([
      { type: 'Initialized', status: 'True', reason: 'PodCompleted', lastTransitionTime: T1 },
      { type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: T1 },
      { type: 'ContainersReady', status: 'False', reason: 'PodCompleted', lastTransitionTime: T1 },
    ]);
  });

  it('failed: not ready with reason PodFailed, even with a container that last reported ready', () => {
    const conditions = derivePodConditions(spec([c('a'), c('b')], [], 'Never'), onNode([exited('a', 1), running('b')], [], { phase: 'Failed' }), T1);
    expect(conditions.find((x) => x.type === 'Ready')).toEqual({ type: 'Ready', status: 'False', reason: 'PodFailed', lastTransitionTime: T1 });
    expect(conditions.find((x) => x.type === 'ContainersReady')).toEqual({ type: 'ContainersReady', status: 'False', reason: 'PodFailed', lastTransitionTime: T1 });
  });

  it('moves lastTransitionTime only when a status changes', () => {
    const podSpec = spec([c('a'), c('b')]);
    const first = derivePodConditions(podSpec, onNode([waiting('a'), waiting('b')]), T0);
    // b is still not ready, but the message changes: the transition time stays.
    const second = derivePodConditions(podSpec, onNode([running('a'), waiting('b')], [], { conditions: first }), T1);
    const ready = (conditions: PodCondition[]) => conditions.find((x) => x.type === 'Ready');
    expect(ready(second)).toMatchObject({ status: 'False', message: 'containers with unready status: [b]', lastTransitionTime: T0 });
    expect(second.find((x) => x.type === 'Initialized')).toEqual(first.find((x) => x.type === 'Initialized'));
    const third = derivePodConditions(podSpec, onNode([running('a'), running('b')], [], { conditions: second }), T1);
    expect(ready(third)).toEqual({ type: 'Ready', status: 'True', lastTransitionTime: T1 });
  });

  it('keeps conditions of other types', () => {
    const disruption: PodCondition = { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', lastTransitionTime: T0 };
    const conditions = derivePodConditions(spec([c('a')]), onNode([running('a')], [], { conditions: [SANDBOX, SCHEDULED, disruption] }), T1);
    expect(conditions.at(-1)).toBe(disruption);
  });
});

describe('setCondition', () => {
  it('adds, replaces in place, keeps the transition time on an unchanged status, never mutates', () => {
    const initial: PodCondition[] = [SCHEDULED];
    const added = setCondition(initial, { type: 'PodReadyToStartContainers', status: 'True' }, T1);
    expect(added).toEqual([SCHEDULED, { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: T1 }]);
    expect(initial).toEqual([SCHEDULED]);
    const same = setCondition(added, { type: 'PodScheduled', status: 'True' }, T1);
    expect(same[0]).toBe(SCHEDULED);
    const flipped = setCondition(added, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }, T1);
    expect(flipped[0]).toEqual({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: T1 });
  });
});
