import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamEventLog } from '@flotilla/eventlog';
import { toFlotillaRecord } from '@flotilla/events';
import { cpuToMillis } from '@flotilla/model';
import { applyEvent, createClusterState } from '@flotilla/state';
import { getFreePort, waitFor } from '@flotilla/testkit';
import { parseMetrics } from '../../services/scheduler/src/metrics.ts';
import { FAST_SIM, podManifest, startTestCluster, type TestCluster } from './support/test-cluster.ts';

// Omega-style optimistic concurrency for real: three scheduler replicas race over one log, and the
// fold alone keeps every pod bound once and every node within its allocatable.

const NODES = 50;
const PODS = 2000;
const BATCH = 100;
const REPLICAS = ['scheduler-1', 'scheduler-2', 'scheduler-3'];

describe('several schedulers at once', () => {
  let t: TestCluster;
  const metricsPorts: number[] = [];

  beforeAll(async () => {
    for (let i = 0; i < REPLICAS.length; i++) metricsPorts.push(await getFreePort());
    t = await startTestCluster({
      nodes: NODES,
      // 50 x 12 CPU = 600 CPU for 2,000 x 250m = 500 CPU: everything fits, but not anywhere.
      nodeAgentArgs: [...FAST_SIM, '--cpu', '12', '--memory', '48Gi', '--pods', '110'],
      schedulerArgs: ['--name', REPLICAS[0]!, '--metrics-port', String(metricsPorts[0])],
    });
    for (let i = 1; i < REPLICAS.length; i++) t.cluster.add(REPLICAS[i]!, 'scheduler', ['--name', REPLICAS[i]!, '--metrics-port', String(metricsPorts[i])]);
    await waitFor(async () => (await t.api.nodes()).length === NODES, 30_000, { intervalMs: 200 });
  });

  afterAll(async () => {
    await t?.stop();
  });

  it(`binds ${PODS} pods on ${NODES} nodes exactly once each, never over capacity, and reports the conflicts`, async () => {
    const started = Date.now();
    for (let from = 0; from < PODS; from += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, PODS - from) }, (_, i) =>
        t.api.createPod(podManifest(`p-${from + i}`, { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '250m', memory: '128Mi' } } }] }, { app: 'race' })),
      );
      const statuses = (await Promise.all(batch)).map((r) => r.status);
      expect(statuses.every((s) => s === 201), `create statuses: ${statuses.join(',')}`).toBe(true);
    }
    const created = Date.now();

    let bound = 0;
    try {
      await waitFor(
        async () => {
          bound = (await t.api.pods()).filter((p) => p.spec.nodeName).length;
          return bound === PODS;
        },
        90_000,
        { intervalMs: 1000 },
      );
    } catch (error) {
      throw new Error(`only ${bound}/${PODS} pods bound:\n${t.cluster.tails()}`, { cause: error });
    }
    const placed = Date.now();

    // The log itself, folded here: one Scheduled Event per pod uid, and each node within allocatable.
    const log = await JetStreamEventLog.connect({ servers: t.cluster.natsUrl, name: 'e2e-reader' });
    const state = createClusterState({ maxEvents: 1_000_000 });
    const scheduled = new Map<string, number>();
    let bindings = 0;
    try {
      for await (const raw of log.read(1)) {
        const record = toFlotillaRecord(raw);
        if (!record) continue;
        if (record.event.type === 'PodBound') bindings++;
        for (const change of applyEvent(state, record)) {
          if (change.kind === 'Event' && change.type === 'ADDED' && change.object.reason === 'Scheduled') {
            const uid = change.object.involvedObject.uid;
            scheduled.set(uid, (scheduled.get(uid) ?? 0) + 1);
          }
        }
      }
    } finally {
      await log.close();
    }
    const pods = await t.api.pods();
    expect(pods).toHaveLength(PODS);
    for (const pod of pods) expect(scheduled.get(pod.metadata.uid), `Scheduled events of ${pod.metadata.name}`).toBe(1);
    expect(scheduled.size).toBe(PODS);

    const perNode = new Map<string, number>();
    for (const pod of pods) perNode.set(pod.spec.nodeName!, (perNode.get(pod.spec.nodeName!) ?? 0) + 250);
    const nodes = await t.api.nodes();
    for (const node of nodes) {
      expect(perNode.get(node.metadata.name) ?? 0, `cpu requested on ${node.metadata.name}`).toBeLessThanOrEqual(cpuToMillis(node.status.allocatable.cpu!));
      const record = state.nodes.get(node.metadata.name)!;
      for (const [resource, used] of Object.entries(record.requested)) {
        expect(used, `${resource} on ${node.metadata.name}`).toBeLessThanOrEqual(record.allocatable[resource] ?? 0);
      }
    }

    // Each replica's /metrics: conflicts, superseded decisions, retries.
    const report: string[] = [];
    let conflicts = 0;
    let scheduledByReplicas = 0;
    for (let i = 0; i < REPLICAS.length; i++) {
      const response = await fetch(`http://127.0.0.1:${metricsPorts[i]}/metrics`);
      expect(response.status).toBe(200);
      const metrics = parseMetrics(await response.text());
      const value = (name: string): number => metrics.get(name) ?? Number.NaN;
      const replicaConflicts = value('flotilla_scheduler_binding_conflicts_total');
      expect(replicaConflicts).toBeGreaterThanOrEqual(0);
      conflicts += replicaConflicts;
      scheduledByReplicas += value('scheduler_schedule_attempts_total{result="scheduled"}');
      report.push(
        `${REPLICAS[i]}: scheduled ${value('scheduler_schedule_attempts_total{result="scheduled"}')}, ` +
          `conflicts ${replicaConflicts}, superseded ${value('flotilla_scheduler_binding_duplicates_total')}, ` +
          `retries ${value('flotilla_scheduler_retries_total')}, pending ${value('scheduler_pending_pods{queue="active"}')}/${value('scheduler_pending_pods{queue="backoff"}')}/${value('scheduler_pending_pods{queue="unschedulable"}')}`,
      );
    }
    expect(conflicts).toBeGreaterThanOrEqual(0);
    // Every stored PodBound was decided by one of the replicas (some decisions were deduplicated).
    expect(scheduledByReplicas).toBeGreaterThanOrEqual(bindings);
    process.stdout.write(
      `several schedulers: ${PODS} pods created in ${((created - started) / 1000).toFixed(1)} s, all bound ${((placed - created) / 1000).toFixed(1)} s later; ` +
        `${bindings} PodBound events stored, ${bindings - PODS} rejected by the fold; conflicts reported by the replicas: ${conflicts}\n  ${report.join('\n  ')}\n`,
    );
  });
});
