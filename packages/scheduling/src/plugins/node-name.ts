import type { PodRecord } from '@flotilla/state';
import type { CycleState } from '../framework/cycle-state.ts';
import type { PluginFactory } from '../framework/registry.ts';
import { success, unresolvable } from '../framework/status.ts';
import type { Status } from '../framework/status.ts';
import type { ClusterEvent, FilterPlugin, NodeInfo } from '../framework/types.ts';

export const NODE_NAME = 'NodeName';
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

/** Filter: a pod that names a node (spec.nodeName) fits only that node. */
export class NodeName implements FilterPlugin {
  readonly name = NODE_NAME;
  readonly requeueOn: readonly ClusterEvent[] = ['NodeAdded'];

  filter(_state: CycleState, pod: PodRecord, node: NodeInfo): Status {
    const wanted = pod.pod.spec.nodeName;
    if (wanted === undefined || wanted === '' || wanted === node.name) return success();
    return unresolvable(NODE_NAME, ERR_REASON_NODE_NAME);
  }
}

export const newNodeName: PluginFactory = () => new NodeName();
