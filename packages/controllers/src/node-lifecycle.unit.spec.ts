import { describe, expect, it } from 'vitest';
import { msgIdFor, type DomainEvent } from '@flotilla/events';
import type { Toleration } from '@flotilla/model';
import { containerStarted, containerTerminated, nodeRegistered, podBound, podCreated, podDeletionRequested, podSandboxReady } from '@flotilla/state/testing';
import { EvictionRateLimiter } from './eviction-rate-limiter.ts';
import { decideNodeLifecycle, evictionTime, type NodeLifecycleOptions } from './node-lifecycle.ts';
import { T0, World } from './testing.ts';

const S = 1_000;
const GRACE = 50 * S;
const STARTUP = 60 * S;

function options(overrides: Partial<NodeLifecycleOptions> = {}): NodeLifecycleOptions {
  return { gracePeriodMs: GRACE, startupGraceMs: STARTUP, evictionLimiter: new EvictionRateLimiter(0.1), ...overrides };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const leases = (entries: Record<string, number>): Map<string, { renewTime: string }> =>
  new Map(Object.entries(entries).map(([name, at]) => [name, { renewTime: iso(at) }]));
const types = (events: DomainEvent[]): string[] => events.map((e) => `${e.type}:${'name' in e.data ? e.data.name : ''}`);

/** node-1 (registered at T0) whose lease was last renewed at T0 + 100 s, marked unreachable and tainted at `taintedAt`. */
function taintedNode(taintedAt: number): World {
  const world = new World().apply(nodeRegistered({ name: 'node-1' }), T0);
  world.apply({ type: 'NodeMarkedUnreachable', data: { name: 'node-1', leaseRenewTime: iso(T0 + 100 * S), message: 'Kubelet stopped posting node status.' } }, taintedAt - S);
  world.apply({ type: 'NodeEvictionTaintAdded', data: { name: 'node-1', leaseRenewTime: iso(T0 + 100 * S) } }, taintedAt);
  return world;
}

/** A pod bound to node-1 and running there, with these tolerations. */
function runningPod(world: World, name: string, tolerations?: Toleration[]): void {
  const pod = { name, nodeName: 'node-1' };
  world.apply([podCreated({ name, ...(tolerations ? { tolerations } : {}) }), podBound(pod), podSandboxReady({ ...pod, podIP: `10.244.1.${world.state.pods.size + 2}` }), containerStarted(pod)], T0);
}

describe('decideNodeLifecycle: leases', () => {
  it('leaves a node alone while its lease is younger than the grace period', () => {
    const world = new World().apply(nodeRegistered({ name: 'node-1' }));
    expect(decideNodeLifecycle(world.state, leases({ 'node-1': T0 + 100 * S }), T0 + 150 * S, options())).toEqual([]);
  });

  it('marks the node unreachable once its lease is older than the grace period, naming the renewal it judged', () => {
    const world = new World().apply(nodeRegistered({ name: 'node-1' }));
    expect(decideNodeLifecycle(world.state, leases({ 'node-1': T0 + 100 * S }), T0 + 150 * S + 1, options())).toEqual([
      { type: 'NodeMarkedUnreachable', data: { name: 'node-1', leaseRenewTime: iso(T0 + 100 * S), message: 'Kubelet stopped posting node status.' } },
    ]);
  });

  it('gives a node that never renewed a lease the startup grace from its registration', () => {
    const world = new World().apply(nodeRegistered({ name: 'node-1' }));
    expect(decideNodeLifecycle(world.state, new Map(), T0 + STARTUP, options())).toEqual([]);
    expect(decideNodeLifecycle(world.state, new Map(), T0 + STARTUP + 1, options())).toEqual([
      { type: 'NodeMarkedUnreachable', data: { name: 'node-1', message: 'Kubelet stopped posting node status.' } },
    ]);
  });

  it('does not extend the startup grace to a node that renewed its lease and then went quiet', () => {
    const world = new World().apply(nodeRegistered({ name: 'node-1' }));
    // Registered at T0, renewed once at T0 + 1 s, then died: unreachable after the grace, well within the startup grace.
    expect(decideNodeLifecycle(world.state, leases({ 'node-1': T0 + S }), T0 + S + GRACE + 1, options())).toEqual([
      { type: 'NodeMarkedUnreachable', data: { name: 'node-1', leaseRenewTime: iso(T0 + S), message: 'Kubelet stopped posting node status.' } },
    ]);
  });

  it('judges a node by when it saw the renewal arrive, not by the clock of the node that wrote it', () => {
    const world = new World().apply(nodeRegistered({ name: 'node-1' }));
    // The node's clock runs 30 s behind: its renewTime says T0 + 100 s, the controller saw it at T0 + 130 s.
    const lease = new Map([['node-1', { renewTime: iso(T0 + 100 * S), observedAt: T0 + 130 * S }]]);
    expect(decideNodeLifecycle(world.state, lease, T0 + 130 * S + GRACE, options())).toEqual([]);
    expect(types(decideNodeLifecycle(world.state, lease, T0 + 130 * S + GRACE + 1, options()))).toEqual(['NodeMarkedUnreachable:node-1']);
  });

  it('gives every node, with a lease or not, a full grace period from when the lease feed came back', () => {
    const world = new World().apply(nodeRegistered({ name: 'node-1' }));
    const restored = T0 + 300 * S; // the feed was down from T0 + 100 s: nobody could renew
    const lease = leases({ 'node-1': T0 + 100 * S });
    expect(decideNodeLifecycle(world.state, lease, restored + GRACE, options({ observingSince: restored }))).toEqual([]);
    expect(types(decideNodeLifecycle(world.state, lease, restored + GRACE + 1, options({ observingSince: restored })))).toEqual(['NodeMarkedUnreachable:node-1']);
  });

  it('gives a node whose lease it has not seen yet a full grace period from when it began watching', () => {
    const world = new World().apply(nodeRegistered({ name: 'node-1' }));
    const since = T0 + 3_600 * S;
    expect(decideNodeLifecycle(world.state, new Map(), since + GRACE, options({ observingSince: since }))).toEqual([]);
    expect(types(decideNodeLifecycle(world.state, new Map(), since + GRACE + 1, options({ observingSince: since })))).toEqual(['NodeMarkedUnreachable:node-1']);
  });

  it('marks an unreachable node reachable when a newer renewal arrives in time, and not for a stale one', () => {
    const world = taintedNode(T0 + 160 * S);
    const now = T0 + 200 * S;
    expect(types(decideNodeLifecycle(world.state, leases({ 'node-1': T0 + 100 * S }), now, options()))).toEqual([]);
    expect(types(decideNodeLifecycle(world.state, leases({ 'node-1': T0 + 140 * S }), now, options()))).toEqual([]);
    expect(decideNodeLifecycle(world.state, leases({ 'node-1': T0 + 190 * S }), now, options())).toEqual([
      { type: 'NodeMarkedReachable', data: { name: 'node-1', leaseRenewTime: iso(T0 + 190 * S) } },
    ]);
  });

  it('marks a node unreachable again on its next lapse, judged on the newer renewal', () => {
    const world = taintedNode(T0 + 160 * S);
    world.apply({ type: 'NodeMarkedReachable', data: { name: 'node-1', leaseRenewTime: iso(T0 + 190 * S) } }, T0 + 200 * S);
    expect(decideNodeLifecycle(world.state, leases({ 'node-1': T0 + 190 * S }), T0 + 241 * S, options())).toEqual([
      { type: 'NodeMarkedUnreachable', data: { name: 'node-1', leaseRenewTime: iso(T0 + 190 * S), message: 'Kubelet stopped posting node status.' } },
    ]);
  });
});

describe('decideNodeLifecycle: eviction taints at the limiter\'s pace', () => {
  it('taints ten nodes that died together 10 s apart at 0.1 nodes/s, oldest lapse first', () => {
    const names = Array.from({ length: 10 }, (_, i) => `node-${i}`);
    const world = new World();
    for (const name of names) world.apply(nodeRegistered({ name, podCIDR: null }), T0);
    const lease = leases(Object.fromEntries(names.map((name) => [name, T0 + 100 * S])));
    const opts = options();
    const tainted: Array<{ name: string; at: number }> = [];
    for (let now = T0 + 150 * S; now <= T0 + 300 * S; now += S) {
      const events = decideNodeLifecycle(world.state, lease, now, opts);
      for (const event of events) if (event.type === 'NodeEvictionTaintAdded') tainted.push({ name: event.data.name, at: now });
      world.apply(events, now);
    }
    expect(tainted.map((t) => t.name)).toEqual(names);
    expect(tainted.map((t) => (t.at - tainted[0]!.at) / S)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    for (const name of names) expect(world.state.nodes.get(name)?.unreachable?.evictionTaintAddedAt).toBe(iso(tainted.find((t) => t.name === name)!.at));
  });

  it('does not spend a token on a taint already in flight', () => {
    const world = new World();
    for (const name of ['node-a', 'node-b']) {
      world.apply(nodeRegistered({ name, podCIDR: null }), T0);
      world.apply({ type: 'NodeMarkedUnreachable', data: { name, message: 'Kubelet stopped posting node status.' } }, T0 + 100 * S);
    }
    const inFlight = new Set([msgIdFor({ type: 'NodeEvictionTaintAdded', data: { name: 'node-a' } })]);
    expect(types(decideNodeLifecycle(world.state, new Map(), T0 + 101 * S, options({ inFlight })))).toEqual(['NodeEvictionTaintAdded:node-b']);
  });
});

describe('decideNodeLifecycle: evictions', () => {
  const TAINTED = T0 + 160 * S;
  const byTolerations: Record<string, Toleration[] | undefined> = {
    bare: undefined,
    zero: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }],
    patient: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    shortest: [
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 8 },
    ],
    forever: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }],
    everything: [{ operator: 'Exists' }],
    other: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1_000 }],
  };

  function cluster(): World {
    const world = taintedNode(TAINTED);
    for (const [name, tolerations] of Object.entries(byTolerations)) runningPod(world, name, tolerations);
    return world;
  }

  const evicted = (events: DomainEvent[]): string[] => events.filter((e) => e.type === 'PodEvicted').map((e) => (e.type === 'PodEvicted' ? e.data.name : '')).sort();

  it('evicts pods without a matching toleration at once, the others after their shortest tolerationSeconds, never those without', () => {
    const world = cluster();
    const lease = leases({ 'node-1': T0 + 100 * S });
    expect(evicted(decideNodeLifecycle(world.state, lease, TAINTED, options()))).toEqual(['bare', 'other', 'zero']);
    expect(evicted(decideNodeLifecycle(world.state, lease, TAINTED + 8 * S - 1, options()))).toEqual(['bare', 'other', 'zero']);
    expect(evicted(decideNodeLifecycle(world.state, lease, TAINTED + 8 * S, options()))).toEqual(['bare', 'other', 'shortest', 'zero']);
    expect(evicted(decideNodeLifecycle(world.state, lease, TAINTED + 300 * S, options()))).toEqual(['bare', 'other', 'patient', 'shortest', 'zero']);
    expect(evicted(decideNodeLifecycle(world.state, lease, TAINTED + 100_000 * S, options()))).not.toContain('forever');
  });

  it('says the node is unresponsive, with reason NodeLost, and does not evict a pod twice', () => {
    const world = cluster();
    const lease = leases({ 'node-1': T0 + 100 * S });
    const events = decideNodeLifecycle(world.state, lease, TAINTED, options()).filter((e) => e.type === 'PodEvicted');
    expect(events[0]).toEqual({
      type: 'PodEvicted',
      data: { namespace: 'default', name: 'bare', uid: 'uid-bare', nodeName: 'node-1', reason: 'NodeLost', message: 'Node node-1 which was running pod bare is unresponsive' },
    });
    world.apply(events, TAINTED);
    expect(world.pod('bare').pod.status?.phase).toBe('Failed');
    expect(evicted(decideNodeLifecycle(world.state, lease, TAINTED + S, options()))).toEqual([]);
  });

  it('leaves pods that are being deleted or have finished alone', () => {
    const world = taintedNode(TAINTED);
    runningPod(world, 'leaving');
    world.apply(podDeletionRequested({ name: 'leaving', gracePeriodSeconds: 30 }));
    const done = { name: 'done', nodeName: 'node-1' };
    world.apply([podCreated({ name: 'done', restartPolicy: 'Never' }), podBound(done), podSandboxReady({ ...done, podIP: '10.244.1.40' }), containerStarted(done), containerTerminated(done)], T0);
    expect(world.pod('done').pod.status?.phase).toBe('Succeeded');
    expect(evicted(decideNodeLifecycle(world.state, leases({ 'node-1': T0 + 100 * S }), TAINTED, options()))).toEqual([]);
  });

  it('does not evict from a node that is only unreachable, not yet tainted NoExecute', () => {
    const world = new World().apply(nodeRegistered({ name: 'node-1' }), T0);
    runningPod(world, 'bare');
    world.apply({ type: 'NodeMarkedUnreachable', data: { name: 'node-1', leaseRenewTime: iso(T0 + 100 * S), message: 'x' } }, T0 + 151 * S);
    const limiter = new EvictionRateLimiter(0.1);
    limiter.tryTake(T0 + 151 * S);
    expect(decideNodeLifecycle(world.state, leases({ 'node-1': T0 + 100 * S }), T0 + 152 * S, options({ evictionLimiter: limiter }))).toEqual([]);
  });

  it('cancels the evictions still waiting when the lease comes back first', () => {
    const world = cluster();
    const now = TAINTED + 200 * S;
    const back = leases({ 'node-1': now - 5 * S });
    const events = decideNodeLifecycle(world.state, back, now, options());
    expect(types(events)).toEqual(['NodeMarkedReachable:node-1']);
    world.apply(events, now);
    expect(world.state.nodes.get('node-1')?.node.spec.taints ?? []).toEqual([]);
    // Past every toleration, with the node renewing: nothing is evicted.
    expect(decideNodeLifecycle(world.state, leases({ 'node-1': now + 995 * S }), now + 1_000 * S, options())).toEqual([]);
  });
});

describe('evictionTime', () => {
  const taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' as const };

  it('is the taint time without a matching toleration, or with tolerationSeconds <= 0', () => {
    expect(evictionTime(undefined, taint, 1_000)).toBe(1_000);
    expect(evictionTime([{ key: 'other', operator: 'Exists' }], taint, 1_000)).toBe(1_000);
    expect(evictionTime([{ key: taint.key, operator: 'Exists', tolerationSeconds: -5 }], taint, 1_000)).toBe(1_000);
  });

  it('honours Equal tolerations by value and ignores other effects', () => {
    expect(evictionTime([{ key: taint.key, operator: 'Equal', value: '', effect: 'NoExecute', tolerationSeconds: 2 }], taint, 0)).toBe(2_000);
    expect(evictionTime([{ key: taint.key, operator: 'Equal', value: 'x', tolerationSeconds: 2 }], taint, 0)).toBe(0);
    expect(evictionTime([{ key: taint.key, operator: 'Exists', effect: 'NoSchedule' }], taint, 0)).toBe(0);
  });
});
