import { afterEach, describe, expect, it } from 'vitest';
import type { PodCreated } from '@flotilla/events';
import { container, podBound, podCreated, podDeletionRequested, type PodInput } from '@flotilla/state/testing';
import { Cluster, indexOf } from './test-harness.ts';

let cluster: Cluster;
afterEach(async () => {
  await cluster.close();
});

function pod(input: PodInput & { annotations?: Record<string, string> } = {}): PodCreated {
  const { annotations, ...rest } = input;
  const event = podCreated(rest);
  if (annotations) event.data.pod.metadata.annotations = annotations;
  return event;
}

async function createAndBind(input: PodInput & { annotations?: Record<string, string> } = {}): Promise<void> {
  await cluster.append(pod(input));
  await cluster.append(podBound({ ...(input.name !== undefined ? { name: input.name } : {}) }));
}

describe('pod worker: init containers, then app containers', () => {
  it('runs the init container to completion before either app container starts; both share one pod IP', async () => {
    cluster = new Cluster();
    const { registered } = await cluster.startAgent();
    await createAndBind({ initContainers: [container('init')], containers: [container('web'), container('helper')] });

    const lines = await cluster.waitForTimeline((l) => l.includes('Started web#0') && l.includes('Started helper#0'));
    const initDone = indexOf(lines, 'Terminated init#0 exit=0');
    expect(indexOf(lines, 'Started init#0')).toBeLessThan(initDone);
    expect(indexOf(lines, 'Started web#0')).toBeGreaterThan(initDone);
    expect(indexOf(lines, 'Started helper#0')).toBeGreaterThan(initDone);
    expect(lines[0]).toMatch(/^SandboxReady /);

    // One IP for the pod (what every container uses), the lowest one of the node's CIDR.
    const cidr = registered[0]!.podCIDR;
    const prefix = cidr.replace(/\.0\/24$/, '.');
    const sandboxes = await cluster.eventsOf('PodSandboxReady');
    expect(sandboxes).toHaveLength(1);
    expect(sandboxes[0]!.data).toMatchObject({ podIP: `${prefix}2`, hostIP: '127.0.0.1', nodeName: 'node-1' });
    expect(sandboxes[0]!.source).toBe('node-agent/node-1');
    const record = await cluster.pod();
    expect(record?.pod.status?.podIP).toBe(`${prefix}2`);
    expect(record?.pod.status?.phase).toBe('Running');
    expect(record?.pod.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
  });

  it('starts a sidecar before the next init container and stops it last, after the app container, in reverse order', async () => {
    cluster = new Cluster();
    await cluster.startAgent();
    await createAndBind({
      restartPolicy: 'Never',
      annotations: { 'sim.flotilla.io/run-seconds': '0.05' },
      initContainers: [container('proxy', { sidecar: true }), container('logs', { sidecar: true }), container('migrate')],
      containers: [container('app')],
    });

    const lines = await cluster.waitForTimeline((l) => l.includes('PodSandboxRemoved'));
    expect(lines).toEqual([
      'SandboxReady 10.244.0.2',
      'Started proxy#0',
      'Started logs#0',
      'Started migrate#0',
      'Terminated migrate#0 exit=0',
      'Started app#0',
      'Terminated app#0 exit=0',
      'Terminated logs#0 exit=0',
      'Terminated proxy#0 exit=0',
      'PodSandboxRemoved',
    ]);
    const record = await cluster.pod();
    expect(record?.pod.status?.phase).toBe('Succeeded');
    expect((await cluster.state()).nodes.get('node-1')?.podIPs.size).toBe(0);
  });

  it('restartPolicy Never with a failing init container: the pod fails, no app container starts', async () => {
    cluster = new Cluster();
    await cluster.startAgent();
    await createAndBind({
      restartPolicy: 'Never',
      annotations: { 'sim.flotilla.io/init-exit-code': '3' },
      initContainers: [container('proxy', { sidecar: true }), container('setup')],
      containers: [container('app')],
    });

    const lines = await cluster.waitForTimeline((l) => l.includes('PodSandboxRemoved'));
    expect(lines).toEqual([
      'SandboxReady 10.244.0.2',
      'Started proxy#0',
      'Started setup#0',
      'Terminated setup#0 exit=3',
      'Terminated proxy#0 exit=0',
      'PodSandboxRemoved',
    ]);
    expect((await cluster.pod())?.pod.status?.phase).toBe('Failed');
  });

  it('restarts a failing init container with CrashLoopBackOff, doubling the back-off up to the cap', async () => {
    cluster = new Cluster();
    await cluster.startAgent();
    await createAndBind({
      restartPolicy: 'OnFailure',
      annotations: { 'sim.flotilla.io/init-exit-code': '1' },
      initContainers: [container('setup')],
      containers: [container('app')],
    });

    const lines = await cluster.waitForTimeline((l) => l.includes('Started setup#4'), 'uid-pod-1', 10_000);
    expect(lines.slice(0, 8)).toEqual([
      'SandboxReady 10.244.0.2',
      'Started setup#0',
      'Terminated setup#0 exit=1',
      'Waiting setup#1 CrashLoopBackOff',
      'Started setup#1',
      'Terminated setup#1 exit=1',
      'Waiting setup#2 CrashLoopBackOff',
      'Started setup#2',
    ]);
    expect(lines).not.toContain('Started app#0');
    const waits = await cluster.eventsOf('ContainerWaiting');
    expect(waits.slice(0, 4).map((w) => w.data.message?.replace(/ restarting.*/, ''))).toEqual([
      'back-off 20ms',
      'back-off 40ms',
      'back-off 80ms',
      'back-off 80ms',
    ]);
    expect(waits[0]!.data.message).toBe('back-off 20ms restarting failed container=setup pod=pod-1_default(uid-pod-1)');
    const record = await cluster.pod();
    expect(record?.pod.status?.phase).toBe('Pending');
  });

  it('restartPolicy OnFailure restarts a failed app container, Always restarts even a successful one, Never leaves it', async () => {
    cluster = new Cluster();
    await cluster.startAgent();
    const exitOne = { 'sim.flotilla.io/run-seconds': '0.01', 'sim.flotilla.io/exit-code': '1' };
    const exitZero = { 'sim.flotilla.io/run-seconds': '0.01' };
    await createAndBind({ name: 'on-failure', restartPolicy: 'OnFailure', annotations: exitOne });
    await createAndBind({ name: 'always', restartPolicy: 'Always', annotations: exitZero });
    await createAndBind({ name: 'never', restartPolicy: 'Never', annotations: exitOne });

    await cluster.waitForTimeline((l) => l.includes('Started app#2'), 'uid-on-failure');
    await cluster.waitForTimeline((l) => l.includes('Started app#2'), 'uid-always');
    const never = await cluster.waitForTimeline((l) => l.includes('PodSandboxRemoved'), 'uid-never');
    expect(never.slice(1)).toEqual(['Started app#0', 'Terminated app#0 exit=1', 'PodSandboxRemoved']);
    expect((await cluster.pod('default/never'))?.pod.status?.phase).toBe('Failed');
    expect((await cluster.pod('default/always'))?.pod.status?.containerStatuses?.[0]?.restartCount).toBeGreaterThanOrEqual(2);
  });
});

describe('pod worker: deletion', () => {
  it('stops app containers, then sidecars in reverse order, removes the sandbox (freeing the IP), then deletes the pod', async () => {
    cluster = new Cluster();
    await cluster.startAgent();
    await createAndBind({
      initContainers: [container('proxy', { sidecar: true }), container('logs', { sidecar: true })],
      containers: [container('web'), container('worker')],
    });
    await cluster.waitForTimeline((l) => l.includes('Started web#0') && l.includes('Started worker#0'));
    expect((await cluster.state()).nodes.get('node-1')?.podIPs.get('10.244.0.2')).toBe('default/pod-1');

    await cluster.append(podDeletionRequested({ gracePeriodSeconds: 30 }));
    const lines = await cluster.waitForTimeline((l) => l.includes('PodDeleted'));
    const tail = lines.slice(lines.indexOf('Started worker#0') + 1);
    expect(tail.slice(0, 2).sort()).toEqual(['Terminated web#0 exit=0', 'Terminated worker#0 exit=0']);
    expect(tail.slice(2)).toEqual(['Terminated logs#0 exit=0', 'Terminated proxy#0 exit=0', 'PodSandboxRemoved', 'PodDeleted']);

    const state = await cluster.state();
    expect(state.pods.has('default/pod-1')).toBe(false);
    expect(state.nodes.get('node-1')?.podIPs.size).toBe(0);
    expect(state.nodes.get('node-1')?.requested.pods ?? 0).toBe(0);
  });

  it('a container that outlives the grace period is killed (exit 137)', async () => {
    cluster = new Cluster();
    await cluster.startAgent({ sim: { stopMs: 5_000 } });
    await createAndBind();
    await cluster.waitForTimeline((l) => l.includes('Started app#0'));
    await cluster.append(podDeletionRequested({ gracePeriodSeconds: 0 }));
    const lines = await cluster.waitForTimeline((l) => l.includes('PodDeleted'));
    expect(lines.slice(-3)).toEqual(['Terminated app#0 exit=137', 'PodSandboxRemoved', 'PodDeleted']);
  });

  it('deletes a pod that finished earlier without stopping anything again', async () => {
    cluster = new Cluster();
    await cluster.startAgent();
    await createAndBind({ restartPolicy: 'Never', annotations: { 'sim.flotilla.io/run-seconds': '0' } });
    await cluster.waitForTimeline((l) => l.includes('PodSandboxRemoved'));
    await cluster.append(podDeletionRequested());
    const lines = await cluster.waitForTimeline((l) => l.includes('PodDeleted'));
    expect(lines).toEqual(['SandboxReady 10.244.0.2', 'Started app#0', 'Terminated app#0 exit=0', 'PodSandboxRemoved', 'PodDeleted']);
  });
});

describe('pod worker: pod IPs', () => {
  it('gives two pods distinct IPs and reuses the lowest freed one', async () => {
    cluster = new Cluster();
    await cluster.startAgent();
    await createAndBind({ name: 'a' });
    await createAndBind({ name: 'b' });
    await cluster.waitForTimeline((l) => l.includes('Started app#0'), 'uid-a');
    await cluster.waitForTimeline((l) => l.includes('Started app#0'), 'uid-b');
    const ipOf = async (uid: string): Promise<string | undefined> => (await cluster.eventsOf('PodSandboxReady', uid))[0]?.data.podIP;
    expect([await ipOf('uid-a'), await ipOf('uid-b')].sort()).toEqual(['10.244.0.2', '10.244.0.3']);

    const freed = await ipOf('uid-a');
    await cluster.append(podDeletionRequested({ name: 'a' }));
    await cluster.waitForTimeline((l) => l.includes('PodDeleted'), 'uid-a');
    await createAndBind({ name: 'c' });
    await cluster.waitForTimeline((l) => l.includes('Started app#0'), 'uid-c');
    expect(await ipOf('uid-c')).toBe(freed);
  });
});
