import { describe, expect, it } from 'vitest';
import { replicaSetPodIdentity } from './pod-identity.ts';
import { podFromTemplate } from './pod-template.ts';
import { replicaSet } from './testing.ts';

const NOW = '2026-02-01T10:00:00.000Z';

describe('podFromTemplate', () => {
  it('makes the ordinal\'s pod from the template, owned by the ReplicaSet, with the API\'s defaults', () => {
    const rs = replicaSet({ name: 'web', replicas: 3 });
    const pod = podFromTemplate(rs, 4, NOW);
    const identity = replicaSetPodIdentity(rs, 4);
    expect(pod.metadata).toEqual({
      name: identity.name,
      generateName: 'web-',
      namespace: 'default',
      uid: identity.uid,
      creationTimestamp: NOW,
      labels: { app: 'web' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }],
    });
    expect(pod.spec).toMatchObject({ restartPolicy: 'Always', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30, priority: 0 });
  });

  it('adds the default not-ready and unreachable tolerations with the configured seconds', () => {
    const pod = podFromTemplate(replicaSet(), 0, NOW, { notReadySeconds: 30, unreachableSeconds: 4 });
    expect(pod.spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 4 },
    ]);
  });

  it('keeps a template\'s own unreachable toleration and adds only the missing one', () => {
    const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists' as const, effect: 'NoExecute' as const, tolerationSeconds: 8 };
    const pod = podFromTemplate(replicaSet({ tolerations: [own] }), 0, NOW);
    expect(pod.spec.tolerations).toEqual([own, { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]);
  });

  it('does not share the template with the pod', () => {
    const rs = replicaSet();
    const before = structuredClone(rs);
    const pod = podFromTemplate(rs, 0, NOW);
    pod.spec.containers[0]!.name = 'changed';
    pod.metadata.labels!['app'] = 'changed';
    expect(rs).toEqual(before);
  });
});
