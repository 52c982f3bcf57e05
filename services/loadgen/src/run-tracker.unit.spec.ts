import { describe, expect, it } from 'vitest';
import type { DomainEvent, FlotillaRecord } from '@flotilla/events';
import type { Pod } from '@flotilla/model';
import {
  containerStarted,
  nodeEvictionTaintAdded,
  nodeMarkedUnreachable,
  nodeRegistered,
  nodeRemoved,
  podBound,
  podCreated,
  podDeleted,
  podDeletionRequested,
  podEvicted,
  podSandboxReady,
  toRecord,
} from '@flotilla/state/testing';
import { RunTracker } from './run-tracker.ts';

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);

/** A log: each step is an event and its time in ms after T0; seqs follow the order. */
function log(...steps: Array<[DomainEvent | DomainEvent[], number]>): FlotillaRecord[] {
  const events = steps.flatMap(([event, ms]) => (Array.isArray(event) ? event : [event]).map((e) => [e, ms] as const));
  return events.map(([event, ms], index) => toRecord(event, index + 1, { time: new Date(T0 + ms).toISOString() }));
}

const byPrefix = (prefix: string) => (pod: Pod) => pod.metadata.name.startsWith(`${prefix}-`);
const node = (name: string) => nodeRegistered({ name, cpu: '4', podCIDR: null });
const pod = (name: string) => podCreated({ name, cpu: '100m' });
const bind = (name: string, nodeName: string) => podBound({ name, nodeName });
const start = (name: string, nodeName: string): DomainEvent[] => [podSandboxReady({ name, nodeName }), containerStarted({ name, nodeName })];

function track(records: readonly FlotillaRecord[], phases: Array<(pod: Pod) => boolean>, fromSeq = 0): RunTracker {
  const tracker = new RunTracker({ fromSeq, phases });
  for (const record of records) tracker.apply(record);
  return tracker;
}

describe('RunTracker', () => {
  it('counts each phase\'s pods: created, bound, Running, deleted, and what is still live', () => {
    const tracker = track(
      log(
        [node('n1'), -1000],
        [pod('a-1'), 0],
        [pod('a-2'), 10],
        [pod('b-1'), 20],
        [pod('other-1'), 30],
        [bind('a-1', 'n1'), 100],
        [bind('b-1', 'n1'), 110],
        [start('a-1', 'n1'), 200],
        [podDeletionRequested({ name: 'a-2', gracePeriodSeconds: 0 }), 300],
        [podDeleted({ name: 'a-2' }), 300],
      ),
      [byPrefix('a'), byPrefix('b')],
    );
    expect(tracker.phaseCounts(0)).toEqual({ created: 2, bound: 1, running: 1, deleted: 1, evicted: 0, live: 1, liveUnbound: 0, liveNotRunning: 0 });
    expect(tracker.phaseCounts(1)).toEqual({ created: 1, bound: 1, running: 0, deleted: 0, evicted: 0, live: 1, liveUnbound: 0, liveNotRunning: 1 });
    expect(tracker.pods(0).map((p) => [p.key, p.createdMs - T0, p.boundMs === undefined ? undefined : p.boundMs - T0, p.nodeName])).toEqual([
      ['default/a-1', 0, 100, 'n1'],
      ['default/a-2', 10, undefined, undefined],
    ]);
  });

  it('ignores pods created before fromSeq and creations the fold refused', () => {
    const records = log([node('n1'), 0], [pod('a-1'), 10], [pod('a-2'), 20], [podCreated({ name: 'a-2', uid: 'another-uid' }), 30]);
    const tracker = track(records, [byPrefix('a')], 2);
    expect(tracker.pods(0).map((p) => p.key)).toEqual(['default/a-2']);
    expect(tracker.phaseCounts(0).created).toBe(1);
  });

  it('measures a window: pods created in it, bindings in it, their latencies', () => {
    const tracker = track(
      log(
        [node('n1'), -1000],
        [pod('a-1'), 0],
        [bind('a-1', 'n1'), 500], // before the window, created before it
        [pod('a-2'), 1000],
        [bind('a-2', 'n1'), 1100],
        [start('a-2', 'n1'), 1300],
        [pod('a-3'), 1500],
        [bind('a-3', 'n1'), 1800],
        [pod('a-4'), 2500], // after the window
        [bind('a-4', 'n1'), 2600],
      ),
      [byPrefix('a')],
    );
    const window = tracker.window(0, T0 + 1000, T0 + 2000);
    expect(window.created).toBe(2);
    expect(window.bound).toBe(2);
    expect(window.boundPerSecond).toBe(2);
    expect(window.schedulingLatency).toMatchObject({ count: 2, p50: 100, max: 300 });
    expect(window.startupLatency).toMatchObject({ count: 1, max: 300 });
  });

  it('counts live pods left bound to a removed node', () => {
    const tracker = track(
      log([node('n1'), 0], [node('churn-1'), 0], [pod('a-1'), 10], [pod('a-2'), 10], [bind('a-1', 'churn-1'), 20], [bind('a-2', 'n1'), 20], [nodeRemoved({ name: 'churn-1' }), 30]),
      [byPrefix('a')],
    );
    expect(tracker.orphaned(0)).toBe(1);
    expect(tracker.phaseCounts(0).live).toBe(2);
  });

  it('finds no node over its capacity in a log the fold accepted', () => {
    const tracker = track(log([node('n1'), 0], [pod('a-1'), 10], [bind('a-1', 'n1'), 20]), [byPrefix('a')]);
    expect(tracker.capacityViolations()).toEqual([]);
  });

  describe('a node kill', () => {
    // n1 is killed at 10 s with a-1 and a-2 Running on it; a-3 runs on n2. The controller marks n1
    // unreachable at 12 s, taints it at 12.5 s, evicts its pods at 15 s; the ReplicaSet controller
    // creates a-4 and a-5, which run on n2.
    const before = log(
      [[node('n1'), node('n2')], 0],
      [[pod('a-1'), pod('a-2'), pod('a-3')], 100],
      [[bind('a-1', 'n1'), bind('a-2', 'n1'), bind('a-3', 'n2')], 200],
      [[...start('a-1', 'n1'), ...start('a-2', 'n1'), ...start('a-3', 'n2')], 300],
    );
    const after = (from: number) =>
      log(
        [nodeMarkedUnreachable({ name: 'n1' }), 12_000],
        [nodeEvictionTaintAdded({ name: 'n1' }), 12_500],
        [podEvicted({ name: 'a-1', nodeName: 'n1' }), 15_000],
        [podEvicted({ name: 'a-2', nodeName: 'n1' }), 15_200],
        [pod('a-4'), 15_100],
        [pod('a-5'), 15_300],
        [bind('a-4', 'n2'), 15_400],
        [bind('a-5', 'n2'), 15_500],
        [start('a-4', 'n2'), 16_000],
        [start('a-5', 'n2'), 17_000],
      ).map((r) => ({ ...r, seq: r.seq + from }));

    function killed(): { tracker: RunTracker; id: number; rest: FlotillaRecord[] } {
      const tracker = track(before, [byPrefix('a')]);
      const id = tracker.startKill({ phase: 0, nodes: ['n1'], atMs: T0 + 10_000, expected: 3, waitFor: 'running' });
      return { tracker, id, rest: after(before.length) };
    }

    it('counts the pods on the killed nodes at the kill, and none replaced yet', () => {
      const { tracker, id } = killed();
      const figures = tracker.killFigures(id);
      expect(figures).toMatchObject({ nodes: 1, podsOnKilledNodes: 2, lost: 2, notEvicted: 2, recovered: false, recoveredMs: null });
      expect(figures.notReady).toEqual({ count: 0, of: 1, firstMs: null, allMs: null });
    });

    it('times NotReady, the taint, the evictions and the replacements from the kill', () => {
      const { tracker, id, rest } = killed();
      for (const record of rest) tracker.apply(record);
      const figures = tracker.killFigures(id);
      expect(figures.notReady).toEqual({ count: 1, of: 1, firstMs: 2000, allMs: 2000 });
      expect(figures.evictionTaints).toEqual({ count: 1, of: 1, firstMs: 2500, allMs: 2500 });
      expect(figures.evictions).toEqual({ count: 2, of: 2, firstMs: 5000, allMs: 5200 });
      expect(figures.replacements).toMatchObject({ created: 2, bound: 2, running: 2 });
      expect(figures.replacements.fromKill).toMatchObject({ count: 2, p50: 6000, max: 7000 });
      // a-4 (first created) pairs with the first eviction, a-5 with the second.
      expect(figures.replacements.fromEviction).toMatchObject({ count: 2, p50: 1000, max: 1800 });
      expect(figures.replacements.startup).toMatchObject({ count: 2, p50: 900, max: 1700 });
      expect(figures).toMatchObject({ lost: 0, notEvicted: 0, recovered: true, recoveredMs: 7000 });
      expect(tracker.phaseCounts(0)).toMatchObject({ created: 5, evicted: 2, live: 3, liveNotRunning: 0 });
    });

    it('is not recovered while a replacement is bound but not Running (when Running is what counts)', () => {
      const { tracker, id, rest } = killed();
      // Everything but the replacements' sandboxes and containers starting (two events each).
      for (const record of rest.slice(0, -4)) tracker.apply(record);
      expect(tracker.killFigures(id)).toMatchObject({ lost: 2, notEvicted: 0, recovered: false });
      expect(tracker.killFigures(id).replacements).toMatchObject({ created: 2, bound: 2, running: 0 });
      const bound = tracker.startKill({ phase: 0, nodes: ['n1'], atMs: T0 + 10_000, expected: 3, waitFor: 'bound' });
      // Watching from now on: a-1 and a-2 are no longer live, so nothing is on n1 to be evicted.
      expect(tracker.killFigures(bound)).toMatchObject({ podsOnKilledNodes: 0, lost: 0, recovered: true });
    });

    it('refuses an unknown kill', () => {
      expect(() => new RunTracker({ phases: [] }).killFigures(0)).toThrow(RangeError);
    });
  });
});
