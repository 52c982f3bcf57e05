import type { PodRecord } from '@flotilla/state';
import { stateKey } from '../framework/cycle-state.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import type { PluginFactory } from '../framework/registry.ts';
import { skip, success, unschedulable } from '../framework/status.ts';
import type { Status } from '../framework/status.ts';
import type { ClusterEvent, FilterPlugin, NodeInfo, PreFilterPlugin } from '../framework/types.ts';

export const NODE_PORTS = 'NodePorts';
export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

const PORTS_KEY = stateKey<readonly string[]>('PreFilterNodePorts');

/**
 * Filter: a pod's hostPorts (`${protocol}/${port}`) must all be free on the node, counting the
 * pods bound there and the ones this scheduler assumed there.
 */
export class NodePorts implements PreFilterPlugin, FilterPlugin {
  readonly name = NODE_PORTS;
  readonly requeueOn: readonly ClusterEvent[] = ['NodeAdded', 'PodDeleted', 'PodReleased'];

  preFilter(state: CycleState, pod: PodRecord): Status {
    if (pod.hostPorts.length === 0) return skip();
    state.write(PORTS_KEY, pod.hostPorts);
    return success();
  }

  filter(state: CycleState, pod: PodRecord, node: NodeInfo): Status {
    const ports = state.read(PORTS_KEY) ?? pod.hostPorts;
    for (const port of ports) {
      if (node.hostPorts.has(port)) return unschedulable(NODE_PORTS, ERR_REASON_NODE_PORTS);
    }
    return success();
  }
}

export const newNodePorts: PluginFactory = () => new NodePorts();
