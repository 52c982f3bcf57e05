import { requirementMatches } from './label-selector.ts';
import { z } from 'zod';

// Node affinity, pod (anti-)affinity and topology spread constraints, as Kubernetes writes them.

export const NodeSelectorOperator = z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);
export type NodeSelectorOperator = z.infer<typeof NodeSelectorOperator>;

export const NodeSelectorRequirementSchema = z.strictObject({
  key: z.string(),
  operator: NodeSelectorOperator,
  values: z.array(z.string()).optional(),
});
export type NodeSelectorRequirement = z.infer<typeof NodeSelectorRequirementSchema>;

/** Terms are ORed; the requirements inside one term are ANDed. */
export const NodeSelectorTermSchema = z.strictObject({
  matchExpressions: z.array(NodeSelectorRequirementSchema).optional(),
  /** Only `metadata.name` is supported, as in Kubernetes. */
  matchFields: z.array(NodeSelectorRequirementSchema).optional(),
});
export type NodeSelectorTerm = z.infer<typeof NodeSelectorTermSchema>;

export const NodeSelectorSchema = z.strictObject({ nodeSelectorTerms: z.array(NodeSelectorTermSchema) });
export type NodeSelector = z.infer<typeof NodeSelectorSchema>;

export const PreferredSchedulingTermSchema = z.strictObject({
  weight: z.number().int(),
  preference: NodeSelectorTermSchema,
});
export type PreferredSchedulingTerm = z.infer<typeof PreferredSchedulingTermSchema>;

export const NodeAffinitySchema = z.strictObject({
  requiredDuringSchedulingIgnoredDuringExecution: NodeSelectorSchema.optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z.array(PreferredSchedulingTermSchema).optional(),
});
export type NodeAffinity = z.infer<typeof NodeAffinitySchema>;

export const LabelSelectorRequirementSchema = z.strictObject({
  key: z.string(),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string()).optional(),
});
export type LabelSelectorRequirement = z.infer<typeof LabelSelectorRequirementSchema>;

/** metav1.LabelSelector: matchLabels and matchExpressions ANDed; an empty selector matches everything. */
export const LabelSelectorSchema = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(LabelSelectorRequirementSchema).optional(),
});
export type LabelSelector = z.infer<typeof LabelSelectorSchema>;

export const PodAffinityTermSchema = z.strictObject({
  labelSelector: LabelSelectorSchema.optional(),
  /** Namespaces the selector applies to; empty with no namespaceSelector means the pod's own. */
  namespaces: z.array(z.string()).optional(),
  namespaceSelector: LabelSelectorSchema.optional(),
  topologyKey: z.string(),
  matchLabelKeys: z.array(z.string()).optional(),
  mismatchLabelKeys: z.array(z.string()).optional(),
});
export type PodAffinityTerm = z.infer<typeof PodAffinityTermSchema>;

export const WeightedPodAffinityTermSchema = z.strictObject({
  weight: z.number().int(),
  podAffinityTerm: PodAffinityTermSchema,
});
export type WeightedPodAffinityTerm = z.infer<typeof WeightedPodAffinityTermSchema>;

export const PodAffinitySchema = z.strictObject({
  requiredDuringSchedulingIgnoredDuringExecution: z.array(PodAffinityTermSchema).optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z.array(WeightedPodAffinityTermSchema).optional(),
});
export type PodAffinity = z.infer<typeof PodAffinitySchema>;

export const AffinitySchema = z.strictObject({
  nodeAffinity: NodeAffinitySchema.optional(),
  podAffinity: PodAffinitySchema.optional(),
  podAntiAffinity: PodAffinitySchema.optional(),
});
export type Affinity = z.infer<typeof AffinitySchema>;

export const TopologySpreadConstraintSchema = z.strictObject({
  maxSkew: z.number().int(),
  topologyKey: z.string(),
  whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']),
  labelSelector: LabelSelectorSchema.optional(),
  minDomains: z.number().int().optional(),
  nodeAffinityPolicy: z.enum(['Honor', 'Ignore']).optional(),
  nodeTaintsPolicy: z.enum(['Honor', 'Ignore']).optional(),
  matchLabelKeys: z.array(z.string()).optional(),
});
export type TopologySpreadConstraint = z.infer<typeof TopologySpreadConstraintSchema>;

/** metav1.LabelSelector matching (an empty selector selects everything; a missing one, nothing). */
export function matchesSelector(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels?.[key] !== value) return false;
  for (const { key, operator, values } of selector.matchExpressions ?? []) {
    if (!requirementMatches(operator, values ?? [], labels?.[key])) return false;
  }
  return true;
}
