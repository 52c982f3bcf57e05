import { describe, expect, it } from 'vitest';
import { AssumedPods } from '../framework/assumed-pods.ts';
import { CLUSTER_PODS, CycleState } from '../framework/cycle-state.ts';
import { NodeInfoOverlay } from '../framework/node-info-overlay.ts';
import { buildNodeInfos } from '../framework/node-info.ts';
import type { NodeInfo } from '../framework/types.ts';
import { clusterState, podRecord } from '../test-support/fixtures.ts';
import {
  ALL_NODES,
  affinityPods,
  allNodes,
  isDeleting,
  isTerminal,
  placedPods,
  rememberAllNodes,
  viewChanges,
  viewTracker,
} from './placed-pods.ts';

const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: {}, topologyKey: 'h' }] } };
const preferred = { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { labelSelector: {}, topologyKey: 'h' } }] } };

function setup() {
  const cluster = clusterState(
    [{ name: 'n1' }, { name: 'n2' }, { name: 'n3' }],
    [
      { name: 'a', boundTo: 'n1' },
      { name: 'anti', boundTo: 'n1', affinity: anti },
      { name: 'pref', boundTo: 'n2', affinity: preferred },
      { name: 'done', boundTo: 'n2', phase: 'Succeeded', affinity: anti },
      { name: 'leaving', boundTo: 'n2', deleting: true },
      { name: 'plain', boundTo: 'n3' },
    ],
  );
  const state = new CycleState();
  state.write(CLUSTER_PODS, cluster.pods);
  return { cluster, state, nodes: buildNodeInfos(cluster, new AssumedPods()) };
}

describe('placedPods', () => {
  it('lists the pods on every node once per cycle, without terminal pods, unknown keys or the incoming pod', () => {
    const { cluster, state, nodes } = setup();
    const incoming = cluster.pods.get('default/a')!; // as if it were being scheduled again
    (nodes[1]!.podKeys as Set<string>).add('default/ghost');
    const placed = placedPods(state, incoming, nodes);
    expect(placed.pods.map((p) => p.pod.metadata.name)).toEqual(['anti', 'pref', 'leaving', 'plain']);
    expect(placed.nodeIndex).toEqual([0, 1, 1, 2]);
    expect(placedPods(state, incoming, [])).toBe(placed);
  });

  it('tells terminal and deleting pods apart', () => {
    const { cluster } = setup();
    expect(isTerminal(cluster.pods.get('default/done')!)).toBe(true);
    expect(isDeleting(cluster.pods.get('default/leaving')!)).toBe(true);
    expect(isDeleting(cluster.pods.get('default/a')!)).toBe(false);
  });

  it('remembers the first node list of the cycle (PreFilter\'s, all nodes) for PreScore', () => {
    const { state, nodes } = setup();
    expect(allNodes(state, [nodes[0]!])).toEqual([nodes[0]]);
    rememberAllNodes(state, nodes);
    rememberAllNodes(state, [nodes[0]!]);
    expect(state.read(ALL_NODES)).toBe(nodes);
    expect(allNodes(state, [nodes[0]!])).toBe(nodes);
  });
});

describe('affinityPods', () => {
  it('lists only pods with pod (anti-)affinity terms, from NodeInfo.podsWithAffinity', () => {
    const { state, nodes } = setup();
    expect(nodes.map((n) => [...(n.podsWithAffinity ?? [])])).toEqual([['default/anti'], ['default/pref', 'default/done'], []]);
    const found = affinityPods(state, podRecord({ name: 'new' }), nodes);
    expect(found.pods.map((p) => p.pod.metadata.name)).toEqual(['anti', 'pref']);
    expect(found.nodeIndex).toEqual([0, 1]);
    expect(found.withRequiredAntiAffinity).toEqual([0]);
  });

  it('looks at every pod of a node whose provider does not keep podsWithAffinity', () => {
    const { state, nodes } = setup();
    const bare: NodeInfo[] = nodes.map((n) => ({
      name: n.name,
      node: n.node,
      allocatable: n.allocatable,
      requested: n.requested,
      nonZeroRequested: n.nonZeroRequested,
      hostPorts: n.hostPorts,
      podKeys: n.podKeys,
      assumedPodKeys: n.assumedPodKeys,
    }));
    expect(affinityPods(state, podRecord({ name: 'new' }), bare).pods.map((p) => p.pod.metadata.name)).toEqual(['anti', 'pref']);
  });
});

describe('viewChanges', () => {
  it('nothing for the nodes PreFilter saw; the pods removed and added on a what-if view', () => {
    const { cluster, state, nodes } = setup();
    const incoming = podRecord({ name: 'new' });
    const tracker = viewTracker(nodes);
    expect(viewChanges(state, tracker, nodes[0]!, incoming)).toBeUndefined();
    const view = new NodeInfoOverlay(nodes[0]!);
    expect(viewChanges(state, tracker, view, incoming)).toEqual({ removed: [], added: [] });
    view.removePod(cluster.pods.get('default/a')!);
    view.addPod(cluster.pods.get('default/pref')!);
    const changes = viewChanges(state, tracker, view, incoming)!;
    expect(changes.removed.map((p) => p.pod.metadata.name)).toEqual(['a']);
    expect(changes.added.map((p) => p.pod.metadata.name)).toEqual(['pref']);
    // An overlay PreFilter itself was given (nominated pods added) is not a what-if view.
    expect(viewChanges(state, viewTracker([view]), view, incoming)).toBeUndefined();
  });
});
