// The framework over states made by the real fold (not the fixtures), and agreement with the fold's
// own fit check: a node the scheduler picks must be one the fold's binding arbitration accepts.
import { describe, expect, it } from 'vitest';
import { nodeFits } from '@flotilla/state';
import { container, given, nodeRegistered, podBound, podCreated } from '@flotilla/state/testing';
import { CycleState } from './cycle-state.ts';
import { AssumedPods } from './assumed-pods.ts';
import { createFramework } from './framework.ts';
import { buildNodeInfos } from './node-info.ts';
import { DEFAULT_PROFILE } from './profile.ts';
import { NodePorts } from '../plugins/node-ports.ts';
import { NodeResourcesFit } from '../plugins/node-resources-fit.ts';
import { NodeUnschedulable } from '../plugins/node-unschedulable.ts';

const framework = createFramework(DEFAULT_PROFILE);

const cluster = [
  nodeRegistered({ name: 'n1', cpu: '2' }),
  nodeRegistered({ name: 'n2', cpu: '4', taints: [{ key: 'spot', value: 'yes', effect: 'PreferNoSchedule' }] }),
  nodeRegistered({ name: 'n3', cpu: '8', taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }),
  podCreated({ name: 'a', cpu: '1', hostPorts: [80] }),
  podBound({ name: 'a', nodeName: 'n1' }),
  podCreated({ name: 'b', cpu: '2' }),
];

describe('the framework over the fold', () => {
  it('places a pending pod on the only node that has room and tolerable taints', () => {
    const state = given(...cluster).state();
    const result = framework.schedulePod({ pod: state.pods.get('default/b')!, nodes: buildNodeInfos(state, new AssumedPods()) });
    expect(result.nodeName).toBe('n2');
    expect(result.verdicts.map((v) => v.rejectedBy)).toEqual(['NodeResourcesFit', undefined, 'TaintToleration']);
  });

  it('assumes the pod until the fold binds it, and counts it exactly once throughout', () => {
    const assumed = new AssumedPods();
    const pending = given(...cluster).state();
    assumed.assume(pending.pods.get('default/b')!, 'n2');
    expect(buildNodeInfos(pending, assumed)[1]!.requested.cpu).toBe(2000);

    const bound = given(...cluster, podBound({ name: 'b', nodeName: 'n2' })).state();
    expect(bound.pods.get('default/b')!.nodeName).toBe('n2');
    expect(buildNodeInfos(bound, assumed)[1]!.requested.cpu).toBe(2000); // folded and still assumed: once
    expect(assumed.reconcile(bound)).toEqual(['default/b']);
    expect(buildNodeInfos(bound, assumed)[1]!.requested.cpu).toBe(2000);
  });

  it('agrees with the fold\'s fit check on every node for a range of pods', () => {
    const pods = [
      podCreated({ name: 'p-fits' }),
      podCreated({ name: 'p-cpu', cpu: '3' }),
      podCreated({ name: 'p-port', hostPorts: [80] }),
      podCreated({ name: 'p-mem', memory: '9Gi' }),
      podCreated({ name: 'p-init', containers: [container('app', { cpu: '500m' })], initContainers: [container('init', { cpu: '1500m' })] }),
      podCreated({ name: 'p-sidecar', containers: [container('app', { cpu: '1' })], initContainers: [container('proxy', { cpu: '500m', sidecar: true, hostPort: 80 })] }),
    ];
    const state = given(...cluster, ...pods, nodeRegistered({ name: 'cordoned', unschedulable: true })).state();
    const plugins = [new NodeUnschedulable(), new NodeResourcesFit(), new NodePorts()];
    for (const info of buildNodeInfos(state, new AssumedPods())) {
      for (const event of pods) {
        const pod = state.pods.get(`default/${event.data.pod.metadata.name}`)!;
        const ours = plugins.flatMap((plugin) => plugin.filter(new CycleState(), pod, info).reasons);
        expect(ours, `${pod.key} on ${info.name}`).toEqual(nodeFits(state.nodes.get(info.name)!, pod).reasons);
      }
    }
  });
});
