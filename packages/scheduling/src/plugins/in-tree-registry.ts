import type { PluginFactory, Registry } from '../framework/registry.ts';
import { NODE_AFFINITY, newNodeAffinity } from './node-affinity.ts';
import { NODE_NAME, newNodeName } from './node-name.ts';
import { NODE_PORTS, newNodePorts } from './node-ports.ts';
import { NODE_RESOURCES_FIT, newNodeResourcesFit } from './node-resources-fit.ts';
import { NODE_UNSCHEDULABLE, newNodeUnschedulable } from './node-unschedulable.ts';
import { TAINT_TOLERATION, newTaintToleration } from './taint-toleration.ts';

/** The plugins this package ships, by their Kubernetes names. */
export const IN_TREE_REGISTRY: Registry = new Map<string, PluginFactory>([
  [NODE_UNSCHEDULABLE, newNodeUnschedulable],
  [NODE_NAME, newNodeName],
  [TAINT_TOLERATION, newTaintToleration],
  [NODE_AFFINITY, newNodeAffinity],
  [NODE_PORTS, newNodePorts],
  [NODE_RESOURCES_FIT, newNodeResourcesFit],
]);
