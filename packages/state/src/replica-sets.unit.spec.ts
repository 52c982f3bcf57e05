import { describe, expect, it } from 'vitest';
import type { ClusterState, PodRecord, ReplicaSetRecord } from './cluster-state.ts';
import { applyEvent } from './fold.ts';
import { eventsFor } from './kube-events.ts';
import { podsOwnedBy } from './queries.ts';
import { isPodActive } from './replica-set-status.ts';
import {
  containerReadinessChanged,
  containerStarted,
  given,
  nodeRegistered,
  ownedPodCreated,
  podBound,
  podCreated,
  podDeleted,
  podDeletionRequested,
  podSandboxReady,
  replicaSetCreated,
  replicaSetDeleted,
  replicaSetScaled,
  specTime,
  toRecord,
} from './testing/index.ts';

function rs(state: ClusterState, name = 'web'): ReplicaSetRecord {
  const record = state.replicaSets.get(`default/${name}`);
  if (!record) throw new Error(`no ReplicaSet default/${name}`);
  return record;
}

function pod(state: ClusterState, name: string): PodRecord {
  const record = state.pods.get(`default/${name}`);
  if (!record) throw new Error(`no pod default/${name}`);
  return record;
}

const zero = { replicas: 0, fullyLabeledReplicas: 0, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 };

/** `web-<suffix>` bound to node-1, sandboxed and started (ready: the container has no readiness probe). */
const running = (suffix: string) => [
  ownedPodCreated(suffix),
  podBound({ name: `web-${suffix}` }),
  podSandboxReady({ name: `web-${suffix}`, podIP: `10.244.1.${10 + suffix.charCodeAt(0) % 200}` }),
  containerStarted({ name: `web-${suffix}` }),
];

describe('ReplicaSetCreated', () => {
  it('adds the ReplicaSet with a status of no pods yet, for watchers too', () => {
    given()
      .when(replicaSetCreated({ replicas: 3 }))
      .then(({ state, changes }) => {
        const record = rs(state);
        expect(record).toMatchObject({ key: 'default/web', resourceVersion: 1, podsCreated: 0 });
        expect(record.replicaSet.spec.replicas).toBe(3);
        expect(record.replicaSet.status).toEqual(zero);
        expect(record.replicaSet.metadata.resourceVersion).toBe('1');
        expect(changes).toEqual([{ kind: 'ReplicaSet', type: 'ADDED', key: 'default/web', object: record.replicaSet }]);
      });
  });

  it('keeps the first of a name', () => {
    given(replicaSetCreated({ uid: 'first' }))
      .when(replicaSetCreated({ uid: 'second' }))
      .then(({ state, changes }) => {
        expect(changes).toEqual([]);
        expect(rs(state).replicaSet.metadata.uid).toBe('first');
      });
  });
});

describe('the judge: pods a ReplicaSet controls are created only while it has fewer than it asks for', () => {
  it('accepts a creation for a ReplicaSet below its replicas, counts it, and records SuccessfulCreate on the ReplicaSet', () => {
    given(replicaSetCreated({ replicas: 2 }))
      .when(ownedPodCreated('abcde'))
      .then(({ state, changes }) => {
        expect(pod(state, 'web-abcde').pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', uid: 'uid-web', controller: true });
        expect(rs(state).podsCreated).toBe(1);
        expect(rs(state).replicaSet.status).toEqual({ ...zero, replicas: 1, fullyLabeledReplicas: 1 });
        expect(changes.map((c) => `${c.kind} ${c.type} ${c.key}`)).toEqual([
          'Pod ADDED default/web-abcde',
          'Event ADDED default/web.2',
          'ReplicaSet MODIFIED default/web',
        ]);
        expect(eventsFor(state, 'ReplicaSet', 'default', 'web')).toEqual([
          expect.objectContaining({
            reason: 'SuccessfulCreate',
            message: 'Created pod: web-abcde',
            type: 'Normal',
            source: { component: 'replicaset-controller' },
            involvedObject: { kind: 'ReplicaSet', namespace: 'default', name: 'web', uid: 'uid-web' },
          }),
        ]);
        expect(state.rejectedCreations).toBe(0);
      });
  });

  it('ignores the second of two controllers\' identical creations (same name and uid)', () => {
    given(replicaSetCreated({ replicas: 3 }), ownedPodCreated('abcde'))
      .when(ownedPodCreated('abcde'))
      .then(({ state, changes }) => {
        expect(changes).toEqual([]);
        expect(rs(state).podsCreated).toBe(1);
        expect(podsOwnedBy(state, 'uid-web')).toHaveLength(1);
        expect(state.rejectedCreations).toBe(1);
      });
  });

  it('ignores a creation whose uid is taken by another pod', () => {
    given(replicaSetCreated({ replicas: 3 }), ownedPodCreated('abcde', { uid: 'u-1' }))
      .when(ownedPodCreated('fghij', { uid: 'u-1' }))
      .then(({ state, changes }) => {
        expect(changes).toEqual([]);
        expect(state.pods.has('default/web-fghij')).toBe(false);
        expect(state.rejectedCreations).toBe(1);
      });
  });

  it('ignores surplus creations: never more active pods than spec.replicas', () => {
    given(replicaSetCreated({ replicas: 2 }), ownedPodCreated('aaaaa'), ownedPodCreated('bbbbb'))
      .when(ownedPodCreated('ccccc'))
      .then(({ state, changes }) => {
        expect(changes).toEqual([]);
        expect(state.pods.has('default/web-ccccc')).toBe(false);
        expect(rs(state).podsCreated).toBe(2);
        expect(rs(state).replicaSet.status?.replicas).toBe(2);
        expect(state.rejectedCreations).toBe(1);
      });
  });

  it('ignores creations for a ReplicaSet that was deleted, never existed, or is now another one of the same name', () => {
    given(replicaSetCreated(), replicaSetDeleted())
      .when(ownedPodCreated('abcde'))
      .then(({ state, changes }) => {
        expect(changes).toEqual([]);
        expect(state.rejectedCreations).toBe(1);
      });
    given()
      .when(ownedPodCreated('abcde'))
      .then(({ changes }) => expect(changes).toEqual([]));
    given(replicaSetCreated(), replicaSetDeleted(), replicaSetCreated({ uid: 'uid-web-2' }))
      .when(ownedPodCreated('abcde'))
      .then(({ state, changes }) => {
        expect(changes).toEqual([]);
        expect(rs(state).podsCreated).toBe(0);
      });
  });

  it('ignores creations after a scale-down below the active pods', () => {
    given(replicaSetCreated({ replicas: 3 }), ownedPodCreated('aaaaa'), ownedPodCreated('bbbbb'), replicaSetScaled({ replicas: 1 }))
      .when(ownedPodCreated('ccccc'))
      .then(({ changes }) => expect(changes).toEqual([]));
  });

  it('does not count pods that are being deleted, failed or were deleted: their replacements are accepted', () => {
    given(replicaSetCreated({ replicas: 2 }), ownedPodCreated('aaaaa'), ownedPodCreated('bbbbb'), podDeletionRequested({ name: 'web-aaaaa', uid: 'uid-web-aaaaa' }))
      .when(ownedPodCreated('ccccc'))
      .then(({ state }) => {
        expect(state.pods.has('default/web-ccccc')).toBe(true);
        expect(rs(state).podsCreated).toBe(3);
        expect(rs(state).replicaSet.status?.replicas).toBe(2);
      });
    given(replicaSetCreated({ replicas: 1 }), ownedPodCreated('aaaaa'), podDeleted({ name: 'web-aaaaa', uid: 'uid-web-aaaaa' }))
      .when(ownedPodCreated('bbbbb'))
      .then(({ state }) => expect(state.pods.has('default/web-bbbbb')).toBe(true));
  });

  it('leaves pods without a ReplicaSet controller alone (a plain pod, or one owned by something else)', () => {
    given()
      .when(podCreated({ name: 'plain' }))
      .then(({ state }) => expect(state.pods.has('default/plain')).toBe(true));
    given()
      .when(podCreated({ name: 'job-pod', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'uid-j', controller: true }] }))
      .then(({ state }) => {
        expect(state.pods.has('default/job-pod')).toBe(true);
        expect(podsOwnedBy(state, 'uid-j').map((p) => p.key)).toEqual(['default/job-pod']);
      });
  });

  it('lets two controllers race through a whole scale-up and still ends with exactly spec.replicas pods', () => {
    // Controller A and controller B each create pods 0..4 (their own names) for a ReplicaSet of 3.
    const creations = ['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'a4'].map((suffix) => ownedPodCreated(suffix));
    const state = given(replicaSetCreated({ replicas: 3 }), ...creations).state();
    expect(podsOwnedBy(state, 'uid-web').map((p) => p.pod.metadata.name)).toEqual(['web-a0', 'web-b0', 'web-a1']);
    expect(rs(state).podsCreated).toBe(3);
    expect(state.rejectedCreations).toBe(6);
  });
});

describe('ReplicaSet status, derived from the pods it owns', () => {
  it('counts ready pods as ready and (minReadySeconds 0) available, as a MODIFIED change of the ReplicaSet', () => {
    given(nodeRegistered(), replicaSetCreated({ replicas: 2 }), ...running('aaaaa'), ownedPodCreated('bbbbb'), podBound({ name: 'web-bbbbb' }), podSandboxReady({ name: 'web-bbbbb', podIP: '10.244.1.3' }))
      .when(containerStarted({ name: 'web-bbbbb' }))
      .then(({ state, changes, record }) => {
        expect(rs(state).replicaSet.status).toEqual({ replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
        const change = changes.find((c) => c.kind === 'ReplicaSet');
        expect(change).toEqual({ kind: 'ReplicaSet', type: 'MODIFIED', key: 'default/web', object: rs(state).replicaSet });
        expect(rs(state).resourceVersion).toBe(record.seq);
        expect(rs(state).replicaSet.metadata.resourceVersion).toBe(String(record.seq));
      });
  });

  it('emits no ReplicaSet change when an owned pod changes without changing the counts', () => {
    given(nodeRegistered(), replicaSetCreated({ replicas: 1 }), ownedPodCreated('aaaaa'))
      .when(podBound({ name: 'web-aaaaa' }))
      .then(({ changes }) => expect(changes.some((c) => c.kind === 'ReplicaSet')).toBe(false));
  });

  it('counts a pod as available only once it has been ready for minReadySeconds (by a later event\'s time)', () => {
    const setup = given(nodeRegistered(), replicaSetCreated({ replicas: 1, minReadySeconds: 30 }), ...running('aaaaa'));
    const readyAt = specTime(setup.records().length);
    const state = setup.state();
    expect(rs(state).replicaSet.status).toMatchObject({ readyReplicas: 1, availableReplicas: 0 });
    expect(pod(state, 'web-aaaaa').pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe(readyAt);

    const seq = setup.records().length;
    // 30 s after becoming ready is not yet "more than 30 s" (Kubernetes compares strictly).
    const early = applyEvent(state, toRecord(nodeRegistered({ name: 'node-2' }), seq + 30));
    expect(early.some((c) => c.kind === 'ReplicaSet')).toBe(false);
    const later = applyEvent(state, toRecord(nodeRegistered({ name: 'node-3' }), seq + 31));
    expect(later.find((c) => c.kind === 'ReplicaSet')?.object).toMatchObject({ status: { readyReplicas: 1, availableReplicas: 1 } });
  });

  it('makes pods available one by one, each minReadySeconds after it became ready', () => {
    // Pods become ready at seq 10, 14 and 18 (times specTime(seq)); minReadySeconds 15.
    const state = given(nodeRegistered(), replicaSetCreated({ replicas: 3, minReadySeconds: 15 })).state();
    const steps = (suffix: string, readyAt: number) => running(suffix).map((event, i) => toRecord(event, readyAt - 3 + i));
    for (const record of [...steps('a', 10), ...steps('b', 14), ...steps('c', 18)]) applyEvent(state, record);
    const availableAt = (seq: number) => {
      applyEvent(state, toRecord(nodeRegistered({ name: `node-${seq}` }), seq));
      return rs(state).replicaSet.status?.availableReplicas;
    };
    expect(rs(state).replicaSet.status).toMatchObject({ readyReplicas: 3, availableReplicas: 0 });
    expect([25, 26, 29, 30, 33, 34].map(availableAt)).toEqual([0, 1, 1, 2, 2, 3]);
  });

  it('does not count a pod that turned unready before minReadySeconds passed', () => {
    const setup = given(nodeRegistered(), replicaSetCreated({ replicas: 1, minReadySeconds: 30 }), ...running('aaaaa'), containerReadinessChanged({ name: 'web-aaaaa', ready: false }));
    const state = setup.state();
    expect(rs(state).replicaSet.status).toMatchObject({ readyReplicas: 0, availableReplicas: 0 });
    applyEvent(state, toRecord(nodeRegistered({ name: 'node-2' }), setup.records().length + 100));
    expect(rs(state).replicaSet.status).toMatchObject({ readyReplicas: 0, availableReplicas: 0 });
  });

  it('counts fully labeled pods: those carrying every label of the template', () => {
    given(replicaSetCreated({ replicas: 2, labels: { app: 'web', tier: 'front' } }), ownedPodCreated('aaaaa', { labels: { app: 'web', tier: 'front' } }))
      .when(ownedPodCreated('bbbbb', { labels: { app: 'web' } }))
      .then(({ state }) => expect(rs(state).replicaSet.status).toMatchObject({ replicas: 2, fullyLabeledReplicas: 1 }));
  });

  it('stops counting a pod once its deletion is requested, and records SuccessfulDelete when it is gone', () => {
    const base = [nodeRegistered(), replicaSetCreated({ replicas: 1 }), ...running('aaaaa')];
    given(...base)
      .when(podDeletionRequested({ name: 'web-aaaaa', uid: 'uid-web-aaaaa' }))
      .then(({ state }) => expect(rs(state).replicaSet.status).toMatchObject({ replicas: 0, readyReplicas: 0, availableReplicas: 0 }));
    given(...base, podDeletionRequested({ name: 'web-aaaaa', uid: 'uid-web-aaaaa' }))
      .when(podDeleted({ name: 'web-aaaaa', uid: 'uid-web-aaaaa' }))
      .then(({ state }) => {
        expect(eventsFor(state, 'ReplicaSet', 'default', 'web').map((e) => `${e.reason}: ${e.message}`)).toEqual([
          'SuccessfulCreate: Created pod: web-aaaaa',
          'SuccessfulDelete: Deleted pod: web-aaaaa',
        ]);
        expect(podsOwnedBy(state, 'uid-web')).toEqual([]);
      });
  });
});

describe('ReplicaSetScaled', () => {
  it('sets spec.replicas and the generation, which the status observes', () => {
    given(replicaSetCreated({ replicas: 3 }))
      .when(replicaSetScaled({ replicas: 10, generation: 2 }))
      .then(({ state, changes }) => {
        const object = rs(state).replicaSet;
        expect(object.spec.replicas).toBe(10);
        expect(object.metadata.generation).toBe(2);
        expect(object.status?.observedGeneration).toBe(2);
        expect(changes).toEqual([{ kind: 'ReplicaSet', type: 'MODIFIED', key: 'default/web', object }]);
      });
  });

  it('changes nothing when the number is the same', () => {
    given(replicaSetCreated({ replicas: 3 }))
      .when(replicaSetScaled({ replicas: 3, generation: 2 }))
      .then(({ changes }) => expect(changes).toEqual([]));
  });

  it('counts a scale that raced another (a generation not newer) as one more generation', () => {
    given(replicaSetCreated({ replicas: 3 }), replicaSetScaled({ replicas: 10, generation: 2 }))
      .when(replicaSetScaled({ replicas: 2, generation: 2 }))
      .then(({ state }) => {
        expect(rs(state).replicaSet.spec.replicas).toBe(2);
        expect(rs(state).replicaSet.metadata.generation).toBe(3);
      });
  });

  it('ignores a scale for another uid or a ReplicaSet that is gone', () => {
    given(replicaSetCreated())
      .when(replicaSetScaled({ uid: 'other', replicas: 7 }))
      .then(({ changes }) => expect(changes).toEqual([]));
    given(replicaSetCreated(), replicaSetDeleted())
      .when(replicaSetScaled({ replicas: 7 }))
      .then(({ changes }) => expect(changes).toEqual([]));
  });
});

describe('ReplicaSetDeleted', () => {
  it('removes the ReplicaSet; its pods stay, still listed as owned, for the controller to delete', () => {
    given(nodeRegistered(), replicaSetCreated({ replicas: 1 }), ...running('aaaaa'))
      .when(replicaSetDeleted())
      .then(({ state, changes, before }) => {
        expect(state.replicaSets.size).toBe(0);
        expect(changes).toEqual([{ kind: 'ReplicaSet', type: 'DELETED', key: 'default/web', object: expect.objectContaining({ metadata: expect.objectContaining({ name: 'web' }) }) }]);
        expect(podsOwnedBy(state, 'uid-web').map((p) => p.key)).toEqual(['default/web-aaaaa']);
        expect(pod(state, 'web-aaaaa')).toEqual(pod(before, 'web-aaaaa'));
      });
  });

  it('ignores a delete for another uid', () => {
    given(replicaSetCreated())
      .when(replicaSetDeleted({ uid: 'other' }))
      .then(({ state, changes }) => {
        expect(changes).toEqual([]);
        expect(state.replicaSets.size).toBe(1);
      });
  });

  it('no longer reports status or Events for the pods of a deleted ReplicaSet', () => {
    given(nodeRegistered(), replicaSetCreated({ replicas: 1 }), ...running('aaaaa'), replicaSetDeleted())
      .when(podDeleted({ name: 'web-aaaaa', uid: 'uid-web-aaaaa' }))
      .then(({ changes }) => expect(changes.map((c) => c.kind)).toEqual(['Pod']));
  });
});

describe('isPodActive', () => {
  it('is true for a live pod and false once terminating, terminal or evicted', () => {
    const state = given(replicaSetCreated(), ownedPodCreated('aaaaa'), ownedPodCreated('bbbbb'), podDeletionRequested({ name: 'web-bbbbb', uid: 'uid-web-bbbbb' })).state();
    expect(isPodActive(pod(state, 'web-aaaaa'))).toBe(true);
    expect(isPodActive(pod(state, 'web-bbbbb'))).toBe(false);
    const evicted = { ...pod(state, 'web-aaaaa'), evicted: { reason: 'NodeLost', message: 'gone', at: specTime(9) } };
    expect(isPodActive(evicted)).toBe(false);
  });
});

describe('a state cloned from a snapshot', () => {
  it('folds on exactly as the original does (the derived indexes are rebuilt)', () => {
    const events = [nodeRegistered(), replicaSetCreated({ replicas: 2, minReadySeconds: 5 }), ...running('aaaaa'), ownedPodCreated('bbbbb')];
    const original = given(...events).state();
    const clone = structuredClone(original);
    const next = [ownedPodCreated('ccccc'), podDeletionRequested({ name: 'web-aaaaa', uid: 'uid-web-aaaaa' }), ownedPodCreated('ddddd')];
    let seq = original.seq;
    for (const event of next) {
      seq += 10;
      expect(applyEvent(clone, toRecord(event, seq))).toEqual(applyEvent(original, toRecord(event, seq)));
    }
    expect(clone.replicaSets.get('default/web')).toEqual(original.replicaSets.get('default/web'));
    expect(rs(clone).replicaSet.status).toMatchObject({ replicas: 2 });
    expect(clone.rejectedCreations).toBe(1);
  });
});
