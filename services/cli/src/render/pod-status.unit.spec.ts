import type { Pod } from '@flotilla/model';
import { describe, expect, it } from 'vitest';
import { summarizePod } from './pod-status.ts';
import { NOW, ago } from './test-fixtures.ts';

function pod(spec: Partial<Pod['spec']>, status: Pod['status'], metadata: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u', creationTimestamp: ago(60), ...metadata },
    spec: { containers: [{ name: 'app' }], ...spec },
    status,
  };
}

const twoInits = { initContainers: [{ name: 'a' }, { name: 'b' }] };

describe('summarizePod (kubectl printPod)', () => {
  it('is the phase when nothing else applies, Pending without a status', () => {
    expect(summarizePod(pod({}, undefined), NOW)).toMatchObject({ ready: '0/1', status: 'Pending', restarts: '0' });
  });

  it('shows Init:N/M while init containers run', () => {
    const status = { phase: 'Pending' as const, initContainerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }] };
    expect(summarizePod(pod(twoInits, status), NOW).status).toBe('Init:0/2');
  });

  it('shows Init:<reason> for a waiting or failed init container', () => {
    const crash = { name: 'a', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } };
    expect(summarizePod(pod(twoInits, { initContainerStatuses: [crash] }), NOW)).toMatchObject({ status: 'Init:CrashLoopBackOff', restarts: '3' });
    const exited = { name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 3 } } };
    expect(summarizePod(pod(twoInits, { initContainerStatuses: [exited] }), NOW).status).toBe('Init:ExitCode:3');
    const signalled = { name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } };
    expect(summarizePod(pod(twoInits, { initContainerStatuses: [signalled] }), NOW).status).toBe('Init:Signal:9');
  });

  it('shows PodInitializing and ContainerCreating from the app containers', () => {
    const waiting = (reason: string) => ({ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason } } });
    expect(summarizePod(pod({}, { phase: 'Pending', containerStatuses: [waiting('PodInitializing')] }), NOW).status).toBe('PodInitializing');
    expect(summarizePod(pod({}, { phase: 'Pending', containerStatuses: [waiting('ContainerCreating')] }), NOW).status).toBe('ContainerCreating');
  });

  it('shows ExitCode and Signal for terminated containers without a reason', () => {
    const terminated = (t: { exitCode: number; signal?: number }) => ({ name: 'app', ready: false, restartCount: 0, state: { terminated: t } });
    expect(summarizePod(pod({}, { phase: 'Failed', containerStatuses: [terminated({ exitCode: 2 })] }), NOW).status).toBe('ExitCode:2');
    expect(summarizePod(pod({}, { phase: 'Failed', containerStatuses: [terminated({ exitCode: 143, signal: 15 })] }), NOW).status).toBe('Signal:15');
  });

  it('shows NotReady when one container completed while another still runs without the Ready condition', () => {
    const spec = { containers: [{ name: 'a' }, { name: 'b' }] };
    const status = {
      phase: 'Running' as const,
      containerStatuses: [
        { name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        { name: 'b', ready: true, restartCount: 0, state: { running: {} } },
      ],
    };
    expect(summarizePod(pod(spec, status), NOW)).toMatchObject({ status: 'NotReady', ready: '1/2' });
    expect(summarizePod(pod(spec, { ...status, conditions: [{ type: 'Ready', status: 'True' }] }), NOW).status).toBe('Running');
  });

  it('counts sidecars toward READY and their restarts toward RESTARTS', () => {
    const spec = { initContainers: [{ name: 'side', restartPolicy: 'Always' as const }, { name: 'setup' }] };
    const status = {
      phase: 'Running' as const,
      conditions: [{ type: 'Initialized', status: 'True' as const }],
      initContainerStatuses: [
        { name: 'side', ready: true, started: true, restartCount: 2, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: ago(30) } } },
        { name: 'setup', ready: false, restartCount: 5, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      ],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: ago(90) } } }],
    };
    // Regular init container restarts no longer count once the pod is initialized.
    expect(summarizePod(pod(spec, status), NOW)).toEqual({ ready: '2/2', status: 'Running', restarts: '3 (30s ago)', restartCount: 3 });
  });

  it('shows Terminating once deletion is requested, unless the phase is terminal; Unknown for a lost node', () => {
    const running = { phase: 'Running' as const };
    expect(summarizePod(pod({}, running, { deletionTimestamp: ago(1) }), NOW).status).toBe('Terminating');
    expect(summarizePod(pod({}, { phase: 'Succeeded' }, { deletionTimestamp: ago(1) }), NOW).status).toBe('Succeeded');
    expect(summarizePod(pod({}, { phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: ago(1) }), NOW).status).toBe('Unknown');
  });

  it('uses the pod reason (Evicted) and SchedulingGated', () => {
    expect(summarizePod(pod({}, { phase: 'Failed', reason: 'Evicted' }), NOW).status).toBe('Evicted');
    expect(summarizePod(pod({}, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }), NOW).status).toBe('SchedulingGated');
  });
});
