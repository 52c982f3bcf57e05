import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework/cycle-state.ts';
import { nodeInfo, podRecord } from '../test-support/fixtures.ts';
import { ERR_REASON_NODE_NAME, NodeName } from './node-name.ts';

describe('NodeName filter', () => {
  const plugin = new NodeName();
  const node = nodeInfo({ name: 'node-a' });

  it('passes a pod that names no node', () => {
    expect(plugin.filter(new CycleState(), podRecord(), node).code).toBe('Success');
  });

  it('passes a pod that names this node', () => {
    expect(plugin.filter(new CycleState(), podRecord({ nodeName: 'node-a' }), node).code).toBe('Success');
  });

  it('rejects, unresolvably, a pod that names another node', () => {
    expect(plugin.filter(new CycleState(), podRecord({ nodeName: 'node-b' }), node)).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ["node(s) didn't match the requested node name"],
      plugin: 'NodeName',
    });
    expect(ERR_REASON_NODE_NAME).toBe("node(s) didn't match the requested node name");
  });
});
