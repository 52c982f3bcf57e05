import type { Taint } from '@flotilla/model';
import type { PodRecord } from '@flotilla/state';
import type { CycleState } from '../framework/cycle-state.ts';
import type { PluginFactory } from '../framework/registry.ts';
import { success, unresolvable } from '../framework/status.ts';
import type { Status } from '../framework/status.ts';
import type { ClusterEvent, FilterPlugin, NodeInfo } from '../framework/types.ts';
import { tolerationsTolerateTaint } from './tolerations.ts';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

const UNSCHEDULABLE_TAINT: Taint = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' };

/**
 * Filter: a cordoned node (spec.unschedulable) takes only pods that tolerate
 * `node.kubernetes.io/unschedulable:NoSchedule`.
 */
export class NodeUnschedulable implements FilterPlugin {
  readonly name = NODE_UNSCHEDULABLE;
  readonly requeueOn: readonly ClusterEvent[] = ['NodeAdded', 'NodeUpdated'];

  filter(_state: CycleState, pod: PodRecord, node: NodeInfo): Status {
    if (node.node.spec.unschedulable !== true) return success();
    if (tolerationsTolerateTaint(pod.pod.spec.tolerations, UNSCHEDULABLE_TAINT)) return success();
    return unresolvable(NODE_UNSCHEDULABLE, ERR_REASON_UNSCHEDULABLE);
  }
}

export const newNodeUnschedulable: PluginFactory = () => new NodeUnschedulable();
