import { describe, expect, it } from 'vitest';
import type { DomainEvent, PodCreated } from '@flotilla/events';
import type { ReplicaSet } from '@flotilla/model';
import {
  containerReadinessChanged,
  containerStarted,
  nodeRegistered,
  podBound,
  podCreated,
  podDeletionRequested,
  podSandboxReady,
} from '@flotilla/state/testing';
import { replicaSetPodIdentity } from './pod-identity.ts';
import { collectOrphans, reconcileReplicaSet } from './replica-set-controller.ts';
import { T0, World, replicaSet, replicaSetCreated, replicaSetScaled } from './testing.ts';

const RS = replicaSet({ name: 'web', replicas: 3, terminationGracePeriodSeconds: 5 });

function reconcile(world: World, options: Partial<Parameters<typeof reconcileReplicaSet>[2]> = {}, rs: ReplicaSet = RS): DomainEvent[] {
  const record = world.state.replicaSets.get(`${rs.metadata.namespace}/${rs.metadata.name}`);
  if (!record) throw new Error(`no ReplicaSet ${rs.metadata.name}`);
  return reconcileReplicaSet(world.state, record, { now: T0 + 60_000, ...options });
}

/** The pod each deletion names, in order. */
const deletedNames = (events: DomainEvent[]): string[] =>
  events.map((e) => (e.type === 'PodDeletionRequested' || e.type === 'PodDeleted' ? e.data.name : e.type));

const created = (events: DomainEvent[]): string[] =>
  events.filter((e): e is PodCreated => e.type === 'PodCreated').map((e) => e.data.pod.metadata.name);

/** The ReplicaSet with its pods created (ordinals 0..replicas-1) and folded. */
function withPods(rs: ReplicaSet = RS): World {
  const world = new World().apply(nodeRegistered({ name: 'node-1' })).apply(nodeRegistered({ name: 'node-2', podCIDR: '10.244.2.0/24' }));
  world.apply({ type: 'ReplicaSetCreated', data: { replicaSet: rs } });
  world.apply(reconcile(world, {}, rs));
  return world;
}

const podName = (ordinal: number, rs: ReplicaSet = RS): string => replicaSetPodIdentity(rs, ordinal).name;
const ref = (ordinal: number, rs: ReplicaSet = RS) => ({ name: podName(ordinal, rs), uid: replicaSetPodIdentity(rs, ordinal).uid });

/** The pod bound to `node`, its sandbox up and its container started (Running), ready or not, at `at`. */
function running(world: World, ordinal: number, node: string, ready: boolean, at: number): void {
  const pod = { ...ref(ordinal), nodeName: node };
  world.apply([podBound(pod), podSandboxReady({ ...pod, podIP: `10.244.${node === 'node-1' ? 1 : 2}.${ordinal + 2}` }), containerStarted(pod)], at);
  // Without a readiness probe a started container is ready; a failing probe takes that back.
  if (!ready) world.apply(containerReadinessChanged({ ...pod, ready: false }), at);
}

describe('reconcileReplicaSet: scaling up', () => {
  it('creates the missing pods from ordinals podsCreated.., each owned by the ReplicaSet', () => {
    const world = new World().apply(replicaSetCreated({ name: 'web', replicas: 3 }));
    const events = reconcile(world);
    expect(created(events)).toEqual([podName(0), podName(1), podName(2)]);
    const pod = (events[0] as PodCreated).data.pod;
    expect(pod.metadata.uid).toBe(replicaSetPodIdentity(RS, 0).uid);
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: RS.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(pod.metadata.creationTimestamp).toBe(new Date(T0 + 60_000).toISOString());
  });

  it('decides the same pods however often it is asked, so replicas and restarts propose identical events', () => {
    const world = new World().apply(replicaSetCreated({ name: 'web', replicas: 3 }));
    expect(reconcile(world)).toEqual(reconcile(world));
  });

  it('is satisfied once the fold shows the pods', () => {
    const world = withPods();
    expect(world.state.replicaSets.get('default/web')?.podsCreated).toBe(3);
    expect(reconcile(world)).toEqual([]);
  });

  it('continues from the next ordinal after a scale-up', () => {
    const world = withPods();
    world.apply(replicaSetScaled(RS, 5));
    expect(created(reconcile(world))).toEqual([podName(3), podName(4)]);
  });

  it('replaces a pod that is being deleted or was evicted (they no longer count)', () => {
    const world = withPods();
    running(world, 1, 'node-1', true, T0 + 10_000);
    world.apply(podDeletionRequested({ ...ref(0), gracePeriodSeconds: 5 }));
    world.apply({ type: 'NodeMarkedUnreachable', data: { name: 'node-1', message: 'Kubelet stopped posting node status.' } });
    world.apply({ type: 'NodeEvictionTaintAdded', data: { name: 'node-1' } });
    world.apply({ type: 'PodEvicted', data: { ...ref(1), namespace: 'default', nodeName: 'node-1', reason: 'NodeLost', message: 'gone' } });
    expect(created(reconcile(world))).toEqual([podName(3), podName(4)]);
  });

  it('creates at most burstReplicas pods per pass', () => {
    const world = new World().apply(replicaSetCreated({ name: 'web', replicas: 10 }));
    expect(created(reconcile(world, { burstReplicas: 4 }))).toHaveLength(4);
  });

  it('never proposes a uid the fold ignored once: the ordinal gets its next identity', () => {
    const world = new World().apply(replicaSetCreated({ name: 'web', replicas: 1 }));
    const burned = new Set([replicaSetPodIdentity(RS, 0).uid]);
    const [event] = reconcile(world, { burnedUids: burned }) as PodCreated[];
    expect(event?.data.pod.metadata).toMatchObject(replicaSetPodIdentity(RS, 0, 1));
  });

  it('picks another name when the ordinal\'s name is taken by some other pod', () => {
    const world = new World().apply(podCreated({ name: podName(0), uid: 'someone-else' })).apply(replicaSetCreated({ name: 'web', replicas: 1 }));
    const [event] = reconcile(world) as PodCreated[];
    expect(event?.data.pod.metadata.name).toBe(replicaSetPodIdentity(RS, 0, 1).name);
    world.apply(event!);
    expect(world.ownedBy(RS.metadata.uid)).toHaveLength(1);
  });

  it('cannot make the fold exceed replicas: a stale decision applied after a scale-down is refused', () => {
    const world = new World().apply(replicaSetCreated({ name: 'web', replicas: 3 }));
    const stale = reconcile(world);
    world.apply(replicaSetScaled(RS, 2)).apply(stale).apply(stale);
    expect(world.ownedBy(RS.metadata.uid)).toHaveLength(2);
  });
});

describe('reconcileReplicaSet: scaling down', () => {
  it('deletes an unbound pod outright and asks a bound one to stop within its grace period', () => {
    const world = withPods();
    running(world, 0, 'node-1', true, T0 + 10_000);
    running(world, 1, 'node-2', true, T0 + 10_000);
    world.apply(replicaSetScaled(RS, 1));
    // 0 and 1 are alike in every respect Kubernetes looks at: the name decides, the same way everywhere.
    const tie = podName(0) < podName(1) ? 0 : 1;
    expect(reconcile(world)).toEqual([
      { type: 'PodDeleted', data: { namespace: 'default', ...ref(2), reason: 'Deleted' } },
      { type: 'PodDeletionRequested', data: { namespace: 'default', ...ref(tie), gracePeriodSeconds: 5 } },
    ]);
  });

  it('deletes unassigned, then Pending, then not ready, then the most recently ready pods first', () => {
    const rs = replicaSet({ name: 'web', replicas: 5 });
    const world = withPods(rs);
    // 0: unassigned. 1: assigned, still Pending. 2: Running, not ready. 3: ready at +10 s. 4: ready at +20 s.
    world.apply(podBound({ ...ref(1), nodeName: 'node-1' }));
    running(world, 2, 'node-1', false, T0 + 5_000);
    running(world, 3, 'node-2', true, T0 + 10_000);
    running(world, 4, 'node-1', true, T0 + 20_000);
    world.apply(replicaSetScaled(rs, 0));
    expect(deletedNames(reconcile(world, {}, rs))).toEqual([podName(0), podName(1), podName(2), podName(4), podName(3)]);
  });

  it('deletes the youngest of otherwise equal pods first', () => {
    const world = new World().apply(replicaSetCreated({ name: 'web', replicas: 1 }));
    world.apply(reconcile(world, { now: T0 + 1_000 }));
    world.apply(replicaSetScaled(RS, 2));
    world.apply(reconcile(world, { now: T0 + 2_000 }));
    world.apply(replicaSetScaled(RS, 1, 3));
    expect(deletedNames(reconcile(world))).toEqual([podName(1)]);
  });

  it('deletes a pod doubled up on a node before one alone on its node', () => {
    const world = withPods();
    running(world, 0, 'node-1', true, T0 + 10_000);
    running(world, 1, 'node-2', true, T0 + 10_000);
    running(world, 2, 'node-1', true, T0 + 10_000);
    world.apply(replicaSetScaled(RS, 2));
    const [deleted] = reconcile(world);
    expect(deleted?.type).toBe('PodDeletionRequested');
    expect([podName(0), podName(2)]).toContain(deleted?.type === 'PodDeletionRequested' ? deleted.data.name : '');
  });

  it('leaves pods already being deleted alone', () => {
    const world = withPods();
    running(world, 0, 'node-1', true, T0 + 10_000);
    world.apply(podDeletionRequested({ ...ref(0), gracePeriodSeconds: 5 }));
    world.apply(replicaSetScaled(RS, 2));
    expect(reconcile(world)).toEqual([]);
  });
});

describe('collectOrphans', () => {
  it('deletes the pods of a deleted ReplicaSet, gracefully where a node runs them', () => {
    const world = withPods();
    running(world, 0, 'node-1', true, T0 + 10_000);
    world.apply({ type: 'ReplicaSetDeleted', data: { namespace: 'default', name: 'web', uid: RS.metadata.uid } });
    expect(collectOrphans(world.state)).toEqual([
      { type: 'PodDeletionRequested', data: { namespace: 'default', ...ref(0), gracePeriodSeconds: 5 } },
      { type: 'PodDeleted', data: { namespace: 'default', ...ref(1), reason: 'Deleted' } },
      { type: 'PodDeleted', data: { namespace: 'default', ...ref(2), reason: 'Deleted' } },
    ]);
  });

  it('leaves plain pods, pods of live ReplicaSets and pods already being deleted alone', () => {
    const other = replicaSet({ name: 'api', replicas: 1 });
    const world = withPods().apply(podCreated({ name: 'plain' })).apply({ type: 'ReplicaSetCreated', data: { replicaSet: other } });
    world.apply(reconcile(world, {}, other));
    running(world, 0, 'node-1', true, T0 + 10_000);
    world.apply(podDeletionRequested({ ...ref(0), gracePeriodSeconds: 5 }));
    expect(collectOrphans(world.state)).toEqual([]);
    world.apply({ type: 'ReplicaSetDeleted', data: { namespace: 'default', name: 'web', uid: RS.metadata.uid } });
    expect(deletedNames(collectOrphans(world.state))).toEqual([podName(1), podName(2)]);
  });

  it('treats the pods of an earlier ReplicaSet of the same name as orphans', () => {
    const world = withPods();
    world.apply({ type: 'ReplicaSetDeleted', data: { namespace: 'default', name: 'web', uid: RS.metadata.uid } });
    world.apply(replicaSetCreated({ name: 'web', uid: 'uid-rs-web-2', replicas: 3 }));
    expect(collectOrphans(world.state)).toHaveLength(3);
  });
});
