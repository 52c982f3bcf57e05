import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '@flotilla/events';
import { applyEvent, createClusterState, type ClusterState } from '@flotilla/state';
import {
  nodeRegistered,
  nodeRemoved,
  nodeUpdated,
  podBound,
  podCreated,
  podDeleted,
  podSandboxReady,
  podSandboxRemoved,
  containerTerminated,
  podAdmissionRejected,
  toRecord,
} from '@flotilla/state/testing';
import { AssumedPods } from './assumed-pods.ts';
import { NodeInfoCache, buildNodeInfos } from './node-info.ts';
import type { NodeInfo } from './types.ts';

/** A fold plus a cache fed with the fold's changes, as the scheduler service wires them. */
function setup(...events: DomainEvent[]) {
  const state = createClusterState();
  const assumed = new AssumedPods();
  const cache = new NodeInfoCache(state, assumed);
  const apply = (...more: DomainEvent[]): void => {
    for (const event of more) cache.applyChanges(applyEvent(state, toRecord(event, state.seq + 1)));
  };
  apply(...events);
  return { state, assumed, cache, apply };
}

function plain(info: NodeInfo) {
  return {
    name: info.name,
    labels: info.node.metadata.labels,
    allocatable: info.allocatable,
    requested: info.requested,
    nonZeroRequested: info.nonZeroRequested,
    hostPorts: [...info.hostPorts].sort(),
    podKeys: [...info.podKeys].sort(),
    assumedPodKeys: [...info.assumedPodKeys].sort(),
  };
}

/** The cache must always read as a fresh buildNodeInfos would. */
function expectFresh(state: ClusterState, assumed: AssumedPods, cache: NodeInfoCache): void {
  expect(cache.nodes().map(plain)).toEqual(buildNodeInfos(state, assumed).map(plain));
}

const nodes = [nodeRegistered({ name: 'n1', podCIDR: '10.244.1.0/24' }), nodeRegistered({ name: 'n2', podCIDR: '10.244.2.0/24' })];

describe('NodeInfoCache', () => {
  it('hands out the same NodeInfo objects while nothing changes', () => {
    const { cache } = setup(...nodes);
    const first = cache.nodes();
    expect(cache.nodes()).toBe(first);
    expect(first.map((n) => n.name)).toEqual(['n1', 'n2']);
  });

  it('follows bindings, releases and deletions the fold applies', () => {
    const { state, assumed, cache, apply } = setup(...nodes, podCreated({ name: 'a', cpu: '1', hostPorts: [80] }), podCreated({ name: 'b' }));
    const before = cache.nodes();
    apply(podBound({ name: 'a', nodeName: 'n1' }));
    expect(cache.nodes()[0]!.requested).toMatchObject({ cpu: 1000, pods: 1 });
    expect(cache.nodes()[0]).toBe(before[0]);
    expectFresh(state, assumed, cache);
    apply(podBound({ name: 'b', nodeName: 'n2' }), podSandboxReady({ name: 'b', nodeName: 'n2', podIP: '10.244.2.5' }));
    expectFresh(state, assumed, cache);
    apply(containerTerminated({ name: 'b', nodeName: 'n2', exitCode: 0 }), podSandboxRemoved({ name: 'b', nodeName: 'n2' }));
    expectFresh(state, assumed, cache);
    apply(podAdmissionRejected({ name: 'a', nodeName: 'n1' }));
    expect(cache.nodes()[0]!.requested).toEqual({});
    expectFresh(state, assumed, cache);
    apply(podBound({ name: 'a', nodeName: 'n2', attempt: 2 }), podDeleted({ name: 'a' }));
    expectFresh(state, assumed, cache);
  });

  it('follows nodes joining, changing and leaving', () => {
    const { state, assumed, cache, apply } = setup(...nodes);
    cache.nodes();
    apply(nodeRegistered({ name: 'n3', podCIDR: '10.244.3.0/24' }));
    expect(cache.nodes().map((n) => n.name)).toEqual(['n1', 'n2', 'n3']);
    apply(nodeUpdated({ name: 'n2', labels: { zone: 'b' }, unschedulable: true }));
    expect(cache.nodes()[1]!.node.spec.unschedulable).toBe(true);
    expect(cache.nodes()[1]!.node.metadata.labels).toEqual({ zone: 'b' });
    apply(nodeRemoved({ name: 'n1' }));
    expect(cache.nodes().map((n) => n.name)).toEqual(['n2', 'n3']);
    apply(nodeRegistered({ name: 'n1', cpu: '8', podCIDR: '10.244.1.0/24' }));
    expect(cache.nodes().map((n) => n.name)).toEqual(['n2', 'n3', 'n1']);
    expect(cache.nodes()[2]!.allocatable).toMatchObject({ cpu: 8000 });
    expectFresh(state, assumed, cache);
  });

  it('adds assumed pods where they are assumed, and drops them when forgotten or settled', () => {
    const { state, assumed, cache, apply } = setup(...nodes, podCreated({ name: 'a', cpu: '1' }), podCreated({ name: 'b', cpu: '2', hostPorts: [443] }));
    cache.nodes();
    assumed.assume(state.pods.get('default/a')!, 'n1');
    assumed.assume(state.pods.get('default/b')!, 'n1');
    expect(cache.nodes()[0]!.requested).toMatchObject({ cpu: 3000, pods: 2 });
    expect([...cache.nodes()[0]!.assumedPodKeys]).toEqual(['default/a', 'default/b']);
    expectFresh(state, assumed, cache);
    // The fold binds one of them elsewhere: the assumption is settled, the other stays.
    apply(podBound({ name: 'a', nodeName: 'n2' }));
    assumed.reconcile(state);
    expect(cache.nodes()[0]!.requested).toMatchObject({ cpu: 2000, pods: 1 });
    expect(cache.nodes()[1]!.requested).toMatchObject({ cpu: 1000, pods: 1 });
    expectFresh(state, assumed, cache);
    assumed.forget('default/b');
    expect(cache.nodes()[0]!.requested).toEqual({});
    expect(cache.nodes()[0]!.hostPorts.size).toBe(0);
    expectFresh(state, assumed, cache);
  });

  it('stops listening to the assumptions when closed', () => {
    const { state, assumed, cache } = setup(...nodes, podCreated({ name: 'a', cpu: '1' }));
    cache.nodes();
    cache.close();
    assumed.assume(state.pods.get('default/a')!, 'n1');
    expect(cache.nodes()[0]!.requested).toEqual({});
    cache.reset();
    expect(cache.nodes()[0]!.requested).toMatchObject({ cpu: 1000 });
  });
});
