import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '@flotilla/model';
import { ContainerLogsRequestError, type ContainerLogsRequest } from '@flotilla/node-rpc';
import type { LogReadOptions } from '@flotilla/runtime';
import {
  container,
  containerStarted,
  containerTerminated,
  given,
  nodeRegistered,
  podBound,
  podCreated,
  podSandboxReady,
} from '@flotilla/state/testing';
import { openContainerLogs } from './log-server.ts';

const calls: Array<{ pod: string; container: string; options: LogReadOptions }> = [];
const runtime = {
  readLogs(pod: Pod, c: Container, options: LogReadOptions): AsyncIterable<string> {
    calls.push({ pod: pod.metadata.name, container: c.name, options });
    return (async function* () {
      yield `${c.name} says hi\n`;
    })();
  },
};

const pod = { name: 'web', uid: 'uid-web' };
const state = given(
  nodeRegistered({ name: 'node-1' }),
  podCreated({ ...pod, containers: [container('app'), container('side')], initContainers: [container('init')] }),
  podBound({ ...pod, nodeName: 'node-1' }),
  podSandboxReady({ ...pod, nodeName: 'node-1' }),
  containerTerminated({ ...pod, container: 'init', kind: 'init' }),
  containerStarted({ ...pod, container: 'app' }),
).state();

const request = (overrides: Partial<ContainerLogsRequest> = {}): ContainerLogsRequest => ({
  namespace: 'default',
  name: 'web',
  uid: 'uid-web',
  container: 'app',
  previous: false,
  follow: false,
  timestamps: false,
  ...overrides,
});
const context = (nodeName = 'node-1') => ({ nodeName, signal: new AbortController().signal });

function refusal(fn: () => unknown): ContainerLogsRequestError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ContainerLogsRequestError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('openContainerLogs', () => {
  it('reads the container through the runtime with the request options and the stream signal', async () => {
    calls.length = 0;
    const ctx = context();
    const chunks: string[] = [];
    for await (const chunk of openContainerLogs(state, runtime, request({ follow: true, tailLines: 5, timestamps: true }), ctx)) chunks.push(chunk);
    expect(chunks).toEqual(['app says hi\n']);
    expect(calls).toEqual([{ pod: 'web', container: 'app', options: { previous: false, follow: true, timestamps: true, tailLines: 5, signal: ctx.signal } }]);
    const init: string[] = [];
    for await (const chunk of openContainerLogs(state, runtime, request({ container: 'init' }), context())) init.push(chunk);
    expect(init).toEqual(['init says hi\n']);
  });

  it('refuses pods that are not this instance on this node', () => {
    expect(refusal(() => openContainerLogs(state, runtime, request({ name: 'gone' }), context()))).toMatchObject({
      reason: 'NotFound',
      message: 'pod default/gone (uid uid-web) is not known on node node-1',
    });
    expect(refusal(() => openContainerLogs(state, runtime, request({ uid: 'old-uid' }), context())).reason).toBe('NotFound');
    expect(refusal(() => openContainerLogs(state, runtime, request(), context('node-2'))).message).toBe('pod default/web is bound to node node-1, not to node node-2');
  });

  it('refuses unknown containers and containers without a log, in the kubelet words', () => {
    expect(refusal(() => openContainerLogs(state, runtime, request({ container: 'nope' }), context()))).toMatchObject({
      reason: 'BadRequest',
      message: 'container nope is not valid for pod web',
    });
    expect(refusal(() => openContainerLogs(state, runtime, request({ container: 'side' }), context()))).toMatchObject({
      reason: 'NotFound',
      message: 'container "side" in pod "web" is waiting to start: PodInitializing',
    });
    expect(refusal(() => openContainerLogs(state, runtime, request({ previous: true }), context())).message).toBe(
      'previous terminated container "app" in pod "web" not found',
    );
  });
});
