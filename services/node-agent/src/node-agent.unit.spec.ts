import { afterEach, describe, expect, it } from 'vitest';
import {
  container,
  containerStarted,
  containerTerminated,
  nodeRegistered,
  podAdmissionRejected,
  podBound,
  podCreated,
  podDeleted,
  podDeletionRequested,
  podSandboxReady,
} from '@flotilla/state/testing';
import type { DomainEvent } from '@flotilla/events';
import { SimRuntime, type SandboxRef } from '@flotilla/runtime';
import { waitFor } from '@flotilla/testkit';
import { Cluster, FAST_SIM, nodeConfig } from './test-harness.ts';

let cluster: Cluster;
afterEach(async () => {
  await cluster.close();
});

const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What the node lifecycle controller writes when a pod's toleration of an unreachable node ran out. */
function podEvicted(name = 'pod-1', nodeName = 'node-1'): DomainEvent {
  return {
    type: 'PodEvicted',
    data: { namespace: 'default', name, uid: `uid-${name}`, nodeName, reason: 'NodeLost', message: `Node ${nodeName} which was running pod ${name} is unresponsive` },
  };
}

/** A SimRuntime that also holds sandboxes left from before the agent started (as a real host would). */
class LeftoverRuntime extends SimRuntime {
  readonly removed: SandboxRef[] = [];
  listed: ReadonlySet<string> | undefined;
  constructor(private readonly leftovers: SandboxRef[]) {
    super({ timings: FAST_SIM });
  }
  override async listSandboxes(nodeNames: ReadonlySet<string>): Promise<SandboxRef[]> {
    this.listed = nodeNames;
    return this.leftovers;
  }
  override async removeOrphanSandbox(ref: SandboxRef): Promise<void> {
    this.removed.push(ref);
  }
}

const sandboxOf = (name: string, nodeName = 'node-1'): SandboxRef => ({ uid: `uid-${name}`, namespace: 'default', name, nodeName });

describe('node registration', () => {
  it('registers each hosted node with labels, capacity, taints, a Ready condition and node info', async () => {
    cluster = new Cluster();
    const taints = [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' as const }];
    const { registered } = await cluster.startAgent({
      nodes: [nodeConfig('sim-1', { labels: { zone: 'a' }, taints }), nodeConfig('sim-2', { index: 2 })],
    });
    expect(registered.map((r) => [r.name, r.action]).sort()).toEqual([
      ['sim-1', 'registered'],
      ['sim-2', 'registered'],
    ]);
    const state = await cluster.state();
    const node = state.nodes.get('sim-1')!.node;
    expect(node.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': 'sim-1',
      'kubernetes.io/os': 'linux',
      'node.flotilla.io/runtime': 'sim',
      zone: 'a',
    });
    expect(node.metadata.labels?.['kubernetes.io/arch']).toBeTruthy();
    expect(node.spec.taints).toEqual(taints);
    expect(node.status.capacity).toEqual({ cpu: '4', memory: '8Gi', pods: '110' });
    expect(node.status.allocatable).toEqual(node.status.capacity);
    expect(node.status.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'True', reason: 'KubeletReady' })]);
    expect(node.status.addresses).toEqual([
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: 'sim-1' },
    ]);
    expect(node.status.nodeInfo).toMatchObject({ kubeletVersion: 'flotilla-0.1.0', containerRuntimeVersion: 'sim://0.1.0', operatingSystem: 'linux' });
    // Each node gets its own pod CIDR (from the fold, or derived from its index until the fold assigns them).
    const cidrs = registered.map((r) => r.podCIDR);
    for (const cidr of cidrs) expect(cidr).toMatch(/^10\.244\.\d+\.0\/24$/);
    expect(new Set(cidrs).size).toBe(2);
  });

  it('does not register again on restart when nothing changed, and keeps the uid when the capacity changed', async () => {
    cluster = new Cluster();
    const first = await cluster.startAgent();
    await first.stop();
    const second = await cluster.startAgent();
    await second.stop();
    expect(second.registered[0]).toMatchObject({ action: 'unchanged', uid: first.registered[0]!.uid });
    expect((await cluster.records()).filter((r) => r.event.type === 'NodeRegistered')).toHaveLength(1);

    const third = await cluster.startAgent({ nodes: [nodeConfig('node-1', { capacity: { cpu: '8', memory: '8Gi', pods: '110' } })] });
    expect(third.registered[0]).toMatchObject({ action: 're-registered', uid: first.registered[0]!.uid });
    expect((await cluster.state()).nodes.get('node-1')?.allocatable.cpu).toBe(8000);
  });
});

describe('runtime labels', () => {
  it("carries the runtime's node labels (e.g. its pod network mode); a runtime that changes them re-registers the node", async () => {
    class LabelledRuntime extends SimRuntime {
      override readonly nodeLabels: Readonly<Record<string, string>>;
      constructor(mode: string) {
        super({ timings: FAST_SIM });
        this.nodeLabels = { 'node.flotilla.io/pod-network': mode };
      }
    }
    cluster = new Cluster();
    const first = await cluster.startAgent({ runtime: new LabelledRuntime('netns'), nodes: [nodeConfig('node-1', { labels: { zone: 'a' } })] });
    await first.stop();
    let node = (await cluster.state()).nodes.get('node-1')!.node;
    expect(node.metadata.labels).toMatchObject({ 'node.flotilla.io/pod-network': 'netns', 'node.flotilla.io/runtime': 'sim', zone: 'a' });

    const second = await cluster.startAgent({ runtime: new LabelledRuntime('loopback'), nodes: [nodeConfig('node-1', { labels: { zone: 'a' } })] });
    expect(second.registered[0]!.action).toBe('re-registered');
    node = (await cluster.state()).nodes.get('node-1')!.node;
    expect(node.metadata.labels?.['node.flotilla.io/pod-network']).toBe('loopback');
  });
});

describe('admission', () => {
  it('rejects a bound pod that no longer fits the node (allocatable shrank), with the kubelet reason and message', async () => {
    cluster = new Cluster();
    await cluster.append(nodeRegistered({ name: 'node-1', cpu: '4' }));
    await cluster.append(podCreated({ cpu: '3' }));
    await cluster.append(podBound());
    // The node comes back with less CPU than the pod bound to it requests.
    await cluster.startAgent({ nodes: [nodeConfig('node-1', { capacity: { cpu: '2', memory: '8Gi', pods: '110' } })] });

    const lines = await cluster.waitForTimeline((l) => l.length > 0);
    expect(lines).toEqual(['AdmissionRejected OutOfcpu']);
    const [rejected] = await cluster.eventsOf('PodAdmissionRejected');
    expect(rejected!.data.message).toBe("Node didn't have enough resource: cpu, requested: 3000, used: 0, capacity: 2000");
    const record = await cluster.pod();
    expect(record?.nodeName).toBeUndefined();
    expect(record?.pod.status?.phase).toBe('Pending');
  });
});

describe('fencing', () => {
  it('a pod bound to another node: this node stops it at once and reports nothing more', async () => {
    cluster = new Cluster();
    const { runtime } = await cluster.startAgent();
    await cluster.append(nodeRegistered({ name: 'node-2', podCIDR: '10.244.200.0/24' }));
    await cluster.append(podCreated({ initContainers: [container('proxy', { sidecar: true })] }));
    await cluster.append(podBound());
    await cluster.waitForTimeline((l) => l.includes('Started app#0'));
    expect(runtime.runningContainers('uid-pod-1').sort()).toEqual(['app', 'proxy']);

    // Someone else unbinds it (an eviction, a stale admission rejection) and it is bound elsewhere.
    const fence = await cluster.append(podAdmissionRejected({ reason: 'Evicted', message: 'test' }));
    await cluster.append(podBound({ nodeName: 'node-2', attempt: 2 }));
    await waitFor(() => runtime.runningContainers('uid-pod-1').length === 0 && !runtime.hasSandbox('uid-pod-1'), 2_000);
    await sleepMs(50);
    const late = (await cluster.records()).filter((r) => r.seq > fence && r.event.source === 'node-agent/node-1');
    expect(late).toEqual([]);
    expect((await cluster.pod())?.nodeName).toBe('node-2');
  });

  it('a force-deleted pod (PodDeleted already in the log): everything stops, nothing is reported', async () => {
    cluster = new Cluster();
    const { runtime, agent } = await cluster.startAgent();
    await cluster.append(podCreated({ containers: [container('a'), container('b')] }));
    await cluster.append(podBound());
    await cluster.waitForTimeline((l) => l.includes('Started a#0') && l.includes('Started b#0'));
    const fence = await cluster.append(podDeleted({ reason: 'ForceDeleted' }));
    await waitFor(() => runtime.runningContainers('uid-pod-1').length === 0 && !runtime.hasSandbox('uid-pod-1'), 2_000);
    await sleepMs(50);
    expect((await cluster.records()).filter((r) => r.seq > fence)).toEqual([]);
    expect(agent.worker('default/pod-1')).toBeUndefined();
  });
});

describe('fencing evicted pods', () => {
  it('a pod evicted from this node: it stops at once, keeps its node name in the log, and nothing more is reported for it', async () => {
    cluster = new Cluster();
    const { runtime, agent } = await cluster.startAgent();
    await cluster.append(podCreated({ initContainers: [container('proxy', { sidecar: true })] }));
    await cluster.append(podBound());
    await cluster.waitForTimeline((l) => l.includes('Started app#0'));
    expect(runtime.runningContainers('uid-pod-1').sort()).toEqual(['app', 'proxy']);

    const fence = await cluster.append(podEvicted());
    await waitFor(() => runtime.runningContainers('uid-pod-1').length === 0 && !runtime.hasSandbox('uid-pod-1'), 2_000);
    expect(agent.worker('default/pod-1')).toBeUndefined();
    const record = await cluster.pod();
    expect(record?.evicted).toMatchObject({ reason: 'NodeLost' });
    expect(record?.nodeName).toBe('node-1');
    // Later changes to the evicted pod (its deletion) do not bring a worker back.
    await cluster.append(podDeletionRequested());
    await sleepMs(50);
    expect(agent.worker('default/pod-1')).toBeUndefined();
    const late = (await cluster.records()).filter((r) => r.seq > fence && r.event.source.startsWith('node-agent/'));
    expect(late).toEqual([]);
  });

  it('only the evicted pod stops; the other pods of the node run on', async () => {
    cluster = new Cluster();
    const { runtime } = await cluster.startAgent();
    for (const name of ['gone', 'stays']) {
      await cluster.append(podCreated({ name }));
      await cluster.append(podBound({ name }));
      await cluster.waitForTimeline((l) => l.includes('Started app#0'), `uid-${name}`);
    }
    await cluster.append(podEvicted('gone'));
    await waitFor(() => !runtime.hasSandbox('uid-gone'), 2_000);
    expect(runtime.runningContainers('uid-stays')).toEqual(['app']);
  });

  it('a node agent that comes back after its pods were evicted and replaced does not adopt them and removes their sandboxes', async () => {
    cluster = new Cluster();
    const first = await cluster.startAgent();
    await cluster.append(nodeRegistered({ name: 'node-2', podCIDR: '10.244.200.0/24' }));
    await cluster.append(podCreated({ name: 'lost' }));
    await cluster.append(podBound({ name: 'lost' }));
    await cluster.append(podCreated({ name: 'kept' }));
    await cluster.append(podBound({ name: 'kept' }));
    await cluster.waitForTimeline((l) => l.includes('Started app#0'), 'uid-lost');
    await cluster.waitForTimeline((l) => l.includes('Started app#0'), 'uid-kept');
    await first.stop(); // killed: its containers stay on the host, its lease lapses
    // The controller evicts `lost`; its replacement is bound to node-2.
    const fence = await cluster.append(podEvicted('lost'));
    await cluster.append(podCreated({ name: 'lost-replacement' }));
    await cluster.append(podBound({ name: 'lost-replacement', nodeName: 'node-2' }));

    const runtime = new LeftoverRuntime([sandboxOf('lost'), sandboxOf('kept')]);
    const second = await cluster.startAgent({ runtime });
    expect(runtime.removed.map((ref) => ref.uid)).toEqual(['uid-lost']);
    expect(second.agent.worker('default/lost')).toBeUndefined();
    expect(second.agent.worker('default/kept')).toBeDefined();
    await sleepMs(50);
    const late = (await cluster.records()).filter((r) => r.seq > fence && r.event.source.startsWith('node-agent/') && 'uid' in r.event.data && r.event.data.uid === 'uid-lost');
    expect(late).toEqual([]);
    expect((await cluster.pod('default/lost'))?.pod.status?.phase).toBe('Failed');
  });
});

describe('agent restart: adoption', () => {
  it('adopts running containers without starting them again; restart counts continue; a later deletion is finished by the new agent', async () => {
    cluster = new Cluster();
    const first = await cluster.startAgent();
    await cluster.append(podCreated({ initContainers: [container('setup'), container('proxy', { sidecar: true })], containers: [container('app')] }));
    await cluster.append(podBound());
    await cluster.waitForTimeline((l) => l.includes('Started app#0'));
    await first.stop();

    const second = await cluster.startAgent();
    expect(second.registered[0]!.action).toBe('unchanged');
    await waitFor(() => second.runtime.runningContainers('uid-pod-1').length === 2, 2_000);
    expect(second.runtime.runningContainers('uid-pod-1').sort()).toEqual(['app', 'proxy']);
    await sleepMs(50);
    const before = await cluster.timeline();
    expect(before.filter((l) => l.startsWith('Started'))).toEqual(['Started setup#0', 'Started proxy#0', 'Started app#0']);

    await cluster.append(podDeletionRequested());
    const lines = await cluster.waitForTimeline((l) => l.includes('PodDeleted'));
    expect(lines.slice(before.length)).toEqual(['Terminated app#0 exit=0', 'Terminated proxy#0 exit=0', 'PodSandboxRemoved', 'PodDeleted']);
    expect((await cluster.eventsOf('PodDeleted'))[0]!.source).toBe('node-agent/node-1');
  });

  it('resumes a pod in the middle of init from the first init container that has not completed', async () => {
    cluster = new Cluster();
    const first = await cluster.startAgent();
    await first.stop();
    // What a previous agent got to report before it went away: the sandbox and the first init container.
    await cluster.append(podCreated({ initContainers: [container('one'), container('two')], containers: [container('app')] }));
    await cluster.append(podBound());
    await cluster.append(podSandboxReady({ podIP: '10.244.0.7' }));
    await cluster.append(containerStarted({ container: 'one', kind: 'init' }));
    await cluster.append(containerTerminated({ container: 'one', kind: 'init', exitCode: 0 }));

    const second = await cluster.startAgent();
    const lines = await cluster.waitForTimeline((l) => l.includes('Started app#0'));
    expect(lines).toEqual(['Started two#0', 'Terminated two#0 exit=0', 'Started app#0']);
    expect((await cluster.pod())?.pod.status?.podIP).toBe('10.244.0.7');
    // The adopted IP is taken: the next pod gets another one.
    await cluster.append(podCreated({ name: 'other' }));
    await cluster.append(podBound({ name: 'other' }));
    const other = await cluster.waitForTimeline((l) => l.includes('Started app#0'), 'uid-other');
    expect(other[0]).toBe('SandboxReady 10.244.0.2');
    await second.stop();
  });

  it('a crash-looping container keeps its restart count after the restart', async () => {
    cluster = new Cluster();
    const first = await cluster.startAgent();
    await first.stop();
    await cluster.append(podCreated({ restartPolicy: 'Always' }));
    await cluster.append(podBound());
    await cluster.append(podSandboxReady({ podIP: '10.244.0.2' }));
    await cluster.append(containerStarted({ restartCount: 2 }));
    await cluster.append(containerTerminated({ restartCount: 2, exitCode: 1 }));

    await cluster.startAgent();
    const lines = await cluster.waitForTimeline((l) => l.includes('Started app#3'));
    expect(lines).toEqual(['Waiting app#3 CrashLoopBackOff', 'Started app#3']);
  });

  it('finishes a deletion requested while the agent was down', async () => {
    cluster = new Cluster();
    const first = await cluster.startAgent();
    await cluster.append(podCreated({ initContainers: [container('proxy', { sidecar: true })], containers: [container('app')] }));
    await cluster.append(podBound());
    await cluster.waitForTimeline((l) => l.includes('Started app#0'));
    await first.stop();
    await cluster.append(podDeletionRequested());

    await cluster.startAgent();
    const lines = await cluster.waitForTimeline((l) => l.includes('PodDeleted'));
    expect(lines.slice(-4)).toEqual(['Terminated app#0 exit=0', 'Terminated proxy#0 exit=0', 'PodSandboxRemoved', 'PodDeleted']);
    expect((await cluster.state()).pods.size).toBe(0);
  });
});

describe('agent restart: orphaned sandboxes', () => {
  it("removes sandboxes left on the host whose pod is no longer bound here, and keeps the pods' that are", async () => {
    cluster = new Cluster();
    const first = await cluster.startAgent();
    await cluster.append(podCreated({ name: 'kept' }));
    await cluster.append(podBound({ name: 'kept' }));
    await cluster.append(podCreated({ name: 'gone' }));
    await cluster.append(podBound({ name: 'gone' }));
    await cluster.waitForTimeline((l) => l.includes('Started app#0'), 'uid-kept');
    await cluster.waitForTimeline((l) => l.includes('Started app#0'), 'uid-gone');
    await first.stop();
    // Force-deleted while no agent was there: the log forgets it, the host still has its sandbox.
    await cluster.append(podDeleted({ name: 'gone', reason: 'ForceDeleted' }));

    const runtime = new LeftoverRuntime([sandboxOf('kept'), sandboxOf('gone'), { uid: 'uid-unknown', namespace: '', name: '', nodeName: 'node-1' }]);
    const second = await cluster.startAgent({ runtime });
    expect([...runtime.listed!]).toEqual(['node-1']);
    expect(runtime.removed.map((r) => r.uid)).toEqual(['uid-gone', 'uid-unknown']);
    expect(second.agent.worker('default/kept')).toBeDefined();
  });
});

describe('event log outage', () => {
  it('keeps retrying a report with the same Nats-Msg-Id: stored exactly once when the log is back', async () => {
    cluster = new Cluster();
    await cluster.startAgent();
    await cluster.append(podCreated());
    await cluster.append(podBound());
    cluster.log.simulateOutage(true);
    await sleepMs(150);
    cluster.log.simulateOutage(false);
    const lines = await cluster.waitForTimeline((l) => l.includes('Started app#0'));
    expect(lines).toEqual(['SandboxReady 10.244.0.2', 'Started app#0']);
  });
});

describe('many nodes in one process', () => {
  it('runs pods on each hosted node with IPs from that node’s CIDR', async () => {
    cluster = new Cluster();
    const { registered } = await cluster.startAgent({ nodes: [nodeConfig('n-1'), nodeConfig('n-2', { index: 2 })] });
    await cluster.append(podCreated({ name: 'a' }));
    await cluster.append(podBound({ name: 'a', nodeName: 'n-1' }));
    await cluster.append(podCreated({ name: 'b' }));
    await cluster.append(podBound({ name: 'b', nodeName: 'n-2' }));
    const a = await cluster.waitForTimeline((l) => l.includes('Started app#0'), 'uid-a');
    const b = await cluster.waitForTimeline((l) => l.includes('Started app#0'), 'uid-b');
    const cidr = (name: string): string => registered.find((r) => r.name === name)!.podCIDR.replace(/0\/24$/, '');
    expect(a[0]).toBe(`SandboxReady ${cidr('n-1')}2`);
    expect(b[0]).toBe(`SandboxReady ${cidr('n-2')}2`);
    expect((await cluster.eventsOf('ContainerStarted', 'uid-b'))[0]!.source).toBe('node-agent/n-2');
  });
});
