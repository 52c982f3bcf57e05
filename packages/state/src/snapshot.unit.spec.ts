import { describe, expect, it } from 'vitest';
import type { DomainEvent, FlotillaRecord } from '@flotilla/events';
import { generatedLog } from '@flotilla/snapshots/testing';
import type { ClusterState, FoldOptions, StateChange } from './cluster-state.ts';
import { applyEvent, createClusterState } from './fold.ts';
import { podsOnNode, pendingPods } from './queries.ts';
import { IncompatibleSnapshotError, SNAPSHOT_VERSION, restoreSnapshot, snapshotOf } from './snapshot.ts';
import {
  containerReadinessChanged,
  containerStarted,
  nodeMarkedUnreachable,
  nodeRegistered,
  ownedPodCreated,
  podBound,
  podCreated,
  podDeleted,
  podDeletionRequested,
  podSandboxReady,
  podSandboxRemoved,
  replicaSetCreated,
  replicaSetScaled,
  toRecord,
} from './testing/index.ts';

function fold(state: ClusterState, records: readonly FlotillaRecord[]): StateChange[] {
  return records.flatMap((record) => applyEvent(state, record));
}

/** Through JSON, as a store hands it back. */
function roundTrip(state: ClusterState): ClusterState {
  return restoreSnapshot(JSON.parse(JSON.stringify(snapshotOf(state))));
}

/**
 * The property: for every cut point k, restoring the snapshot of fold(1..k) and folding k+1..n gives
 * the state of fold(1..n), and every tail event reports the same changes.
 */
function expectSnapshotsFoldLikeTheOriginal(events: readonly DomainEvent[], options: Partial<FoldOptions> = {}): void {
  const records = events.map((event, i) => toRecord(event, i + 1));
  const whole = createClusterState(options);
  const wholeChanges = records.map((record) => applyEvent(whole, record));
  const expected = JSON.stringify(snapshotOf(whole));
  const prefix = createClusterState(options);
  for (let k = 0; k <= records.length; k++) {
    if (k > 0) applyEvent(prefix, records[k - 1]!);
    const restored = roundTrip(prefix);
    const tailChanges = records.slice(k).map((record) => applyEvent(restored, record));
    expect(JSON.stringify(snapshotOf(restored)), `cut at ${k}`).toBe(expected);
    expect(tailChanges, `changes after a cut at ${k}`).toEqual(wholeChanges.slice(k));
  }
  // Deep equality of the state itself (Maps, Sets, the allocator's bookkeeping) at the last cut too.
  expect(roundTrip(whole)).toEqual(whole);
}

describe('snapshots of the fold', () => {
  it.each([1, 2, 3, 4, 5])('restore(snapshot(fold(1..k))) then k+1..n equals fold(1..n) for every k (generated log, seed %i)', (seed) => {
    expectSnapshotsFoldLikeTheOriginal(generatedLog(seed, 250), { maxEvents: 40 });
  });

  it('holds for a ReplicaSet with minReadySeconds cut while its pods wait to become available', () => {
    expectSnapshotsFoldLikeTheOriginal([
      nodeRegistered({ name: 'node-1' }),
      replicaSetCreated({ name: 'web', replicas: 2, minReadySeconds: 10 }),
      ownedPodCreated('0'),
      ownedPodCreated('1'),
      podBound({ name: 'web-0' }),
      podBound({ name: 'web-1' }),
      containerStarted({ name: 'web-0' }),
      containerStarted({ name: 'web-1' }),
      containerReadinessChanged({ name: 'web-0', ready: true }),
      containerReadinessChanged({ name: 'web-1', ready: true }),
      podCreated({ name: 'filler-1' }),
      podCreated({ name: 'filler-2' }),
      podCreated({ name: 'filler-3' }),
      podCreated({ name: 'filler-4' }),
      podCreated({ name: 'filler-5' }),
      podCreated({ name: 'filler-6' }),
      podCreated({ name: 'filler-7' }),
      podCreated({ name: 'filler-8' }),
      podCreated({ name: 'filler-9' }),
      podCreated({ name: 'filler-10' }),
      podCreated({ name: 'filler-11' }),
      replicaSetScaled({ name: 'web', replicas: 1 }),
      podDeletionRequested({ name: 'web-1', gracePeriodSeconds: 0 }),
      podSandboxRemoved({ name: 'web-1' }),
      podDeleted({ name: 'web-1' }),
      ownedPodCreated('2'),
    ]);
  });

  it('keeps pod CIDRs: a node that registers after the restore gets the next free range, a returning one its own', () => {
    expectSnapshotsFoldLikeTheOriginal([
      nodeRegistered({ name: 'a', podCIDR: null }),
      nodeRegistered({ name: 'b', podCIDR: '10.244.1.0/24' }),
      nodeRegistered({ name: 'c', podCIDR: null }),
      nodeMarkedUnreachable({ name: 'a' }),
      nodeRegistered({ name: 'd', podCIDR: null }),
      nodeRegistered({ name: 'a', podCIDR: null }),
    ]);
  });

  it('restores the derived indexes: queries over a restored state answer as over the original', () => {
    const records = [
      nodeRegistered({ name: 'node-1' }),
      podCreated({ name: 'a' }),
      podCreated({ name: 'b' }),
      podBound({ name: 'a', nodeName: 'node-1' }),
      podSandboxReady({ name: 'a', nodeName: 'node-1' }),
    ].map((event, i) => toRecord(event, i + 1));
    const state = createClusterState();
    fold(state, records);
    const restored = roundTrip(state);
    expect(podsOnNode(restored, 'node-1').map((record) => record.key)).toEqual(['default/a']);
    expect(pendingPods(restored).map((record) => record.key)).toEqual(['default/b']);
    expect(restored.nodes.get('node-1')?.podIPs).toEqual(new Map([['10.244.1.2', 'default/a']]));
  });

  it('restores a state that shares nothing the fold mutates with the snapshot it came from', () => {
    const state = createClusterState();
    fold(state, [nodeRegistered({ name: 'node-1' }), podCreated({ name: 'a', cpu: '1' })].map((event, i) => toRecord(event, i + 1)));
    const snapshot = JSON.parse(JSON.stringify(snapshotOf(state))) as unknown;
    const first = restoreSnapshot(snapshot);
    applyEvent(first, toRecord(podBound({ name: 'a', nodeName: 'node-1' }), 3));
    expect(restoreSnapshot(snapshot)).toEqual(state);
  });

  it('restores into an existing state object, replacing indexes it had built, and leaves it untouched when refused', () => {
    const records = generatedLog(9, 200).map((event, i) => toRecord(event, i + 1));
    const source = createClusterState();
    fold(source, records.slice(0, 120));
    const target = createClusterState();
    fold(target, records.slice(0, 40));
    pendingPods(target);
    const before = JSON.stringify(snapshotOf(target));
    expect(() => restoreSnapshot({ ...snapshotOf(source), indexes: {} }, target)).toThrow(IncompatibleSnapshotError);
    expect(JSON.stringify(snapshotOf(target))).toBe(before);
    expect(restoreSnapshot(JSON.parse(JSON.stringify(snapshotOf(source))), target)).toBe(target);
    fold(target, records.slice(120));
    fold(source, records.slice(120));
    expect(JSON.stringify(snapshotOf(target))).toBe(JSON.stringify(snapshotOf(source)));
  });

  it('rejects another version or something that is not a snapshot', () => {
    const snapshot = snapshotOf(createClusterState());
    expect(() => restoreSnapshot({ ...snapshot, version: SNAPSHOT_VERSION + 1 })).toThrow(IncompatibleSnapshotError);
    expect(() => restoreSnapshot({ ...snapshot, format: 'other' })).toThrow(/not a cluster snapshot/);
    expect(() => restoreSnapshot({ ...snapshot, pods: {} })).toThrow(IncompatibleSnapshotError);
    expect(() => restoreSnapshot('{}')).toThrow(IncompatibleSnapshotError);
  });
});
