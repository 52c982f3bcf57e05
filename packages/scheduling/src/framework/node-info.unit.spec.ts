import { describe, expect, it } from 'vitest';
import { clusterState } from '../test-support/fixtures.ts';
import { AssumedPods } from './assumed-pods.ts';
import { buildNodeInfos } from './node-info.ts';

const Mi = 1024 * 1024;

describe('buildNodeInfos', () => {
  const state = clusterState(
    [{ name: 'n1', cpu: '4' }, { name: 'n2', cpu: '2' }],
    [
      { name: 'bound', cpu: '1', memory: '1Gi', hostPorts: [80], boundTo: 'n1' },
      { name: 'best-effort', boundTo: 'n1' },
      { name: 'pending', cpu: '500m', hostPorts: [443] },
    ],
  );

  it('gives one view per node, in the fold order, over the records', () => {
    const infos = buildNodeInfos(state, new AssumedPods());
    expect(infos.map((i) => i.name)).toEqual(['n1', 'n2']);
    const [n1] = infos;
    expect(n1!.allocatable).toMatchObject({ cpu: 4000, pods: 110 });
    expect(n1!.requested).toEqual({ cpu: 1000, memory: 1024 * Mi, pods: 2 });
    expect([...n1!.hostPorts]).toEqual(['TCP/80']);
    expect([...n1!.podKeys]).toEqual(['default/bound', 'default/best-effort']);
    expect(n1!.assumedPodKeys.size).toBe(0);
  });

  it('nonZeroRequested counts the scoring defaults for pods without requests', () => {
    const [n1, n2] = buildNodeInfos(state, new AssumedPods());
    expect(n1!.nonZeroRequested).toEqual({ cpu: 1100, memory: 1224 * Mi });
    expect(n2!.nonZeroRequested).toEqual({ cpu: 0, memory: 0 });
  });

  it('adds assumed pods to requested, nonZeroRequested, hostPorts and podKeys', () => {
    const assumed = new AssumedPods();
    assumed.assume(state.pods.get('default/pending')!, 'n1');
    const [n1, n2] = buildNodeInfos(state, assumed);
    expect(n1!.requested).toEqual({ cpu: 1500, memory: 1024 * Mi, pods: 3 });
    expect(n1!.nonZeroRequested).toEqual({ cpu: 1600, memory: 1424 * Mi });
    expect([...n1!.hostPorts].sort()).toEqual(['TCP/443', 'TCP/80']);
    expect([...n1!.assumedPodKeys]).toEqual(['default/pending']);
    expect(n1!.podKeys.has('default/pending')).toBe(true);
    expect(n2!.requested).toEqual({});
    // The record itself is untouched.
    expect(state.nodes.get('n1')!.requested).toEqual({ cpu: 1000, memory: 1024 * Mi, pods: 2 });
  });

  it('does not count twice a pod the fold already bound while still assumed', () => {
    const assumed = new AssumedPods();
    assumed.assume(state.pods.get('default/bound')!, 'n1');
    const [n1] = buildNodeInfos(state, assumed);
    expect(n1!.requested).toEqual({ cpu: 1000, memory: 1024 * Mi, pods: 2 });
    expect(n1!.assumedPodKeys.size).toBe(0);
  });
});
