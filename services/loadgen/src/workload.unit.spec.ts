import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@flotilla/launcher';
import { loadWorkload, parseWorkload, WorkloadError, workloadPodCounts } from './workload.ts';
import { criticalPathEvents, planAgents } from './run-workload.ts';

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
  it('splits nodes over agents, one zone each', () => {
    const w = parseWorkload({ ...minimal, cluster: { nodes: 10, nodeAgents: 3, node: { zones: 2, labels: { tier: 'x' } } } });
    const plans = planAgents(w);
    // Three agents over two zones: two per zone.
    expect(plans).toHaveLength(4);
    expect(plans.reduce((n, p) => n + p.nodes, 0)).toBe(10);
    const labels = plans.map((p) => p.args[p.args.indexOf('--labels') + 1]);
    expect(labels).toEqual([
      'tier=x,topology.kubernetes.io/zone=zone-a',
      'tier=x,topology.kubernetes.io/zone=zone-b',
      'tier=x,topology.kubernetes.io/zone=zone-a',
      'tier=x,topology.kubernetes.io/zone=zone-b',
    ]);
    const prefixes = new Set(plans.map((p) => p.args[p.args.indexOf('--name-prefix') + 1]));
    expect(prefixes.size).toBe(4);
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
