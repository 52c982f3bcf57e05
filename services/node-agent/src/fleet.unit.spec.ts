import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@flotilla/service-kit';
import { FleetError, fleetNodes, fleetSummary, loadFleet, parseFleet, weightedCycle } from './fleet.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'fleet-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(raw: unknown): string[] {
  try {
    parseFleet(raw, 'fleet.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(FleetError);
    return (error as FleetError).problems;
  }
  throw new Error('expected the fleet to be rejected');
}

describe('fleet files', () => {
  it('names nodes <prefix>-1..N per group, with the group\'s capacity, labels and taints (kubectl syntax too)', () => {
    const nodes = fleetNodes(
      parseFleet({
        kind: 'Fleet',
        groups: [
          { name: 'web', count: 2, capacity: { cpu: 8, memory: '32Gi', pods: 50, 'ephemeral-storage': '100Gi' }, labels: { tier: 'web' } },
          { name: 'gpu', namePrefix: 'accel', count: 1, taints: ['nvidia.com/gpu=present:NoSchedule', { key: 'dedicated', effect: 'NoExecute' }] },
        ],
      }),
    );
    expect(nodes).toEqual([
      { name: 'web-1', index: 1, capacity: { cpu: '8', memory: '32Gi', pods: '50', 'ephemeral-storage': '100Gi' }, labels: { tier: 'web', 'node.flotilla.io/group': 'web' }, taints: [] },
      { name: 'web-2', index: 2, capacity: { cpu: '8', memory: '32Gi', pods: '50', 'ephemeral-storage': '100Gi' }, labels: { tier: 'web', 'node.flotilla.io/group': 'web' }, taints: [] },
      {
        name: 'accel-1',
        index: 3,
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        labels: { 'node.flotilla.io/group': 'gpu' },
        taints: [
          { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' },
          { key: 'dedicated', effect: 'NoExecute' },
        ],
      },
    ]);
  });

  it('spreads zones round-robin and instance types within each zone, each type with its capacity', () => {
    const nodes = fleetNodes(
      parseFleet({
        groups: [
          {
            name: 'pool',
            count: 12,
            region: 'eu-1',
            zones: ['a', 'b', 'c'],
            capacity: { pods: 110 },
            instanceTypes: [
              { name: 'small', weight: 3, capacity: { cpu: 2, memory: '4Gi' } },
              { name: 'large', capacity: { cpu: 16, memory: '64Gi' }, labels: { size: 'l' } },
            ],
          },
        ],
      }),
    );
    expect(nodes.map((n) => n.labels['topology.kubernetes.io/zone'])).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c']);
    // Weights 3:1 make the cycle small, small, large, small; one type per zone cycle.
    expect(nodes.map((n) => n.labels['node.kubernetes.io/instance-type'])).toEqual([...Array(6).fill('small'), 'large', 'large', 'large', 'small', 'small', 'small']);
    expect(nodes[6]).toMatchObject({ capacity: { cpu: '16', memory: '64Gi', pods: '110' }, labels: { size: 'l', 'topology.kubernetes.io/region': 'eu-1' } });
    expect(nodes[0]?.capacity).toEqual({ cpu: '2', memory: '4Gi', pods: '110' });
    expect(fleetSummary(nodes)).toEqual({ groups: { pool: 12 }, zones: { a: 4, b: 4, c: 4 }, instanceTypes: { small: 9, large: 3 }, tainted: 0 });
  });

  it('weights zones: a weight-2 zone gets twice the nodes, interleaved', () => {
    expect(weightedCycle([{ name: 'a', weight: 1 }, { name: 'b', weight: 2 }]).map((z) => z.name)).toEqual(['b', 'a', 'b']);
    const nodes = fleetNodes(parseFleet({ groups: [{ name: 'spot', count: 8, zones: ['a', { name: 'b', weight: 3 }] }] }));
    expect(fleetSummary(nodes).zones).toEqual({ a: 2, b: 6 });
  });

  it('gives the same nodes for the same file', () => {
    const raw = { groups: [{ name: 'g', count: 50, zones: ['a', 'b'], instanceTypes: [{ name: 'x' }, { name: 'y', weight: 2 }] }] };
    expect(fleetNodes(parseFleet(raw))).toEqual(fleetNodes(parseFleet(raw)));
  });

  it('ships bench/fleets/mixed-10000.yaml: 10,000 nodes over 3 zones, several instance types, some tainted', () => {
    const nodes = fleetNodes(loadFleet(join(REPO, 'bench/fleets/mixed-10000.yaml')));
    expect(nodes).toHaveLength(10_000);
    expect(new Set(nodes.map((n) => n.name)).size).toBe(10_000);
    const summary = fleetSummary(nodes);
    expect(Object.keys(summary.zones).sort()).toEqual(['zone-a', 'zone-b', 'zone-c']);
    expect(Object.keys(summary.instanceTypes).length).toBeGreaterThanOrEqual(4);
    expect(summary.tainted).toBeGreaterThan(0);
    expect(summary.tainted).toBeLessThan(2_000);
    expect(fleetNodes(loadFleet(join(REPO, 'bench/fleets/small.yaml'))).length).toBeLessThan(50);
  });

  it('names the path of every problem', () => {
    expect(problems({ groups: [] })).toEqual([expect.stringMatching(/^groups: /)]);
    expect(problems({ groups: [{ name: 'a', count: 1, capacity: { cpu: 'lots' } }] })).toEqual(['groups[0].capacity.cpu: expected a quantity such as 4, 500m or 32Gi']);
    expect(problems({ groups: [{ name: 'a', count: -1 }] })).toEqual([expect.stringMatching(/^groups\[0\]\.count: /)]);
    expect(problems({ groups: [{ name: 'a', count: 1, cores: 4 }] })).toEqual([expect.stringMatching(/^groups\[0\]: .*cores/)]);
    expect(problems({ groups: [{ name: 'a', count: 1, taints: ['gpu=yes'] }] })).toEqual([
      'groups[0].taints[0]: expected key[=value]:NoSchedule|PreferNoSchedule|NoExecute, got "gpu=yes"',
    ]);
    expect(problems({ groups: [{ name: 'a', count: 1 }, { name: 'b', namePrefix: 'a', count: 1 }] })).toEqual([
      'groups[1].namePrefix: node name prefix "a" is already used by groups[0]',
    ]);
    expect(problems({ groups: [{ name: 'a', count: 1, zones: ['z'], labels: { 'topology.kubernetes.io/zone': 'y' } }] })).toEqual([
      'groups[0].labels["topology.kubernetes.io/zone"]: set from the group\'s zones: remove it here',
    ]);
    expect(problems({ groups: [{ name: 'a', count: 1, labels: { 'bad key!': 'v' } }] })).toEqual([expect.stringMatching(/^groups\[0\]\.labels\["bad key!"\]: invalid label key: /)]);
    expect(problems({ groups: [{ name: 'a', count: 1, zones: ['z', 'z'] }] })).toEqual(['groups[0].zones[1]: zone "z" is listed twice']);
    expect(problems({ groups: [{ name: 'a', count: 1, instanceTypes: [{ name: 't', weight: 0 }] }] })).toEqual([expect.stringMatching(/^groups\[0\]\.instanceTypes\[0\]\.weight: /)]);
    expect(problems({ groups: [{ name: 'a', count: 0 }] })).toEqual(['groups: the fleet has no nodes (every count is 0)']);
    expect(problems({ groups: [{ name: 'Big_Pool', count: 1 }] })).toEqual(['groups[0].name: expected a DNS-1123 label']);
  });

  it('a file that cannot be read or is not YAML is a FleetError (a ConfigError) naming the file', () => {
    const missing = join(dir, 'missing.yaml');
    expect(() => loadFleet(missing)).toThrow(FleetError);
    expect(() => loadFleet(missing)).toThrow(new RegExp(`^${missing}: invalid fleet:\\n {2}cannot read the file`));
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'groups: [\n');
    expect(() => loadFleet(broken)).toThrow(ConfigError);
    expect(() => loadFleet(broken)).toThrow(/not valid YAML/);
  });
});
