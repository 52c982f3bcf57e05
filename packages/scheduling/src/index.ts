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
  PostFilterResult,
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
export { NodeInfoCache, buildNodeInfos, nodeInfoOf } from './framework/node-info.ts';
export { NodeInfoOverlay } from './framework/node-info-overlay.ts';
export { withNominatedPods, podPriority } from './framework/nominated-pods.ts';
export { runFilterPlugins, runPostFilterPlugins } from './framework/post-filter.ts';
export type { PostFilterOutcome, PreemptionVictim } from './framework/post-filter.ts';
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
  PercentageOfNodesToScoreSchema,
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
export { podBoundEvent, unschedulableEvents } from './framework/decision-events.ts';
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
  EPHEMERAL_STORAGE,
  MAX_CUSTOM_PRIORITY_SCORE,
  MAX_UTILIZATION,
  UtilizationShapePointSchema,
  RequestedToCapacityRatioParamSchema,
  brokenLinearFunction,
  requestedToCapacityRatioScorer,
} from './plugins/node-resources-fit.ts';
export type {
  NodeResourcesFitArgs,
  NodeResourcesFitArgsInput,
  ResourceSpec,
  UtilizationShapePoint,
  RequestedToCapacityRatioParam,
} from './plugins/node-resources-fit.ts';
export { scoredResources, allocatableOf, requestedWithPod } from './plugins/resource-allocation.ts';
export type { ScoredResource } from './plugins/resource-allocation.ts';
export {
  NodeResourcesBalancedAllocation,
  NODE_RESOURCES_BALANCED_ALLOCATION,
  NodeResourcesBalancedAllocationArgsSchema,
  BalancedResourceSpecSchema,
  balancedResourceScore,
  newNodeResourcesBalancedAllocation,
} from './plugins/node-resources-balanced-allocation.ts';
export type {
  NodeResourcesBalancedAllocationArgs,
  NodeResourcesBalancedAllocationArgsInput,
} from './plugins/node-resources-balanced-allocation.ts';
export type { InsufficientResource } from '@flotilla/state';
export {
  NodeAffinity,
  NODE_AFFINITY,
  ERR_REASON_NODE_AFFINITY,
  requiredNodeAffinityOf,
  matchesRequiredNodeAffinity,
  newNodeAffinity,
  ERR_REASON_ENFORCED_NODE_AFFINITY,
  ERR_REASON_NODE_AFFINITY_CONFLICT,
  NodeAffinityArgsSchema,
} from './plugins/node-affinity.ts';
export type { RequiredNodeAffinity } from './plugins/node-affinity.ts';
export type { NodeAffinityArgs, NodeAffinityArgsInput } from './plugins/node-affinity.ts';
export {
  OBJECT_NAME_FIELD,
  parseInt64,
  compileNodeSelectorTerm,
  compileNodeSelector,
  compilePreferredSchedulingTerms,
  selectorErrorMessage,
  nodeSelectorTermMatches,
  nodeSelectorMatches,
  preferredTermsScore,
  preferredNodeAffinityOf,
  podMatchesNodeAffinity,
} from './plugins/node-selector-match.ts';
export type {
  SelectorError,
  LabelMatcher,
  FieldMatcher,
  CompiledNodeSelectorTerm,
  CompiledNodeSelector,
  CompiledPreferredTerm,
  CompiledPreferredTerms,
} from './plugins/node-selector-match.ts';
export { TaintToleration, TAINT_TOLERATION, untoleratedTaintReason, newTaintToleration } from './plugins/taint-toleration.ts';
export { NodePorts, NODE_PORTS, ERR_REASON_NODE_PORTS, newNodePorts } from './plugins/node-ports.ts';
export {
  PodTopologySpread,
  POD_TOPOLOGY_SPREAD,
  ERR_REASON_CONSTRAINTS_NOT_MATCH,
  ERR_REASON_NODE_LABEL_NOT_MATCH,
  LABEL_HOSTNAME,
  LABEL_TOPOLOGY_ZONE,
  SYSTEM_DEFAULT_CONSTRAINTS,
  PodTopologySpreadArgsSchema,
  controllerUid,
  spreadConstraintsOf,
  newPodTopologySpread,
} from './plugins/pod-topology-spread.ts';
export type { PodTopologySpreadArgs, PodTopologySpreadArgsInput, SpreadConstraint, SpreadFilterState } from './plugins/pod-topology-spread.ts';
export {
  InterPodAffinity,
  INTER_POD_AFFINITY,
  ERR_REASON_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
  InterPodAffinityArgsSchema,
  newInterPodAffinity,
} from './plugins/inter-pod-affinity.ts';
export type { InterPodAffinityArgs, InterPodAffinityArgsInput, TopologyCounts } from './plugins/inter-pod-affinity.ts';
export { compileSelector, selectorMatches, termMatches, podAffinityInfo, NAMESPACE_NAME_LABEL } from './plugins/affinity-terms.ts';
export type { AffinityTerm, CompiledSelector, PodAffinityInfo } from './plugins/affinity-terms.ts';
export { ALL_NODES, affinityPods, countsOnNodes } from './plugins/placed-pods.ts';
export type { AffinityPods, PodPredicate } from './plugins/placed-pods.ts';
export { unschedulableMessage, NO_NODES_AVAILABLE_MESSAGE } from './unschedulable-message.ts';
export {
  DefaultPreemption,
  DEFAULT_PREEMPTION,
  DefaultPreemptionArgsSchema,
  ERR_REASON_NO_VICTIMS,
  ERR_REASON_NOT_HELPFUL,
  ERR_REASON_PREEMPTION_POLICY_NEVER,
  ERR_REASON_TERMINATING_ON_NOMINATED_NODE,
  newDefaultPreemption,
  pickOneNodeForPreemption,
  selectVictimsOnNode,
  terminatingByPreemption,
} from './plugins/default-preemption.ts';
export type { DefaultPreemptionArgs, PreemptionCandidate } from './plugins/default-preemption.ts';
export type { UnschedulableMessageOptions } from './unschedulable-message.ts';
export { SchedulingQueue } from './queue/scheduling-queue.ts';
export type { SchedulingQueueOptions, QueueName, QueueStats, RequeueOptions } from './queue/scheduling-queue.ts';
export { IndexedHeap } from './queue/heap.ts';
