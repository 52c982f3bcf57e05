import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuToMillis } from '@flotilla/model';
import { waitFor } from '@flotilla/testkit';
import { FAST_SIM, podManifest, startTestCluster, type TestCluster } from './support/test-cluster.ts';

describe('scheduling across real processes', () => {
  let t: TestCluster;

  beforeAll(async () => {
    t = await startTestCluster({ nodes: 3, nodeAgentArgs: [...FAST_SIM, '--cpu', '2', '--memory', '4Gi', '--pods', '20'] });
    await waitFor(async () => (await t.api.nodes()).length === 3, 20_000);
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('places 30 pods over 3 nodes and never over-commits one', async () => {
    // 30 x 250m against 3 x 2 CPU: 24 fit, 6 must wait, and say why.
    const created = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t.api.createPod(podManifest(`fill-${i}`, { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '250m', memory: '64Mi' } } }] }, { app: 'fill' })),
      ),
    );
    expect(created.map((r) => r.status)).toEqual(Array(30).fill(201));

    const fill = async () => (await t.api.pods()).filter((p) => p.metadata.name.startsWith('fill-'));
    await waitFor(async () => (await fill()).filter((p) => p.spec.nodeName).length === 24, 30_000, { intervalMs: 100 });
    await waitFor(
      async () => (await fill()).filter((p) => !p.spec.nodeName).every((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')),
      20_000,
      { intervalMs: 100 },
    );
    const pods = await fill();
    const perNode = new Map<string, number>();
    for (const pod of pods) if (pod.spec.nodeName) perNode.set(pod.spec.nodeName, (perNode.get(pod.spec.nodeName) ?? 0) + 250);
    expect([...perNode.values()].sort()).toEqual([2000, 2000, 2000]);
    for (const node of await t.api.nodes()) expect(perNode.get(node.metadata.name) ?? 0).toBeLessThanOrEqual(cpuToMillis(node.status.allocatable.cpu!));

    const waiting = pods.find((p) => !p.spec.nodeName)!;
    const condition = waiting.status!.conditions!.find((c) => c.type === 'PodScheduled')!;
    // All of equal priority: preemption has no victims to offer (kube-scheduler's message says so).
    expect(condition.message).toBe('0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.');

    // Deleting a bound pod frees its share: one waiting pod takes the place.
    const victim = pods.find((p) => p.spec.nodeName)!;
    const deleted = await t.api.request('DELETE', `/api/v1/namespaces/default/pods/${victim.metadata.name}`);
    expect(deleted.status).toBe(200);
    await waitFor(async () => (await t.api.request('GET', `/api/v1/namespaces/default/pods/${victim.metadata.name}`)).status === 404, 20_000, { intervalMs: 100 });
    await waitFor(async () => (await fill()).filter((p) => p.spec.nodeName).length === 24, 20_000, { intervalMs: 100 });
    const after = await fill();
    expect(after).toHaveLength(29);
    expect(after.filter((p) => !p.spec.nodeName)).toHaveLength(5);
  });

  it('explains an unschedulable pod, then places it when a bigger node joins', async () => {
    const created = await t.api.createPod(podManifest('big', { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '8' } } }] }));
    expect(created.status).toBe(201);
    await waitFor(async () => (await t.api.events('big')).some((e) => e.reason === 'FailedScheduling'), 20_000, { intervalMs: 100 });
    const failed = (await t.api.events('big')).find((e) => e.reason === 'FailedScheduling')!;
    expect(failed.type).toBe('Warning');
    // 8 CPU exceeds every node's allocatable: nothing to preempt for.
    expect(failed.message).toBe('0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');

    t.cluster.add('node-agent-big', 'node-agent', [...FAST_SIM, '--name', 'big-1', '--cpu', '16', '--memory', '32Gi']);
    const pod = await t.api.waitForPod('big', (p) => p.status?.phase === 'Running', 30_000);
    expect(pod.spec.nodeName).toBe('big-1');
    expect((await t.api.events('big')).some((e) => e.reason === 'Scheduled' && e.message === 'Successfully assigned default/big to big-1')).toBe(true);
  });
});
