import { z } from 'zod';
import { LabelSelectorSchema } from './affinity.ts';
import { knownUnused, ObjectMetaSchema } from './meta.ts';
import { PodSpecSchema } from './pod.ts';

// apps/v1 ReplicaSet: keeps `replicas` pods matching `selector` alive, made from `template`.
// Status is derived by the fold from the pods the ReplicaSet owns (never written by clients).

export const PodTemplateSpecSchema = z.strictObject({
  metadata: ObjectMetaSchema.optional(),
  spec: PodSpecSchema,
});
export type PodTemplateSpec = z.infer<typeof PodTemplateSpecSchema>;

export const ReplicaSetSpecSchema = z.strictObject({
  replicas: z.number().int().optional(),
  minReadySeconds: z.number().int().optional(),
  selector: LabelSelectorSchema,
  template: PodTemplateSpecSchema,
});
export type ReplicaSetSpec = z.infer<typeof ReplicaSetSpecSchema>;

export const ReplicaSetConditionSchema = z.looseObject({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
});

export const ReplicaSetStatusSchema = z.looseObject({
  replicas: z.number().int(),
  fullyLabeledReplicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  availableReplicas: z.number().int().optional(),
  observedGeneration: z.number().int().optional(),
  conditions: z.array(ReplicaSetConditionSchema).optional(),
});
export type ReplicaSetStatus = z.infer<typeof ReplicaSetStatusSchema>;

export const ReplicaSetSchema = z.strictObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('ReplicaSet'),
  metadata: ObjectMetaSchema,
  spec: ReplicaSetSpecSchema,
  /** Server-owned; accepted on input (ignored) so that `get -o yaml` output applies again. */
  status: ReplicaSetStatusSchema.optional(),
});
export type ReplicaSetManifest = z.infer<typeof ReplicaSetSchema>;

/** A ReplicaSet as the control plane stores it: identity set, `spec.replicas` defaulted (1). */
export interface ReplicaSet extends ReplicaSetManifest {
  metadata: ReplicaSetManifest['metadata'] & { name: string; namespace: string; uid: string; creationTimestamp: string; generation: number };
  spec: ReplicaSetSpec & { replicas: number };
}

/** `/scale` subresource (autoscaling/v1 Scale). */
export const ScaleSchema = z.strictObject({
  apiVersion: z.string().optional(),
  kind: z.literal('Scale').optional(),
  metadata: ObjectMetaSchema.optional(),
  spec: z.strictObject({ replicas: z.number().int() }),
  status: knownUnused,
});
