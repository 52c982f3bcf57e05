import { describe, expect, it } from 'vitest';
import type { ContainerState, Pod } from '@flotilla/model';
import { containerLogStatusProblem, containerNames, findContainer } from './log-status.ts';
import { splitChunk } from './logs-server.ts';
import { logsSubject, nodeSubjectToken } from './subjects.ts';

describe('node subject tokens', () => {
  it('keeps plain names and escapes dots and anything else, reversibly', () => {
    expect(nodeSubjectToken('node-1')).toBe('node-1');
    expect(nodeSubjectToken('worker.example.com')).toBe('worker_2eexample_2ecom');
    expect(nodeSubjectToken('a_b')).toBe('a_5fb');
    expect(nodeSubjectToken('a*b>c d')).toBe('a_2ab_3ec_20d');
    expect(nodeSubjectToken('é')).toBe('_c3_a9');
    expect(nodeSubjectToken('a.b')).not.toBe(nodeSubjectToken('a_b'));
    expect(() => nodeSubjectToken('')).toThrow(RangeError);
    expect(logsSubject('big-1')).toBe('flotilla.node.big-1.logs');
  });
});

describe('splitChunk', () => {
  it('splits at the limit without cutting a surrogate pair', () => {
    expect(splitChunk('abc', 5)).toEqual(['abc']);
    expect(splitChunk('abcdefg', 3)).toEqual(['abc', 'def', 'g']);
    const emoji = 'ab😀cd';
    const pieces = splitChunk(emoji, 3);
    expect(pieces.join('')).toBe(emoji);
    expect(pieces).toEqual(['ab', '😀c', 'd']);
  });
});

const pod = (status: Pod['status'], initContainers: string[] = []): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u' },
    spec: { containers: [{ name: 'app', image: 'x' }, { name: 'side', image: 'x' }], initContainers: initContainers.map((name) => ({ name, image: 'x' })) },
    status,
  }) as Pod;

describe('containerLogStatusProblem (the kubelet words)', () => {
  it('says a container without a status is waiting to start', () => {
    expect(containerLogStatusProblem(pod({ phase: 'Pending' }), 'app', false)).toBe('container "app" in pod "web" is waiting to start: ContainerCreating');
    expect(containerLogStatusProblem(pod({ phase: 'Pending' }, ['init']), 'app', false)).toBe('container "app" in pod "web" is waiting to start: PodInitializing');
  });

  it('uses the waiting reason, and lets running, terminated and restarted containers through', () => {
    const status = (state: ContainerState, lastState?: ContainerState) => pod({ containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state, ...(lastState ? { lastState } : {}) }] });
    expect(containerLogStatusProblem(status({ waiting: { reason: 'CreateContainerConfigError' } }), 'app', false)).toBe(
      'container "app" in pod "web" is waiting to start: CreateContainerConfigError',
    );
    expect(containerLogStatusProblem(status({ running: {} }), 'app', false)).toBeUndefined();
    expect(containerLogStatusProblem(status({ terminated: { exitCode: 0 } }), 'app', false)).toBeUndefined();
    const crashLooping = status({ waiting: { reason: 'CrashLoopBackOff' } }, { terminated: { exitCode: 1 } });
    expect(containerLogStatusProblem(crashLooping, 'app', false)).toBeUndefined();
    expect(containerLogStatusProblem(crashLooping, 'app', true)).toBeUndefined();
    expect(containerLogStatusProblem(status({ running: {} }), 'app', true)).toBe('previous terminated container "app" in pod "web" not found');
    expect(containerLogStatusProblem(status({}), 'app', false)).toBe('container "app" in pod "web" is waiting to start - no logs yet');
  });

  it('finds init containers too', () => {
    const p = pod({ initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } }] }, ['init']);
    expect(containerLogStatusProblem(p, 'init', false)).toBeUndefined();
    expect(findContainer(p, 'init')?.name).toBe('init');
    expect(findContainer(p, 'nope')).toBeUndefined();
    expect(containerNames(p)).toEqual({ containers: ['app', 'side'], initContainers: ['init'] });
  });
});
