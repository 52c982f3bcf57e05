// A node the fold marks unreachable (its lease lapsed) gets node.kubernetes.io/unreachable:NoSchedule:
// the scheduler stops placing pods there, unless a pod tolerates that taint.
import { describe, expect, it } from 'vitest';
import { withDefaultTolerations } from '@flotilla/model';
import { given, nodeMarkedReachable, nodeMarkedUnreachable, nodeRegistered, podCreated } from '@flotilla/state/testing';
import { AssumedPods } from '../framework/assumed-pods.ts';
import { createFramework } from '../framework/framework.ts';
import { buildNodeInfos } from '../framework/node-info.ts';
import { DEFAULT_PROFILE } from '../framework/profile.ts';

const framework = createFramework(DEFAULT_PROFILE);
const defaults = withDefaultTolerations({ containers: [] });

const cluster = [
  nodeRegistered({ name: 'n1', cpu: '8' }),
  nodeRegistered({ name: 'n2', cpu: '2' }),
  nodeMarkedUnreachable({ name: 'n1' }),
  podCreated({ name: 'plain', cpu: '1' }),
  // The DefaultTolerationSeconds tolerations are NoExecute only: they do not let a pod onto the node.
  podCreated({ name: 'defaulted', cpu: '1', tolerations: defaults.tolerations ?? [] }),
  podCreated({ name: 'tolerant', cpu: '1', tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }] }),
];

function place(events: Parameters<typeof given>, name: string) {
  const state = given(...events).state();
  return framework.schedulePod({ pod: state.pods.get(`default/${name}`)!, nodes: buildNodeInfos(state, new AssumedPods()) });
}

describe('an unreachable node', () => {
  it('is unschedulable for pods without a toleration for the unreachable NoSchedule taint', () => {
    for (const name of ['plain', 'defaulted']) {
      const result = place(cluster, name);
      expect(result.nodeName).toBe('n2');
      expect(result.verdicts.find((v) => v.node === 'n1')).toMatchObject({
        rejectedBy: 'TaintToleration',
        reasons: ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }'],
      });
    }
  });

  it('stays open to a pod that tolerates it', () => {
    expect(place(cluster, 'tolerant').verdicts.find((v) => v.node === 'n1')?.rejectedBy).toBeUndefined();
  });

  it('is schedulable again once reachable', () => {
    expect(place([...cluster, nodeMarkedReachable({ name: 'n1' })], 'plain').nodeName).toBe('n1');
  });
});
