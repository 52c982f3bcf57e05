import type { PluginFactory, Registry } from '../framework/registry.ts';
import { DEFAULT_PREEMPTION, newDefaultPreemption } from './default-preemption.ts';
import { INTER_POD_AFFINITY, newInterPodAffinity } from './inter-pod-affinity.ts';
import { NODE_AFFINITY, newNodeAffinity } from './node-affinity.ts';
import { NODE_NAME, newNodeName } from './node-name.ts';
import { NODE_PORTS, newNodePorts } from './node-ports.ts';
import { NODE_RESOURCES_BALANCED_ALLOCATION, newNodeResourcesBalancedAllocation } from './node-resources-balanced-allocation.ts';
import { NODE_RESOURCES_FIT, newNodeResourcesFit } from './node-resources-fit.ts';
import { NODE_UNSCHEDULABLE, newNodeUnschedulable } from './node-unschedulable.ts';
import { POD_TOPOLOGY_SPREAD, newPodTopologySpread } from './pod-topology-spread.ts';
import { TAINT_TOLERATION, newTaintToleration } from './taint-toleration.ts';

/** The plugins this package ships, by their Kubernetes names. */
export const IN_TREE_REGISTRY: Registry = new Map<string, PluginFactory>([
  [NODE_UNSCHEDULABLE, newNodeUnschedulable],
  [NODE_NAME, newNodeName],
  [TAINT_TOLERATION, newTaintToleration],
  [NODE_AFFINITY, newNodeAffinity],
  [NODE_PORTS, newNodePorts],
  [NODE_RESOURCES_FIT, newNodeResourcesFit],
  [DEFAULT_PREEMPTION, newDefaultPreemption],
  [NODE_RESOURCES_BALANCED_ALLOCATION, newNodeResourcesBalancedAllocation],
  [POD_TOPOLOGY_SPREAD, newPodTopologySpread],
  [INTER_POD_AFFINITY, newInterPodAffinity],
]);
