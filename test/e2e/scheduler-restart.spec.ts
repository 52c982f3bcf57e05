import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@flotilla/testkit';
import { FAST_SIM, podManifest, startTestCluster, type TestCluster } from './support/test-cluster.ts';

describe('scheduler crash in the middle of 200 creations', () => {
  let t: TestCluster;

  beforeAll(async () => {
    t = await startTestCluster({ nodes: 3, nodeAgentArgs: [...FAST_SIM, '--cpu', '8', '--memory', '16Gi', '--pods', '110'] });
    await waitFor(async () => (await t.api.nodes()).length === 3, 20_000);
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('binds every pod exactly once after the scheduler is killed and restarted', async () => {
    const scheduler = t.cluster.service('scheduler');
    const create = (i: number) => t.api.createPod(podManifest(`burst-${i}`, { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] }));
    const statuses: number[] = [];
    for (let i = 0; i < 200; i += 10) {
      if (i === 80) await scheduler.kill(); // SIGKILL: no graceful shutdown, appends may be in flight
      if (i === 140) scheduler.start();
      statuses.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => create(i + j)))).map((r) => r.status));
    }
    expect(statuses).toEqual(Array(200).fill(201));

    await waitFor(async () => (await t.api.pods()).filter((p) => p.spec.nodeName).length === 200, 60_000, { intervalMs: 200 });
    const pods = await t.api.pods();
    expect(pods).toHaveLength(200);

    // Exactly one binding took effect per pod: one Scheduled event each, and the node's count matches.
    const events = await t.api.events();
    const scheduled = new Map<string, number>();
    for (const event of events) if (event.reason === 'Scheduled') scheduled.set(event.involvedObject.uid, (scheduled.get(event.involvedObject.uid) ?? 0) + 1);
    for (const pod of pods) expect(scheduled.get(pod.metadata.uid), pod.metadata.name).toBe(1);
    const perNode = new Map<string, number>();
    for (const pod of pods) perNode.set(pod.spec.nodeName!, (perNode.get(pod.spec.nodeName!) ?? 0) + 1);
    expect([...perNode.values()].reduce((a, b) => a + b, 0)).toBe(200);
    await waitFor(async () => (await t.api.pods()).every((p) => p.status?.phase === 'Running'), 60_000, { intervalMs: 200 });
  });
});
