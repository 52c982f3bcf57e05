import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkload, type RunResult } from './run-workload.ts';
import { parseWorkload, type Workload } from './workload.ts';

// A tiny churn workload and a tiny node-kill workload end to end, each on a local cluster the runner
// starts and stops (nats-server, API, scheduler, controller, two node agents). Correctness only:
// nothing here depends on how fast it went, beyond the workloads' own timeouts.

const pause = { containers: [{ name: 'pause', image: 'pause', resources: { requests: { cpu: '100m', memory: '100Mi' } } }] };
const TIMEOUT_S = 60;
/** The cluster's start and stop come on top of the workload's timeout. */
const HOOK_MS = (TIMEOUT_S + 60) * 1000;

function expectNoNodeOverCapacity(result: RunResult, podsPerNode: number): void {
  expect(result.loadgen.capacityViolations).toEqual([]);
  for (const node of result.summary.nodes.perNode) {
    expect(node.cpu, node.name).toBeLessThanOrEqual(1);
    expect(node.pods, node.name).toBeLessThanOrEqual(podsPerNode);
  }
}

async function run(workload: Workload): Promise<{ result: RunResult; out: string }> {
  const out = await mkdtemp(join(tmpdir(), `flotilla-loadgen-${workload.name}-`));
  const result = await runWorkload(workload, { quiet: true, out, measureLimit: false });
  return { result, out };
}

describe('runWorkload: pods and nodes churning', () => {
  const workload = parseWorkload({
    name: 'tiny-churn',
    cluster: { nodes: 20, nodeAgents: 2, node: { cpu: '4', memory: '32Gi', pods: 110, zones: 2 } },
    phases: [
      {
        name: 'churn',
        waitFor: 'bound',
        pods: { count: 60, namePrefix: 'pod', rate: 30, template: { spec: pause } },
        churn: { durationSeconds: 6, pods: { createRate: 5, deleteRate: 5 }, nodes: { addRate: 1, removeRate: 1, namePrefix: 'churn' } },
      },
    ],
    timeoutSeconds: TIMEOUT_S,
  });
  let result: RunResult;
  let out: string;

  beforeAll(async () => {
    ({ result, out } = await run(workload));
  }, HOOK_MS);

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
    // The runner keeps the services' logs for a look afterwards; a passing test needs none.
    if (result?.cluster) await rm(result.cluster.dataDir, { recursive: true, force: true });
  });

  it('creates and deletes pods at the churn\'s rates and keeps the rest bound', () => {
    const phase = result.loadgen.phases[0]!;
    expect(result.loadgen.timedOut).toBe(false);
    expect(phase.completed).toBe(true);
    const pods = phase.churn!.pods!;
    // 6 s at 5/s: 30 creations and 30 deletions (a deletion due before any pod existed finds none).
    expect(pods.created).toBe(30);
    expect(pods.deleted + pods.nothingToDelete).toBe(30);
    expect(pods.failures).toEqual({});
    expect(phase.created).toBe(60 + 30);
    expect(phase.churn!.liveAtEnd).toBe(phase.created - pods.deleted);
    expect(phase.churn!.during.created).toBeGreaterThan(0);
  });

  it('binds every pod once and leaves none pending', () => {
    const { summary } = result;
    expect(summary.pods.created).toBe(90);
    // A pod deleted before the scheduler got to it is never bound; every other pod is bound, once.
    expect(summary.pods.pending).toBe(0);
    expect(summary.bindings.accepted).toBe(summary.pods.bound);
    expect(summary.bindings.duplicates ?? 0).toBe(0);
    expect(summary.pods.bound).toBeGreaterThanOrEqual(90 - result.loadgen.phases[0]!.churn!.pods!.deleted);
  });

  it('adds and removes nodes through the API and leaves the cluster as it found it', () => {
    const nodes = result.loadgen.phases[0]!.churn!.nodes!;
    expect(nodes.added).toBe(6);
    expect(nodes.removed + nodes.removedAtEnd).toBe(6);
    expect(nodes.failures).toEqual({});
    expect(result.summary.nodes.count).toBe(20);
    expectNoNodeOverCapacity(result, 110);
  });
});

describe('runWorkload: killing half the nodes of a ReplicaSet', () => {
  const workload = parseWorkload({
    name: 'tiny-kill',
    cluster: {
      nodes: 20,
      nodeAgents: 2,
      node: { cpu: '4', memory: '32Gi', pods: 110 },
      // Short, but with room for a loaded machine: a surviving node must not miss its renewals.
      nodeAgent: ['--lease-renew-ms', '500', '--lease-duration-s', '4'],
      controller: ['--node-monitor-grace-ms', '3000', '--eviction-rate', '100', '--sync-period-ms', '200'],
      env: { FLOTILLA_DEFAULT_UNREACHABLE_TOLERATION_SECONDS: '2', FLOTILLA_DEFAULT_NOT_READY_TOLERATION_SECONDS: '2' },
    },
    phases: [
      {
        name: 'replicas',
        waitFor: 'running',
        pods: { count: 40, namePrefix: 'web', replicaSet: true, template: { metadata: { labels: { app: 'web' } }, spec: pause } },
        killNodes: { percent: 50 },
      },
    ],
    timeoutSeconds: TIMEOUT_S,
    targets: [{ name: 'no pod lost', metric: 'podsLost', op: '<=', value: 0 }],
  });
  let result: RunResult;
  let out: string;

  beforeAll(async () => {
    ({ result, out } = await run(workload));
  }, HOOK_MS);

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
    // The runner keeps the services' logs for a look afterwards; a passing test needs none.
    if (result?.cluster) await rm(result.cluster.dataDir, { recursive: true, force: true });
  });

  it('kills one of the two agents, and its nodes go NotReady and lose their pods', () => {
    const phase = result.loadgen.phases[0]!;
    expect(result.loadgen.timedOut).toBe(false);
    expect(phase.completed).toBe(true);
    const kill = phase.kill!;
    expect(kill.agents).toHaveLength(1);
    expect(kill).toMatchObject({ nodes: 10, percentOfNodes: 50 });
    expect(kill.notReady).toMatchObject({ count: 10, of: 10 });
    expect(kill.podsOnKilledNodes).toBeGreaterThan(0);
    expect(kill.evictions).toMatchObject({ count: kill.podsOnKilledNodes, of: kill.podsOnKilledNodes });
  });

  it('replaces every evicted pod exactly once, elsewhere, and loses none', () => {
    const kill = result.loadgen.phases[0]!.kill!;
    expect(kill).toMatchObject({ recovered: true, lost: 0, notEvicted: 0 });
    expect(kill.replacements).toMatchObject({ created: kill.podsOnKilledNodes, bound: kill.podsOnKilledNodes, running: kill.podsOnKilledNodes });
    // The kill comes first, then NotReady, then the evictions, then the last replacement Running.
    expect(kill.notReady.allMs!).toBeGreaterThan(0);
    expect(kill.evictions.allMs!).toBeGreaterThanOrEqual(kill.notReady.allMs!);
    expect(kill.recoveredMs!).toBeGreaterThanOrEqual(kill.evictions.allMs!);
    expect(result.meta.targets).toEqual([expect.objectContaining({ name: 'no pod lost', met: true })]);
  });

  it('binds each pod once and no node goes over its capacity', () => {
    const { summary } = result;
    const replaced = result.loadgen.phases[0]!.kill!.podsOnKilledNodes;
    expect(summary.pods.created).toBe(40 + replaced);
    expect(summary.pods.bound).toBe(40 + replaced);
    expect(summary.bindings.accepted).toBe(summary.pods.bound);
    expect(summary.bindings.duplicates ?? 0).toBe(0);
    expectNoNodeOverCapacity(result, 110);
  });
});
