export {
  success,
  skip,
  unschedulable,
  unresolvable,
  errorStatus,
  waitStatus,
  isSuccess,
  isSkip,
  isRejected,
  statusMessage,
  withPlugin,
} from './framework/status.ts';
export type { Status, StatusCode } from './framework/status.ts';
export { CLUSTER_PODS, CycleState, stateKey } from './framework/cycle-state.ts';
export type { StateKey } from './framework/cycle-state.ts';
export {
  CLUSTER_EVENTS,
  MAX_NODE_SCORE,
  MIN_NODE_SCORE,
  isPreFilterPlugin,
  isFilterPlugin,
  isPostFilterPlugin,
  isPreScorePlugin,
  isScorePlugin,
  isReservePlugin,
  isPermitPlugin,
  isPreBindPlugin,
  isBindPlugin,
  isPostBindPlugin,
} from './framework/types.ts';
export type {
  NodeInfo,
  ClusterEvent,
  Plugin,
  AnyPlugin,
  PreFilterResult,
  PreFilterPlugin,
  FilterPlugin,
  PostFilterPlugin,
  PreScorePlugin,
  NodeScore,
  ScorePlugin,
  ReservePlugin,
  PermitPlugin,
  PreBindPlugin,
  BindPlugin,
  PostBindPlugin,
  FrameworkHandle,
} from './framework/types.ts';
export { AssumedPods } from './framework/assumed-pods.ts';
export type { AssumedPod, AssumedNodeSums } from './framework/assumed-pods.ts';
export { buildNodeInfos, nodeInfoOf } from './framework/node-info.ts';
export {
  DEFAULT_MILLI_CPU_REQUEST,
  DEFAULT_MEMORY_REQUEST,
  nonZeroContainerRequest,
  nonZeroPodRequest,
  nonZeroRequestOf,
} from './framework/resource-helpers.ts';
export { defaultNormalizeScore } from './framework/normalize.ts';
export { mergeRegistries, DuplicatePluginError } from './framework/registry.ts';
export type { PluginFactory, Registry } from './framework/registry.ts';
export {
  DEFAULT_PROFILE,
  ProfileSchema,
  ProfilePluginsSchema,
  WeightedPluginSchema,
  PluginConfigSchema,
  SchedulerConfigurationSchema,
  ProfileValidationError,
  parseProfile,
  parseSchedulerConfiguration,
} from './framework/profile.ts';
export type { Profile, ProfileInput, ProfilePlugins, PluginConfig, WeightedPlugin } from './framework/profile.ts';
export { createFramework, schedulePod, FrameworkConfigError } from './framework/framework.ts';
export type { Framework, ScheduleInput, ScheduleResult, ExtensionPoint } from './framework/framework.ts';
export { IN_TREE_REGISTRY } from './plugins/in-tree-registry.ts';
export { toleratesTaint, tolerationsTolerateTaint, findUntoleratedTaint } from './plugins/tolerations.ts';
export { NodeName, NODE_NAME, ERR_REASON_NODE_NAME, newNodeName } from './plugins/node-name.ts';
export {
  NodeUnschedulable,
  NODE_UNSCHEDULABLE,
  ERR_REASON_UNSCHEDULABLE,
  TAINT_NODE_UNSCHEDULABLE,
  newNodeUnschedulable,
} from './plugins/node-unschedulable.ts';
export {
  NodeResourcesFit,
  NODE_RESOURCES_FIT,
  NodeResourcesFitArgsSchema,
  ResourceSpecSchema,
  ScoringStrategyType,
  insufficientResources,
  scoringRequest,
  leastRequestedScore,
  mostRequestedScore,
  newNodeResourcesFit,
} from './plugins/node-resources-fit.ts';
export type {
  NodeResourcesFitArgs,
  NodeResourcesFitArgsInput,
  ResourceSpec,
} from './plugins/node-resources-fit.ts';
export type { InsufficientResource } from '@flotilla/state';
export {
  NodeAffinity,
  NODE_AFFINITY,
  ERR_REASON_NODE_AFFINITY,
  requiredNodeAffinityOf,
  matchesRequiredNodeAffinity,
  newNodeAffinity,
} from './plugins/node-affinity.ts';
export type { RequiredNodeAffinity } from './plugins/node-affinity.ts';
export { TaintToleration, TAINT_TOLERATION, untoleratedTaintReason, newTaintToleration } from './plugins/taint-toleration.ts';
export { NodePorts, NODE_PORTS, ERR_REASON_NODE_PORTS, newNodePorts } from './plugins/node-ports.ts';
export { unschedulableMessage, NO_NODES_AVAILABLE_MESSAGE } from './unschedulable-message.ts';
export type { UnschedulableMessageOptions } from './unschedulable-message.ts';
export { SchedulingQueue } from './queue/scheduling-queue.ts';
export type { SchedulingQueueOptions, QueueName, QueueStats, RequeueOptions } from './queue/scheduling-queue.ts';
export { IndexedHeap } from './queue/heap.ts';
