import { describe, expect, it } from 'vitest';
import { AssumedPods } from '../framework/assumed-pods.ts';
import { CycleState } from '../framework/cycle-state.ts';
import { buildNodeInfos } from '../framework/node-info.ts';
import { clusterState, nodeInfo, podRecord } from '../test-support/fixtures.ts';
import { NodePorts } from './node-ports.ts';

describe('NodePorts', () => {
  const plugin = new NodePorts();

  it('PreFilter skips a pod without host ports', () => {
    expect(plugin.preFilter(new CycleState(), podRecord()).code).toBe('Skip');
  });

  it('passes when the host ports are free', () => {
    const state = new CycleState();
    const pod = podRecord({ name: 'web', hostPorts: [8080] });
    expect(plugin.preFilter(state, pod).code).toBe('Success');
    expect(plugin.filter(state, pod, nodeInfo({ name: 'n' }, [{ name: 'other', hostPorts: [9090] }])).code).toBe('Success');
  });

  it('rejects a node where a bound pod holds the port', () => {
    const state = new CycleState();
    const pod = podRecord({ name: 'web', hostPorts: [8080, 9000] });
    plugin.preFilter(state, pod);
    expect(plugin.filter(state, pod, nodeInfo({ name: 'n' }, [{ name: 'other', hostPorts: [9000] }]))).toEqual({
      code: 'Unschedulable',
      reasons: ["node(s) didn't have free ports for the requested pod ports"],
      plugin: 'NodePorts',
    });
  });

  it('the same port number on another protocol does not conflict', () => {
    const pod = podRecord({
      name: 'dns',
      containers: [{ name: 'dns', ports: [{ containerPort: 53, hostPort: 53, protocol: 'UDP' }] }],
    });
    expect(plugin.filter(new CycleState(), pod, nodeInfo({ name: 'n' }, [{ name: 'tcp', hostPorts: [53] }])).code).toBe('Success');
  });

  it('counts ports of pods assumed onto the node', () => {
    const cluster = clusterState([{ name: 'n' }], [{ name: 'first', hostPorts: [8080] }, { name: 'second', hostPorts: [8080] }]);
    const assumed = new AssumedPods();
    assumed.assume(cluster.pods.get('default/first')!, 'n');
    const [node] = buildNodeInfos(cluster, assumed);
    expect(plugin.filter(new CycleState(), cluster.pods.get('default/second')!, node!).code).toBe('Unschedulable');
  });
});
