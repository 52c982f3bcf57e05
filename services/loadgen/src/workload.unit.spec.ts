import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleetNodes, parseFleet } from '../../node-agent/src/fleet.ts';
import { REPO_ROOT } from '@flotilla/launcher';
import { churnStepCount, loadWorkload, parseWorkload, phasePodCount, WorkloadError, workloadPodCounts } from './workload.ts';
import { criticalPathEvents } from './run-workload.ts';
import { agentNodeNames, planAgents } from './agent-plan.ts';

const pause = { containers: [{ name: 'c', image: 'pause' }] };
const minimal = {
  name: 'tiny',
  cluster: { nodes: 3 },
  phases: [{ name: 'p', pods: { count: 5, namePrefix: 'pod', template: { spec: pause } } }],
};

/** A copy of `base` with the dotted paths set (numbers index arrays). */
function edited(base: object, changes: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(base) as Record<string, unknown>;
  for (const [path, value] of Object.entries(changes)) {
    const parts = path.split('.');
    let target = copy as Record<string, unknown>;
    for (const part of parts.slice(0, -1)) {
      target[part] ??= {};
      target = target[part] as Record<string, unknown>;
    }
    target[parts.at(-1)!] = value;
  }
  return copy;
}

function problems(raw: unknown): string[] {
  try {
    parseWorkload(raw, 'w.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(WorkloadError);
    return (error as WorkloadError).problems;
  }
  throw new Error('expected the workload to be rejected');
}

describe('parseWorkload', () => {
  it('fills the defaults', () => {
    const w = parseWorkload(minimal);
    expect(w.cluster.node).toMatchObject({ cpu: '4', memory: '32Gi', pods: 110, zones: 0 });
    expect(w.cluster.nodeAgents).toBe(1);
    expect(w.phases[0]).toMatchObject({ waitFor: 'bound', measure: true, pods: { rate: 0, concurrency: 128 } });
    expect(w.timeoutSeconds).toBe(600);
    expect(w.targets).toEqual([]);
  });

  it('names the field path of each problem', () => {
    const raw = edited(minimal, {
      'cluster.nodes': 0,
      'phases.0.pods.count': -1,
      'phases.0.waitFor': 'ready',
      'phases.0.pods.template.spec.containers.0.image': 5,
    });
    expect(problems(raw)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^cluster\.nodes: /),
        expect.stringMatching(/^phases\[0\]\.pods\.count: /),
        expect.stringMatching(/^phases\[0\]\.waitFor: /),
        expect.stringMatching(/^phases\[0\]\.pods\.template\.spec\.containers\[0\]\.image: /),
      ]),
    );
  });

  it('rejects unknown fields, by path', () => {
    const raw = edited(minimal, { 'phases.0.pods.cout': 3 });
    expect(problems(raw).join('\n')).toMatch(/^phases\[0\]\.pods: .*cout/m);
  });

  it('rejects an invalid quantity and a bad target', () => {
    const raw = edited(minimal, { targets: [{ name: 't', metric: 'speed', op: '>=', value: 1 }], 'cluster.node': { memory: 'lots' } });
    const found = problems(raw);
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/^cluster\.node\.memory: /), expect.stringMatching(/^targets\[0\]\.metric: /)]));
  });

  it('rejects name prefixes shared between phases, and a workload with nothing measured', () => {
    const phase = minimal.phases[0]!;
    expect(problems({ ...minimal, phases: [phase, { ...phase, name: 'q' }] })).toContain('phases[1].pods.namePrefix: already used by phases[0]');
    expect(problems({ ...minimal, phases: [{ ...phase, measure: false }] })).toContain('phases: no phase is measured');
  });

  it('counts the pods', () => {
    const w = parseWorkload({ ...minimal, phases: [{ ...minimal.phases[0], measure: false }, { ...minimal.phases[0], pods: { ...minimal.phases[0]!.pods, namePrefix: 'x', count: 7 } }] });
    expect(workloadPodCounts(w)).toEqual({ total: 12, measured: 7 });
  });
});

const churnPhase = {
  name: 'churn',
  pods: { count: 10, namePrefix: 'pod', template: { spec: pause } },
  churn: { durationSeconds: 30, pods: { createRate: 2, deleteRate: 2 }, nodes: { addRate: 1, removeRate: 1 } },
};
const killPhase = {
  name: 'kill',
  waitFor: 'running',
  pods: { count: 40, namePrefix: 'web', replicaSet: true, template: { spec: pause } },
  killNodes: { percent: 10 },
};
const killCluster = { nodes: 20, nodeAgents: 2 };

describe('parseWorkload: churn and node kills', () => {
  it('fills the defaults of churn, ReplicaSet phases and killNodes', () => {
    const w = parseWorkload({ ...minimal, cluster: killCluster, phases: [churnPhase, killPhase] });
    expect(w.phases[0]!.pods.replicaSet).toBe(false);
    expect(w.phases[0]!.churn).toEqual({
      durationSeconds: 30,
      concurrency: 32,
      pods: { createRate: 2, deleteRate: 2, gracePeriodSeconds: 0 },
      nodes: { addRate: 1, removeRate: 1, namePrefix: 'churn-node', labels: {}, taints: [] },
    });
    expect(w.phases[1]!.killNodes).toEqual({ percent: 10, afterSeconds: 0, waitFor: 'running' });
    expect(w.phases[1]!.pods.replicaSet).toBe(true);
  });

  it('takes controller flags, node-agent flags and the services\' environment from the cluster', () => {
    const cluster = { ...killCluster, controller: ['--eviction-rate', '10'], nodeAgent: ['--lease-renew-ms', '500'], env: { FLOTILLA_DEFAULT_UNREACHABLE_TOLERATION_SECONDS: '5' } };
    const w = parseWorkload({ ...minimal, cluster });
    expect(w.cluster).toMatchObject(cluster);
    expect(problems(edited(minimal, { 'cluster.env': { 'NOT VALID': '1' } })).join('\n')).toMatch(/^cluster\.env(\.NOT VALID)?: .*environment variable name/m);
    expect(problems(edited(minimal, { 'cluster.controller': '--eviction-rate 10' }))).toEqual([expect.stringMatching(/^cluster\.controller: /)]);
  });

  it('names the churn field that is wrong', () => {
    const churn = (changes: Record<string, unknown>) => problems({ ...minimal, phases: [edited(churnPhase, changes)] });
    expect(churn({ 'churn.durationSeconds': 0 })).toEqual([expect.stringMatching(/^phases\[0\]\.churn\.durationSeconds: /)]);
    expect(churn({ churn: { durationSeconds: 5 } })).toEqual(['phases[0].churn.pods: expected pods or nodes (or both)']);
    expect(churn({ 'churn.pods': { createRate: 0 } })).toEqual(['phases[0].churn.pods.createRate: createRate or deleteRate must be above 0']);
    expect(churn({ 'churn.pods.deleteRate': -1 })).toEqual([expect.stringMatching(/^phases\[0\]\.churn\.pods\.deleteRate: /)]);
    expect(churn({ 'churn.pods.gracePeriodSeconds': 1.5 })).toEqual([expect.stringMatching(/^phases\[0\]\.churn\.pods\.gracePeriodSeconds: /)]);
    expect(churn({ 'churn.nodes': {} })).toEqual(['phases[0].churn.nodes.addRate: addRate or removeRate must be above 0']);
    expect(churn({ 'churn.nodes.taints': [{ key: 'k', effect: 'Sometimes' }] })).toEqual([expect.stringMatching(/^phases\[0\]\.churn\.nodes\.taints\[0\]\.effect: /)]);
    expect(churn({ 'churn.nodes.namePrefix': 'node' })).toEqual([expect.stringMatching(/^phases\[0\]\.churn\.nodes\.namePrefix: would collide with the node agents/)]);
    expect(churn({ 'churn.nodes.namePrefix': 'node-2' })).toHaveLength(1);
    expect(churn({ 'churn.speed': 3 }).join('\n')).toMatch(/^phases\[0\]\.churn: .*speed/m);
  });

  it('refuses pod churn on a ReplicaSet, and agentless churn nodes when the phase waits for running', () => {
    const onReplicaSet = edited(churnPhase, { 'pods.replicaSet': true });
    expect(problems({ ...minimal, phases: [onReplicaSet] })).toEqual([expect.stringMatching(/^phases\[0\]\.churn\.pods: pod churn needs bare pods/)]);
    const running = edited(churnPhase, { waitFor: 'running' });
    expect(problems({ ...minimal, phases: [running] })).toEqual([expect.stringMatching(/^phases\[0\]\.churn\.nodes\.taints: nodes added by the churn have no agent/)]);
    // A NoSchedule taint keeps the pods off them; so does adding no nodes.
    expect(() => parseWorkload({ ...minimal, phases: [edited(running, { 'churn.nodes.taints': [{ key: 'churn', effect: 'NoSchedule' }] })] })).not.toThrow();
    expect(() => parseWorkload({ ...minimal, phases: [edited(running, { 'churn.nodes': { removeRate: 1 } })] })).not.toThrow();
  });

  it('refuses churn node prefixes shared between phases', () => {
    const other = edited(churnPhase, { name: 'again', 'pods.namePrefix': 'other' });
    expect(problems({ ...minimal, phases: [churnPhase, other] })).toEqual(['phases[1].churn.nodes.namePrefix: already used by phases[0]']);
  });

  it('says what killNodes needs: a ReplicaSet, waiting for running, two agents at least, a share below 100%', () => {
    const kill = (changes: Record<string, unknown>, cluster: object = killCluster) => problems({ ...minimal, cluster, phases: [edited(killPhase, changes)] });
    expect(kill({ 'pods.replicaSet': false })).toEqual([expect.stringMatching(/^phases\[0\]\.killNodes: needs pods\.replicaSet: true/)]);
    expect(kill({ waitFor: 'bound' })).toEqual([expect.stringMatching(/^phases\[0\]\.waitFor: must be running with killNodes/)]);
    expect(kill({}, { nodes: 20 })).toEqual([expect.stringMatching(/^cluster\.nodeAgents: killNodes \(phases\[0\]\) needs at least 2 node agents/)]);
    expect(kill({ 'killNodes.percent': 100 })).toEqual([expect.stringMatching(/^phases\[0\]\.killNodes\.percent: /)]);
    expect(kill({ 'killNodes.percent': 0 })).toEqual([expect.stringMatching(/^phases\[0\]\.killNodes\.percent: /)]);
    expect(kill({ 'killNodes.waitFor': 'none' })).toEqual([expect.stringMatching(/^phases\[0\]\.killNodes\.waitFor: /)]);
  });

  it('accepts the kill metrics as targets', () => {
    const targets = ['killRecoveryMs', 'replacementLatencyP99', 'podsLost'].map((metric) => ({ name: metric, metric, op: '<=', value: 1 }));
    expect(parseWorkload({ ...minimal, cluster: killCluster, phases: [killPhase], targets }).targets).toHaveLength(3);
  });

  it('counts the pods the churn creates', () => {
    const w = parseWorkload({ ...minimal, phases: [churnPhase] });
    // 10 pods, then 2/s for 30 s.
    expect(workloadPodCounts(w)).toEqual({ total: 70, measured: 70 });
    expect(phasePodCount(w.phases[0]!)).toBe(70);
    expect(churnStepCount(2, 30_000)).toBe(60);
    expect(churnStepCount(0.3, 10_000)).toBe(3);
    expect(churnStepCount(3, 1_000)).toBe(3);
    expect(churnStepCount(0, 10_000)).toBe(0);
  });
});

describe('loadWorkload', () => {
  it('names the file and says when the YAML does not parse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'workload-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: [unclosed\n');
    expect(() => loadWorkload(file)).toThrow(/bad\.yaml: invalid workload:\n {2}not valid YAML/);
    expect(() => loadWorkload(join(dir, 'missing.yaml'))).toThrow(/cannot read the file/);
  });

  it('loads every shipped workload', () => {
    const dir = resolve(REPO_ROOT, 'bench/workloads');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files).toContain('small.yaml');
    for (const file of files) {
      const w = loadWorkload(join(dir, file));
      const { total } = workloadPodCounts(w);
      // Room for every pod by pod count (preemption.yaml runs out of CPU on purpose, not of pod slots).
      expect(w.cluster.nodes * w.cluster.node.pods, file).toBeGreaterThanOrEqual(total);
    }
  });
});

describe('planAgents', () => {
  it('spreads every agent\'s nodes over the zones with a fleet file the node agent accepts', () => {
    const w = parseWorkload({ ...minimal, cluster: { nodes: 10, nodeAgents: 3, node: { zones: 2, labels: { tier: 'x' }, instanceTypes: ['m5.large'] } } });
    const plans = planAgents(w);
    // As many agents as asked for, whatever the number of zones.
    expect(plans.map((p) => p.nodes)).toEqual([4, 3, 3]);
    const hosted = plans.map((plan) => fleetNodes(parseFleet(JSON.parse(JSON.stringify(plan.fleet)))));
    expect(hosted.map((nodes) => nodes.map((n) => n.name))).toEqual(plans.map(agentNodeNames));
    const first = hosted[0]!;
    expect(first.map((n) => n.labels['topology.kubernetes.io/zone'])).toEqual(['zone-a', 'zone-b', 'zone-a', 'zone-b']);
    for (const node of hosted.flat()) {
      expect(node.labels).toMatchObject({ tier: 'x', 'node.kubernetes.io/instance-type': 'm5.large' });
      expect(node.capacity).toMatchObject({ cpu: '4', memory: '32Gi' });
    }
    // The capacity and labels come from the fleet, not from flags the agent would refuse beside it.
    for (const plan of plans) expect(plan.args).not.toContain('--nodes');
  });

  it('puts the workload\'s node-agent flags last, so that they win', () => {
    const plans = planAgents(parseWorkload({ ...minimal, cluster: { nodes: 4, nodeAgents: 2, nodeAgent: ['--lease-renew-ms', '500', '--sim-start-ms', '5'] } }));
    expect(plans.map((p) => p.namePrefix)).toEqual(['node-1', 'node-2']);
    for (const plan of plans) expect(plan.args.slice(-4)).toEqual(['--lease-renew-ms', '500', '--sim-start-ms', '5']);
  });

  it('runs a single agent named node-agent with node-N names by default', () => {
    const [only, ...rest] = planAgents(parseWorkload(minimal));
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ id: 'node-agent', nodes: 3 });
    expect(only!.args).toEqual(expect.arrayContaining(['--nodes', '3', '--name-prefix', 'node', '--pods', '110']));
    expect(only!.args).not.toContain('--labels');
  });
});

describe('criticalPathEvents', () => {
  it('counts the sandbox and container start only when a measured phase waits for running', () => {
    expect(criticalPathEvents(parseWorkload(minimal)).value).toBe(2);
    const running = { ...minimal, phases: [{ ...minimal.phases[0], waitFor: 'running' }] };
    expect(criticalPathEvents(parseWorkload(running))).toEqual({ value: 4, counted: ['PodCreated', 'PodBound', 'PodSandboxReady', 'ContainerStarted'] });
  });
});
