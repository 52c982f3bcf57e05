import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { waitFor } from '@flotilla/testkit';
import { pidsMatching, requireRootAndIp } from './support/process-pods.ts';
import { FAST_SIM, podManifest, startTestCluster, type PodJson, type TestCluster } from './support/test-cluster.ts';

// Nodes that die and pods that come back: leases in a KV bucket, the node lifecycle controller
// (NotReady after the grace, the unreachable NoExecute taint at a limited rate, evictions after the
// toleration), the ReplicaSet controller replacing what was lost, and fencing of a node that returns.
// Timings are shortened by configuration; the behaviour is Kubernetes'.

const LEASE = ['--lease-renew-ms', '300', '--lease-duration-s', '2'];
const GRACE_MS = 1_500;
const TOLERATION_S = 4;

interface ReplicaSetJson {
  metadata: { name: string; uid: string };
  spec: { replicas: number };
  status?: { replicas: number; readyReplicas?: number; availableReplicas?: number };
}

interface NodeJsonFull {
  metadata: { name: string };
  spec: { unschedulable?: boolean; taints?: Array<{ key: string; effect: string; timeAdded?: string }> };
  status: { conditions?: Array<{ type: string; status: string; reason?: string }> };
}

function replicaSet(name: string, replicas: number, container: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 1, containers: [container] } },
    },
  };
}

const ownedBy = (pod: PodJson & { metadata: { ownerReferences?: Array<{ uid: string }> } }, uid: string): boolean =>
  pod.metadata.ownerReferences?.some((ref) => ref.uid === uid) === true;
/** What a ReplicaSet counts: not being deleted, not finished, not evicted. */
const isActive = (pod: PodJson): boolean => pod.metadata.deletionTimestamp === undefined && pod.status?.phase !== 'Failed' && pod.status?.phase !== 'Succeeded';
const readyCondition = (node: NodeJsonFull): string | undefined => node.status.conditions?.find((c) => c.type === 'Ready')?.status;

describe('nodes that fail and pods that come back', () => {
  let t: TestCluster;

  beforeAll(async () => {
    requireRootAndIp(); // node-a runs real processes, so a returning node visibly stops what was replaced
    t = await startTestCluster({
      nodes: 0,
      env: { FLOTILLA_DEFAULT_UNREACHABLE_TOLERATION_SECONDS: String(TOLERATION_S), FLOTILLA_DEFAULT_NOT_READY_TOLERATION_SECONDS: String(TOLERATION_S) },
      // A node killed before its first lease renewal reached the controller is judged by the startup
      // grace (it never reported), so that is shortened too.
      controllerArgs: ['--node-monitor-grace-ms', String(GRACE_MS), '--node-startup-grace-ms', '3000', '--eviction-rate', '1', '--sync-period-ms', '200'],
    });
  });

  beforeEach(() => {
    // The services' own words are what explains a failure here.
    onTestFailed(() => {
      process.stderr.write(`\n--- service output ---\n${t.cluster.tails()}\n`);
    });
  });

  afterAll(async () => {
    await t?.stop();
  });

  async function pods(): Promise<Array<PodJson & { metadata: { ownerReferences?: Array<{ uid: string }> } }>> {
    return t.api.pods();
  }

  async function nodes(): Promise<NodeJsonFull[]> {
    return (await t.api.request<{ items: NodeJsonFull[] }>('GET', '/api/v1/nodes')).body.items;
  }

  async function node(name: string): Promise<NodeJsonFull> {
    return (await t.api.request<NodeJsonFull>('GET', `/api/v1/nodes/${name}`)).body;
  }

  async function createReplicaSet(manifest: Record<string, unknown>): Promise<ReplicaSetJson> {
    const response = await t.api.request<ReplicaSetJson>('POST', '/apis/apps/v1/namespaces/default/replicasets', manifest);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body;
  }

  async function scale(name: string, replicas: number): Promise<void> {
    const response = await t.api.request('PUT', `/apis/apps/v1/namespaces/default/replicasets/${name}/scale`, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name }, spec: { replicas } });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
  }

  /** Polls the ReplicaSet's active pods until `done`, failing if their number ever exceeds `max`. */
  async function watchCount(uid: string, max: number, done: (active: PodJson[]) => boolean, timeoutMs: number): Promise<PodJson[]> {
    let active: PodJson[] = [];
    let peak = 0;
    await waitFor(async () => {
      active = (await pods()).filter((p) => ownedBy(p, uid) && isActive(p));
      peak = Math.max(peak, active.length);
      return done(active);
    }, timeoutMs, { intervalMs: 50 });
    expect(peak).toBeLessThanOrEqual(max);
    return active;
  }

  it('replaces the pods of a killed node and never runs more than the replicas; the returning node stops what was replaced', async () => {
    const marker = `flotilla-e2e-heal-${process.pid}`;
    // node-a runs real processes; node-b and node-c are simulated.
    const stateDir = join(t.cluster.options.dataDir, 'agent-a');
    const agentA = t.cluster.add('agent-a', 'node-agent', ['--name', 'node-a', '--runtime', 'process', '--pod-network', 'netns', '--state-dir', stateDir, '--pods', '5', ...LEASE]);
    await waitFor(async () => (await nodes()).some((n) => n.metadata.name === 'node-a' && readyCondition(n) === 'True'), 20_000);
    const rs = await createReplicaSet(
      replicaSet('heal', 5, { name: 'main', image: 'flotilla.local/shell', command: ['/bin/sh', '-c', `trap 'exit 0' TERM; while true; do sleep 0.2; done # ${marker}`] }),
    );
    const first = await watchCount(rs.metadata.uid, 5, (active) => active.length === 5 && active.every((p) => p.status?.phase === 'Running'), 30_000);
    expect(new Set(first.map((p) => p.spec.nodeName))).toEqual(new Set(['node-a']));
    expect(pidsMatching(marker)).toHaveLength(5);

    t.cluster.add('agent-bc', 'node-agent', ['--nodes', '2', '--name-prefix', 'node-x', ...FAST_SIM, ...LEASE]);
    await waitFor(async () => (await nodes()).filter((n) => readyCondition(n) === 'True').length === 3, 20_000);
    await scale('heal', 9);
    await watchCount(rs.metadata.uid, 9, (active) => active.length === 9 && active.every((p) => p.status?.phase === 'Running'), 30_000);

    await agentA.kill(); // its containers keep running, as on a partitioned node
    const killedAt = Date.now();
    await waitFor(async () => readyCondition(await node('node-a')) === 'Unknown', 20_000);
    // The grace counts from the last renewal, which came up to one renew interval (300 ms) before the
    // kill, plus the renewer's batch window (renewals due within 50 ms go out together, so up to 50 ms early).
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(GRACE_MS - 300 - 50);
    const tainted = await node('node-a');
    expect(tainted.spec.taints?.map((taint) => `${taint.key}:${taint.effect}`)).toContain('node.kubernetes.io/unreachable:NoSchedule');

    // Evicted after the toleration; five replacements run on the other nodes; never more than 9 active.
    const healed = await watchCount(rs.metadata.uid, 9, (active) => active.length === 9 && active.every((p) => p.spec.nodeName !== 'node-a' && p.status?.phase === 'Running'), 60_000);
    expect(healed.filter((p) => p.spec.nodeName !== 'node-a')).toHaveLength(9);
    const evicted = (await pods()).filter((p) => ownedBy(p, rs.metadata.uid) && p.spec.nodeName === 'node-a');
    expect(evicted).toHaveLength(5);
    for (const pod of evicted) expect(pod.status?.phase).toBe('Failed');
    const noExecute = (await node('node-a')).spec.taints!.find((taint) => taint.effect === 'NoExecute')!;
    const evictions = (await t.api.events()).filter((e) => e.reason === 'TaintManagerEviction');
    expect(evictions.length).toBeGreaterThanOrEqual(5);
    expect(Date.parse(noExecute.timeAdded!)).toBeGreaterThan(killedAt);
    expect(pidsMatching(marker)).toHaveLength(5); // nobody told node-a yet

    // node-a comes back: it learns its pods were evicted and stops them at once.
    agentA.start();
    await waitFor(async () => readyCondition(await node('node-a')) === 'True', 20_000);
    await waitFor(() => pidsMatching(marker).length === 0, 20_000);
    expect((await node('node-a')).spec.taints ?? []).toEqual([]);
    for (const pod of (await pods()).filter((p) => evicted.some((e) => e.metadata.uid === p.metadata.uid))) expect(pod.status?.phase).toBe('Failed');
    await t.api.request('DELETE', '/apis/apps/v1/namespaces/default/replicasets/heal');
    await waitFor(async () => (await pods()).filter((p) => ownedBy(p, rs.metadata.uid) && isActive(p)).length === 0, 30_000);
  });

  it('cancels the eviction when the node comes back before the toleration runs out', async () => {
    const agentD = t.cluster.add('agent-d', 'node-agent', ['--name', 'node-d', ...FAST_SIM, ...LEASE]);
    await waitFor(async () => (await nodes()).some((n) => n.metadata.name === 'node-d' && readyCondition(n) === 'True'), 20_000);
    const pod = podManifest('stays', { nodeName: 'node-d', containers: [{ name: 'c', image: 'x' }] });
    expect((await t.api.createPod(pod)).status).toBe(201);
    await t.api.waitForPod('stays', (p) => p.status?.phase === 'Running', 20_000);

    await agentD.kill();
    await waitFor(async () => readyCondition(await node('node-d')) === 'Unknown', 20_000);
    agentD.start();
    await waitFor(async () => readyCondition(await node('node-d')) === 'True', 20_000);
    // Past the toleration: nothing was evicted and the pod still runs on node-d.
    await new Promise((resolve) => setTimeout(resolve, (TOLERATION_S + 1) * 1_000));
    const after = await t.api.pod('stays');
    expect(after.status?.phase).toBe('Running');
    expect(after.spec.nodeName).toBe('node-d');
    expect((await t.api.events('stays')).some((e) => e.reason === 'TaintManagerEviction')).toBe(false);
    await t.api.request('DELETE', '/api/v1/namespaces/default/pods/stays');
  });

  it('keeps a pod that tolerates the unreachable taint bound for its tolerationSeconds', async () => {
    const agentE = t.cluster.add('agent-e', 'node-agent', ['--name', 'node-e', ...FAST_SIM, ...LEASE]);
    await waitFor(async () => (await nodes()).some((n) => n.metadata.name === 'node-e' && readyCondition(n) === 'True'), 20_000);
    const tolerates = podManifest('patient', {
      nodeName: 'node-e',
      tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 8 }],
      containers: [{ name: 'c', image: 'x' }],
    });
    const impatient = podManifest('impatient', { nodeName: 'node-e', tolerations: [], containers: [{ name: 'c', image: 'x' }] });
    expect((await t.api.createPod(tolerates)).status).toBe(201);
    expect((await t.api.createPod(impatient)).status).toBe(201);
    await t.api.waitForPod('patient', (p) => p.status?.phase === 'Running', 20_000);

    await agentE.kill();
    await waitFor(async () => (await node('node-e')).spec.taints?.some((taint) => taint.effect === 'NoExecute') === true, 20_000);
    const taintedAt = Date.parse((await node('node-e')).spec.taints!.find((taint) => taint.effect === 'NoExecute')!.timeAdded!);
    // The default toleration (TOLERATION_S) applies to `impatient`; `patient` asked for 8 s.
    await t.api.waitForPod('impatient', (p) => p.status?.phase === 'Failed', 20_000);
    const patientFailed = await t.api.waitForPod('patient', (p) => p.status?.phase === 'Failed', 30_000);
    expect(patientFailed.status?.phase).toBe('Failed');
    const eviction = (await t.api.events('patient')).find((e) => e.reason === 'TaintManagerEviction')!;
    expect(eviction).toBeDefined();
    expect(Date.parse(eviction.firstTimestamp!) - taintedAt).toBeGreaterThanOrEqual(8_000 - 1_000); // timestamps may have whole seconds
    agentE.start();
  });

  it('spreads the eviction taints of many dead nodes at the configured rate', async () => {
    const agent = t.cluster.add('agent-many', 'node-agent', ['--nodes', '10', '--name-prefix', 'dead', ...FAST_SIM, ...LEASE]);
    await waitFor(async () => (await nodes()).filter((n) => n.metadata.name.startsWith('dead-') && readyCondition(n) === 'True').length === 10, 20_000);
    await agent.kill();
    await waitFor(async () => (await nodes()).filter((n) => n.metadata.name.startsWith('dead-') && n.spec.taints?.some((taint) => taint.effect === 'NoExecute')).length === 10, 40_000);
    const times = (await nodes())
      .filter((n) => n.metadata.name.startsWith('dead-'))
      .map((n) => Date.parse(n.spec.taints!.find((taint) => taint.effect === 'NoExecute')!.timeAdded!))
      .sort((a, b) => a - b);
    // --eviction-rate 1: one node per second (burst 1), so ten nodes take at least ~9 s.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(8_000);
    agent.start();
  });

  it('scales 3 -> 10 -> 2 exactly, deletes its pods with it, and survives a controller restart mid scale-up', async () => {
    const rs = await createReplicaSet(replicaSet('web', 3, { name: 'c', image: 'x' }));
    await watchCount(rs.metadata.uid, 3, (active) => active.length === 3, 20_000);
    await scale('web', 10);
    await watchCount(rs.metadata.uid, 10, (active) => active.length === 10, 20_000);
    await scale('web', 2);
    await watchCount(rs.metadata.uid, 10, (active) => active.length === 2, 20_000);
    const status = (await t.api.request<ReplicaSetJson>('GET', '/apis/apps/v1/namespaces/default/replicasets/web')).body;
    await waitFor(async () => (await t.api.request<ReplicaSetJson>('GET', '/apis/apps/v1/namespaces/default/replicasets/web')).body.status?.replicas === 2, 10_000);
    expect(status.spec.replicas).toBe(2);

    const controller = t.cluster.service('controller');
    await scale('web', 30);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await controller.kill();
    controller.start();
    const active = await watchCount(rs.metadata.uid, 30, (pods) => pods.length === 30, 40_000);
    expect(new Set(active.map((p) => p.metadata.name)).size).toBe(30);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await pods()).filter((p) => ownedBy(p, rs.metadata.uid) && isActive(p))).toHaveLength(30);

    await t.api.request('DELETE', '/apis/apps/v1/namespaces/default/replicasets/web');
    await waitFor(async () => (await pods()).filter((p) => ownedBy(p, rs.metadata.uid)).length === 0, 30_000);
  });
});
