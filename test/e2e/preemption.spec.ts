import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuToMillis } from '@flotilla/model';
import { waitFor } from '@flotilla/testkit';
import { FAST_SIM, podManifest, startTestCluster, type PodJson, type TestCluster } from './support/test-cluster.ts';

/** The pod as the API returns it, with the preemption field the shared PodJson does not name. */
type Pod = PodJson & { status?: PodJson['status'] & { nominatedNodeName?: string } };

const oneCpu = (priorityClassName: string, extra: Record<string, unknown> = {}) => ({
  priorityClassName,
  terminationGracePeriodSeconds: 5,
  containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '1', memory: '64Mi' } } }],
  ...extra,
});

describe('preemption across real processes', () => {
  let t: TestCluster;

  beforeAll(async () => {
    t = await startTestCluster({ nodes: 2, nodeAgentArgs: [...FAST_SIM, '--cpu', '2', '--memory', '4Gi', '--pods', '20'] });
    await waitFor(async () => (await t.api.nodes()).length === 2, 20_000);
  });

  afterAll(async () => {
    await t?.stop();
  });

  /** Bound pods' cpu requests per node never exceed the node's allocatable. */
  async function expectNoNodeOverCapacity(): Promise<void> {
    const allocatable = new Map((await t.api.nodes()).map((node) => [node.metadata.name, cpuToMillis(node.status.allocatable.cpu!)]));
    const used = new Map<string, number>();
    for (const pod of await t.api.pods()) {
      const node = pod.spec.nodeName;
      // Pods that no longer hold their share (stopped, terminal) do not count.
      if (node === undefined || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      if (pod.status?.conditions?.some((c) => c.type === 'PodReadyToStartContainers' && c.status === 'False')) continue;
      used.set(node, (used.get(node) ?? 0) + 1000);
    }
    for (const [node, millis] of used) expect(millis, `cpu requested on ${node}`).toBeLessThanOrEqual(allocatable.get(node) ?? 0);
  }

  it('a high-priority pod evicts exactly one low-priority pod gracefully, is nominated, then runs in its place', async () => {
    // 2 nodes x 2 CPU, filled by 4 low-priority pods of 1 CPU.
    for (let i = 1; i <= 4; i++) expect((await t.api.createPod(podManifest(`low-${i}`, oneCpu('low-priority')))).status).toBe(201);
    await waitFor(async () => (await t.api.pods()).filter((p) => p.status?.phase === 'Running').length === 4, 30_000, { intervalMs: 100 });
    const before = new Map((await t.api.pods()).map((p) => [p.metadata.name, p]));
    const perNode = new Map<string, number>();
    for (const pod of before.values()) perNode.set(pod.spec.nodeName!, (perNode.get(pod.spec.nodeName!) ?? 0) + 1);
    expect([...perNode.values()]).toEqual([2, 2]);
    await expectNoNodeOverCapacity();

    expect((await t.api.createPod(podManifest('high', oneCpu('high-priority')))).status).toBe(201);

    // The pod is nominated to the node its victim is leaving (polled: it lasts until it binds).
    let nominated: string | undefined;
    await waitFor(
      async () => {
        const pod = (await t.api.pod('high')) as Pod;
        nominated ??= pod.status?.nominatedNodeName;
        return nominated !== undefined || pod.spec.nodeName !== undefined;
      },
      20_000,
      { intervalMs: 20 },
    );
    expect(nominated, 'status.nominatedNodeName recorded before binding').toBeDefined();

    const high = (await t.api.waitForPod('high', (p) => p.status?.phase === 'Running', 30_000)) as Pod;
    expect(high.spec.nodeName).toBe(nominated);
    expect(high.status?.nominatedNodeName).toBeUndefined();

    // Exactly one victim: a low-priority pod from that node, now gone.
    await waitFor(async () => (await t.api.pods()).length === 4, 20_000, { intervalMs: 100 });
    const after = await t.api.pods();
    const gone = [...before.keys()].filter((name) => !after.some((p) => p.metadata.name === name));
    expect(gone).toHaveLength(1);
    const victim = before.get(gone[0]!)!;
    expect(victim.spec.nodeName).toBe(nominated);
    expect((await t.api.request('GET', `/api/v1/namespaces/default/pods/${victim.metadata.name}`)).status).toBe(404);
    // The other three still run where they were.
    for (const pod of after.filter((p) => p.metadata.name !== 'high')) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.spec.nodeName).toBe(before.get(pod.metadata.name)!.spec.nodeName);
    }

    // The victim was told why, and its node stopped its container (graceful deletion, not a force delete).
    const victimEvents = await t.api.events(victim.metadata.name);
    const preempted = victimEvents.find((e) => e.reason === 'Preempted');
    expect(preempted).toMatchObject({ type: 'Normal', message: `Preempted by pod ${high.metadata.uid} on node ${nominated}` });
    expect(victimEvents.some((e) => e.reason === 'Killing' && e.message === 'Stopping container app')).toBe(true);

    // The preemptor's own story: FailedScheduling (the plain message, it nominated), then Scheduled.
    const highEvents = await t.api.events('high');
    expect(highEvents.find((e) => e.reason === 'FailedScheduling')?.message).toBe('0/2 nodes are available: 2 Insufficient cpu.');
    expect(highEvents.some((e) => e.reason === 'Scheduled' && e.message === `Successfully assigned default/high to ${nominated}`)).toBe(true);
    await expectNoNodeOverCapacity();
  });

  it('a pod that may not preempt (preemptionPolicy Never) waits and says why; one of equal priority finds no victims', async () => {
    expect((await t.api.createPod(podManifest('polite', oneCpu('high-priority', { preemptionPolicy: 'Never' })))).status).toBe(201);
    expect((await t.api.createPod(podManifest('low-5', oneCpu('low-priority')))).status).toBe(201);
    const failed = async (name: string) => (await t.api.events(name)).find((e) => e.reason === 'FailedScheduling')?.message;
    await waitFor(async () => (await failed('polite')) !== undefined && (await failed('low-5')) !== undefined, 20_000, { intervalMs: 100 });
    expect(await failed('polite')).toBe('0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
    expect(await failed('low-5')).toBe('0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.');
    const pods = await t.api.pods();
    expect(pods.find((p) => p.metadata.name === 'polite')?.spec.nodeName).toBeUndefined();
    expect(pods.filter((p) => p.metadata.name.startsWith('low-') && p.spec.nodeName)).toHaveLength(3);
    await expectNoNodeOverCapacity();
  });
});
