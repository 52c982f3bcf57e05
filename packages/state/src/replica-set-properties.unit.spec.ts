// Properties of the ReplicaSet side of the fold over random logs: two controllers racing, scales,
// deletes, bindings, readiness, unreachable nodes and evictions. After every event:
// - a creation the fold accepted left the ReplicaSet with at most spec.replicas active pods;
// - each ReplicaSet's status equals a count made from scratch over the pods it owns;
// - podsCreated counts exactly the creations accepted for it;
// - every node's requested equals what the pods still holding resources there request.
import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '@flotilla/events';
import type { ReplicaSetStatus, Resources } from '@flotilla/model';
import type { ClusterState } from './cluster-state.ts';
import { applyEvent, createClusterState } from './fold.ts';
import { findCondition } from './pod-status.ts';
import { podsOwnedBy } from './queries.ts';
import { isPodActive } from './replica-set-status.ts';
import {
  containerReadinessChanged,
  containerStarted,
  containerTerminated,
  nodeEvictionTaintAdded,
  nodeMarkedReachable,
  nodeMarkedUnreachable,
  nodeRegistered,
  ownedPodCreated,
  podBound,
  podDeleted,
  podDeletionRequested,
  podEvicted,
  podSandboxReady,
  replicaSetCreated,
  replicaSetDeleted,
  replicaSetScaled,
  specTime,
  toRecord,
} from './testing/index.ts';

/** mulberry32: a small seeded PRNG, so a failing run can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkReplicaSets(state: ClusterState, time: string, accepted: Map<string, number>, context: string): void {
  const now = Date.parse(time);
  for (const record of state.replicaSets.values()) {
    const owned = podsOwnedBy(state, record.replicaSet.metadata.uid).filter((pod) => {
      const reference = pod.pod.metadata.ownerReferences?.[0];
      return reference?.name === record.replicaSet.metadata.name;
    });
    const active = owned.filter(isPodActive);
    const minReadySeconds = record.replicaSet.spec.minReadySeconds ?? 0;
    const templateLabels = record.replicaSet.spec.template.metadata?.labels ?? {};
    const ready = active.filter((pod) => findCondition(pod.pod.status?.conditions, 'Ready')?.status === 'True');
    const available = ready.filter((pod) => {
      const since = Date.parse(findCondition(pod.pod.status?.conditions, 'Ready')?.lastTransitionTime ?? '');
      return minReadySeconds === 0 || since + minReadySeconds * 1000 < now;
    });
    expect(record.replicaSet.status, `${context}: status of ${record.key}`).toEqual({
      replicas: active.length,
      fullyLabeledReplicas: active.filter((pod) => Object.entries(templateLabels).every(([k, v]) => pod.pod.metadata.labels?.[k] === v)).length,
      readyReplicas: ready.length,
      availableReplicas: available.length,
      observedGeneration: record.replicaSet.metadata.generation,
    });
    expect(record.podsCreated, `${context}: podsCreated of ${record.key}`).toBe(accepted.get(record.replicaSet.metadata.uid) ?? 0);
  }
}

function checkAccounting(state: ClusterState, context: string): void {
  for (const [name, node] of state.nodes) {
    const expected: Resources = {};
    for (const pod of state.pods.values()) {
      if (pod.nodeName !== name || pod.released) continue;
      for (const [resource, value] of Object.entries(pod.request)) expected[resource] = (expected[resource] ?? 0) + value;
    }
    for (const resource of new Set([...Object.keys(expected), ...Object.keys(node.requested)])) {
      expect(node.requested[resource] ?? 0, `${context}: ${name} ${resource}`).toBe(expected[resource] ?? 0);
    }
  }
}

function run(seed: number, steps: number): { accepted: number; refused: number; evicted: number; availableLater: number } {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const state = createClusterState({ maxEvents: 50 });
  const acceptedBy = new Map<string, number>();
  let seq = 0;
  let accepted = 0;
  let refused = 0;
  let evicted = 0;
  /** Times a pod became available minReadySeconds after it became ready (not at once). */
  let availableLater = 0;
  const statuses = new Map<string, ReplicaSetStatus | undefined>();
  const apply = (event: DomainEvent): void => {
    seq += 1;
    const created = event.type === 'PodCreated' ? event.data.pod : undefined;
    const key = created ? `${created.metadata.namespace}/${created.metadata.name}` : '';
    const existed = state.pods.has(key);
    const changes = applyEvent(state, toRecord(event, seq));
    for (const change of changes) {
      if (change.kind !== 'ReplicaSet') continue;
      const previous = statuses.get(change.key);
      const status = change.object.status;
      if (previous && status && status.readyReplicas === previous.readyReplicas && (status.availableReplicas ?? 0) > (previous.availableReplicas ?? 0)) availableLater++;
      statuses.set(change.key, status);
    }
    if (created && !existed && state.pods.get(key)?.pod.metadata.uid === created.metadata.uid) {
      const owner = created.metadata.ownerReferences?.[0]?.uid ?? '';
      acceptedBy.set(owner, (acceptedBy.get(owner) ?? 0) + 1);
    }
    const context = `seed ${seed} seq ${seq} ${event.type}`;
    checkReplicaSets(state, specTime(seq), acceptedBy, context);
    checkAccounting(state, context);
  };

  const nodeNames = ['n0', 'n1', 'n2'];
  for (const name of nodeNames) apply(nodeRegistered({ name, cpu: '8', memory: '16Gi', pods: '20', podCIDR: null }));
  // ReplicaSet generations: a name comes back with a new uid after a delete.
  const generations = new Map<string, number>();
  const rsUid = (name: string) => `${name}-rs${generations.get(name) ?? 0}`;
  let podCounter = 0;

  for (let step = 0; step < steps; step++) {
    const roll = random();
    const rsName = pick(['web', 'api']);
    const rs = state.replicaSets.get(`default/${rsName}`);
    const pods = [...state.pods.values()];
    if (!rs || roll < 0.02) {
      if (rs) {
        apply(replicaSetDeleted({ name: rsName, uid: rs.replicaSet.metadata.uid }));
        generations.set(rsName, (generations.get(rsName) ?? 0) + 1);
      } else {
        apply(replicaSetCreated({ name: rsName, uid: rsUid(rsName), replicas: pick([0, 2, 3, 5]), minReadySeconds: pick([0, 2, 3]) }));
      }
    } else if (roll < 0.1) {
      apply(replicaSetScaled({ name: rsName, uid: rs.replicaSet.metadata.uid, replicas: pick([0, 1, 3, 6]), generation: rs.replicaSet.metadata.generation + 1 }));
    } else if (roll < 0.35) {
      // Two controllers: one names pods afresh, the other repeats a recent name (same identity) or
      // writes for an older uid of the ReplicaSet.
      const uid = random() < 0.1 ? `${rsName}-rs${(generations.get(rsName) ?? 0) - 1}` : rs.replicaSet.metadata.uid;
      const suffix = random() < 0.3 && podCounter > 0 ? String(podCounter - 1) : String(podCounter++);
      const name = `${rsName}-${suffix}`;
      const before = state.pods.has(`default/${name}`);
      apply(ownedPodCreated(suffix, { owner: rsName, ownerUid: uid, name, uid: `${uid}-${suffix}`, cpu: pick(['500m', '1']), labels: random() < 0.2 ? { other: 'x' } : { app: rsName } }));
      const created = !before && state.pods.get(`default/${name}`)?.pod.metadata.uid === `${uid}-${suffix}`;
      if (created) {
        accepted++;
        const current = state.replicaSets.get(`default/${rsName}`);
        if (current) {
          const active = podsOwnedBy(state, current.replicaSet.metadata.uid).filter(isPodActive).length;
          expect(active, `seed ${seed} seq ${seq}: accepted past spec.replicas`).toBeLessThanOrEqual(current.replicaSet.spec.replicas);
        }
      } else refused++;
    } else if (pods.length > 0 && roll < 0.9) {
      const pod = pick(pods);
      const ref = { name: pod.pod.metadata.name, uid: pod.pod.metadata.uid };
      const nodeName = pod.nodeName ?? pick(nodeNames);
      const restartCount = pod.pod.status?.containerStatuses?.[0]?.restartCount ?? 0;
      // Mostly the pod's natural next step, so that many pods get to run and be ready.
      if (random() < 0.6) {
        const sandbox = pod.pod.status?.conditions?.some((c) => c.type === 'PodReadyToStartContainers' && c.status === 'True');
        if (pod.nodeName === undefined) apply(podBound({ ...ref, nodeName }));
        else if (!sandbox) apply(podSandboxReady({ ...ref, nodeName, podIP: `10.0.${seq >> 8}.${seq & 255}` }));
        else apply(containerStarted({ ...ref, nodeName, restartCount: pod.pod.status?.containerStatuses?.[0]?.state?.running ? restartCount : restartCount + 1 }));
        continue;
      }
      const kind = random();
      if (kind < 0.25) apply(podBound({ ...ref, nodeName }));
      else if (kind < 0.4) apply(podSandboxReady({ ...ref, nodeName, podIP: `10.0.${seq >> 8}.${seq & 255}` }));
      else if (kind < 0.55) apply(containerStarted({ ...ref, nodeName, restartCount }));
      else if (kind < 0.62) apply(containerReadinessChanged({ ...ref, nodeName, ready: random() < 0.5, restartCount }));
      else if (kind < 0.68) apply(containerTerminated({ ...ref, nodeName, exitCode: 1 }));
      else if (kind < 0.78) {
        const wasEvicted = pod.evicted !== undefined;
        apply(podEvicted({ ...ref, nodeName }));
        if (!wasEvicted && state.pods.get(pod.key)?.evicted !== undefined) evicted++;
      } else if (kind < 0.88) apply(podDeletionRequested(ref));
      else apply(podDeleted(ref));
    } else {
      const name = pick(nodeNames);
      const kind = random();
      if (kind < 0.4) apply(nodeMarkedUnreachable({ name, leaseRenewTime: specTime(seq) }));
      else if (kind < 0.7) apply(nodeEvictionTaintAdded({ name }));
      else apply(nodeMarkedReachable({ name, leaseRenewTime: specTime(seq + 1) }));
    }
  }
  return { accepted, refused, evicted, availableLater };
}

describe('ReplicaSets over random logs', () => {
  for (const seed of [7, 8, 2024, 31337]) {
    it(`seed ${seed}: the judge holds, status is an exact count, accounting holds`, () => {
      const { accepted, refused, evicted, availableLater } = run(seed, 1000);
      expect(accepted).toBeGreaterThan(20);
      expect(refused).toBeGreaterThan(20);
      expect(evicted).toBeGreaterThan(3);
      expect(availableLater).toBeGreaterThan(1);
    });
  }
});
