export { parseQuantity, isValidQuantity, cpuToMillis, quantityToUnits, formatMillis, formatBytes } from './quantity.ts';
export { dns1123LabelErrors, dns1123SubdomainErrors, qualifiedNameErrors, labelValueErrors } from './names.ts';
export {
  knownUnused,
  StringMap,
  OwnerReferenceSchema,
  ObjectMetaSchema,
  ConditionStatus,
  TaintEffect,
  TaintSchema,
  TolerationSchema,
  QuantityInput,
  ResourceListSchema,
} from './meta.ts';
export type { OwnerReference, ObjectMeta, Taint, Toleration, ResourceListInput } from './meta.ts';
export {
  ContainerPortSchema,
  EnvVarSchema,
  VolumeMountSchema,
  ResourceRequirementsSchema,
  ContainerSchema,
  ProbeSchema,
  LifecycleSchema,
  LifecycleHandlerSchema,
  VolumeSchema,
  RestartPolicy,
  PodSpecSchema,
  PodPhase,
  PodConditionType,
  PodConditionSchema,
  ContainerStateSchema,
  ContainerStatusSchema,
  PodStatusSchema,
  PodSchema,
} from './pod.ts';
export type {
  ContainerPort,
  EnvVar,
  VolumeMount,
  ResourceRequirements,
  Container,
  Probe,
  ExecAction,
  HTTPGetAction,
  TCPSocketAction,
  LifecycleHandler,
  Lifecycle,
  Volume,
  PodSpec,
  PodCondition,
  ContainerState,
  ContainerStatus,
  PodStatus,
  PodManifest,
  Pod,
} from './pod.ts';
export { NodeConditionSchema, NodeSpecSchema, NodeStatusSchema, NodeSchema } from './node.ts';
export type { NodeCondition, NodeSpec, NodeStatus, NodeManifest, Node } from './node.ts';
export {
  CPU,
  MEMORY,
  PODS,
  toResources,
  containerRequest,
  addResources,
  maxResources,
  subtractResources,
  isSidecar,
  effectivePodRequest,
  nodeAllocatable,
} from './resources.ts';
export type { Resources } from './resources.ts';
export { validatePod, validateNode, validateReplicaSet, formatFieldError, formatPath, unusedFieldWarnings } from './validation.ts';
export type { FieldError, ValidationResult } from './validation.ts';
export {
  DEFAULT_NAMESPACE,
  DEFAULT_SCHEDULER_NAME,
  DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
  PROBE_DEFAULTS,
  DEFAULT_REPLICAS,
  DEFAULT_TOLERATION_SECONDS,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_NOT_READY,
  podForCreate,
  nodeForRegister,
  replicaSetForCreate,
  withDefaultTolerations,
} from './defaults.ts';
export type { ServerFields, DefaultTolerationOptions } from './defaults.ts';
export { parseLabelSelector, matchesLabelSelector, requirementMatches, LabelSelectorError } from './label-selector.ts';
export type { LabelRequirement } from './label-selector.ts';
export {
  NodeSelectorOperator,
  NodeSelectorRequirementSchema,
  NodeSelectorTermSchema,
  NodeSelectorSchema,
  PreferredSchedulingTermSchema,
  NodeAffinitySchema,
  LabelSelectorRequirementSchema,
  LabelSelectorSchema,
  PodAffinityTermSchema,
  WeightedPodAffinityTermSchema,
  PodAffinitySchema,
  AffinitySchema,
  TopologySpreadConstraintSchema,
  matchesSelector,
} from './affinity.ts';
export type {
  NodeSelectorRequirement,
  NodeSelectorTerm,
  NodeSelector,
  PreferredSchedulingTerm,
  NodeAffinity,
  LabelSelectorRequirement,
  LabelSelector,
  PodAffinityTerm,
  WeightedPodAffinityTerm,
  PodAffinity,
  Affinity,
  TopologySpreadConstraint,
} from './affinity.ts';
export { BUILT_IN_PRIORITY_CLASSES, priorityClass } from './priority-classes.ts';
export type { PriorityClass } from './priority-classes.ts';
export {
  PodTemplateSpecSchema,
  ReplicaSetSpecSchema,
  ReplicaSetStatusSchema,
  ReplicaSetSchema,
  ScaleSchema,
} from './replica-set.ts';
export type { PodTemplateSpec, ReplicaSetSpec, ReplicaSetStatus, ReplicaSetManifest, ReplicaSet } from './replica-set.ts';
