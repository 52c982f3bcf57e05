// The framework's PostFilter step: it runs only when no node passed Filter, sees every rejected
// node's status, and its outcome lands in the result (message suffix, nomination, victims, requeue).
import { describe, expect, it } from 'vitest';
import { IN_TREE_REGISTRY } from '../plugins/in-tree-registry.ts';
import { nodeInfos, podRecord } from '../test-support/fixtures.ts';
import { createFramework } from './framework.ts';
import type { Profile } from './profile.ts';
import { mergeRegistries } from './registry.ts';
import type { PluginFactory } from './registry.ts';
import { success, unresolvable, unschedulable } from './status.ts';
import type { Status } from './status.ts';
import type { PostFilterResult } from './types.ts';

interface Seen {
  calls: number;
  statuses: Array<[string, string]>;
  nodes: string[];
}

function recorder(name: string, seen: Seen, answer: (statuses: ReadonlyMap<string, Status>) => PostFilterResult): PluginFactory {
  return () => ({
    name,
    postFilter: (_state, _pod, statuses, nodes) => {
      seen.calls += 1;
      seen.statuses = [...statuses].map(([node, status]) => [node, status.code]);
      seen.nodes = nodes.map((node) => node.name);
      return answer(statuses);
    },
  });
}

function setup(answers: Record<string, (statuses: ReadonlyMap<string, Status>) => PostFilterResult>) {
  const seen: Record<string, Seen> = {};
  const factories = new Map<string, PluginFactory>();
  for (const [name, answer] of Object.entries(answers)) {
    seen[name] = { calls: 0, statuses: [], nodes: [] };
    factories.set(name, recorder(name, seen[name], answer));
  }
  const registry = mergeRegistries(IN_TREE_REGISTRY, factories);
  const profile: Profile = {
    schedulerName: 'custom',
    plugins: { filter: ['TaintToleration', 'NodeResourcesFit'], postFilter: Object.keys(answers), score: [] },
    pluginConfig: [],
  };
  return { framework: createFramework(profile, registry), seen };
}

const nodes = nodeInfos(
  [{ name: 'a', cpu: '1' }, { name: 'b', cpu: '1', taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }, { name: 'c', cpu: '4' }],
  [{ name: 'victim', cpu: '1', boundTo: 'a' }],
);

describe('PostFilter in the framework', () => {
  it('does not run when a node passed Filter', () => {
    const { framework, seen } = setup({ Spy: () => ({ status: success(), nominatedNodeName: 'x' }) });
    const result = framework.schedulePod({ pod: podRecord({ cpu: '1' }), nodes });
    expect(result).toMatchObject({ feasible: true, nodeName: 'c' });
    expect(result.nominatedNodeName).toBeUndefined();
    expect(seen.Spy!.calls).toBe(0);
  });

  it('gets every rejected node\'s status, resolvable or not, and all the nodes', () => {
    const { framework, seen } = setup({ Spy: () => ({ status: unschedulable('Spy', 'preemption: nothing to do.') }) });
    const result = framework.schedulePod({ pod: podRecord({ cpu: '1' }), nodes: nodes.slice(0, 2) });
    expect(seen.Spy!.statuses).toEqual([
      ['a', 'Unschedulable'],
      ['b', 'UnschedulableAndUnresolvable'],
    ]);
    expect(seen.Spy!.nodes).toEqual(['a', 'b']);
    expect(result.message).toBe('0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: v}. preemption: nothing to do.');
    expect(result.nominatedNodeName).toBeUndefined();
  });

  it('a nomination carries its victims and requeues the pod when pods go away', () => {
    const victim = podRecord({ name: 'victim', cpu: '1', boundTo: 'a' });
    const { framework } = setup({ Nominate: () => ({ status: success(), nominatedNodeName: 'a', victims: [victim] }) });
    const result = framework.schedulePod({ pod: podRecord({ cpu: '1' }), nodes: nodes.slice(0, 2) });
    expect(result).toMatchObject({
      feasible: false,
      nominatedNodeName: 'a',
      victims: [{ key: 'default/victim', namespace: 'default', name: 'victim', uid: 'uid-victim' }],
      message: '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: v}.',
    });
    expect(result.requeueOn).toEqual(expect.arrayContaining(['PodDeleted', 'PodReleased']));
  });

  it('joins the reasons of plugins that reject, and stops at the first that succeeds or rejects for good', () => {
    const { framework, seen } = setup({
      First: () => ({ status: unschedulable('First', 'first says no'), nominatedNodeName: '' }),
      Second: () => ({ status: unschedulable('Second', 'second says no') }),
      Final: () => ({ status: unresolvable('Final', 'never') }),
      Unreached: () => ({ status: success() }),
    });
    const result = framework.schedulePod({ pod: podRecord({ cpu: '2' }), nodes: nodes.slice(0, 1) });
    expect(result.message).toBe('0/1 nodes are available: 1 Insufficient cpu. never.');
    expect(seen.Unreached!.calls).toBe(0);

    const joined = setup({
      First: () => ({ status: unschedulable('First', 'first says no'), nominatedNodeName: '' }),
      Second: () => ({ status: unschedulable('Second', 'second says no') }),
    });
    const both = joined.framework.schedulePod({ pod: podRecord({ cpu: '2' }), nodes: nodes.slice(0, 1) });
    expect(both.message).toBe('0/1 nodes are available: 1 Insufficient cpu. first says no, second says no.');
    expect(both.nominatedNodeName).toBe('');
  });

  it('runs after a PreFilter rejection too, every node carrying that status', () => {
    const seen: Seen = { calls: 0, statuses: [], nodes: [] };
    const registry = mergeRegistries(
      IN_TREE_REGISTRY,
      new Map<string, PluginFactory>([
        ['Gate', () => ({ name: 'Gate', preFilter: () => unresolvable('Gate', 'the gate is closed'), filter: () => success() })],
        ['Spy', recorder('Spy', seen, () => ({ status: unschedulable('Spy', 'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.') }))],
      ]),
    );
    const framework = createFramework({ schedulerName: 'g', plugins: { filter: ['Gate'], postFilter: ['Spy'], score: [] }, pluginConfig: [] }, registry);
    const result = framework.schedulePod({ pod: podRecord(), nodes: nodes.slice(0, 2) });
    expect(seen.statuses).toEqual([
      ['a', 'UnschedulableAndUnresolvable'],
      ['b', 'UnschedulableAndUnresolvable'],
    ]);
    expect(result.message).toBe('0/2 nodes are available: the gate is closed. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.');
  });

  it('the plugins\' handle runs the profile\'s Filter plugins on any node view', () => {
    let filterStatus: Status | undefined;
    const registry = mergeRegistries(
      IN_TREE_REGISTRY,
      new Map<string, PluginFactory>([
        [
          'Probe',
          (_args, handle) => ({
            name: 'Probe',
            postFilter: (state, pod, _statuses, all) => {
              filterStatus = handle.runFilterPlugins?.(state, pod, all[0]!);
              return { status: unschedulable('Probe', 'probed') };
            },
          }),
        ],
      ]),
    );
    const framework = createFramework({ schedulerName: 'p', plugins: { filter: ['NodeResourcesFit'], postFilter: ['Probe'], score: [] }, pluginConfig: [] }, registry);
    framework.schedulePod({ pod: podRecord({ cpu: '1' }), nodes: nodes.slice(0, 1) });
    expect(filterStatus).toMatchObject({ code: 'Unschedulable', plugin: 'NodeResourcesFit', reasons: ['Insufficient cpu'] });
  });
});
