import { z } from 'zod';

/**
 * One shared schema instance for fields Kubernetes defines that Flotilla accepts but does not act on.
 * validation.ts finds them by identity and names them in warnings, as kubectl prints `Warning:` lines.
 */
export const knownUnused = z.unknown().optional();

/** Label and annotation maps. Keys and values are checked in validation.ts, where paths are known. */
export const StringMap = z.record(z.string(), z.string());

export const OwnerReferenceSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});
export type OwnerReference = z.infer<typeof OwnerReferenceSchema>;

/**
 * ObjectMeta. Server-owned fields (uid, resourceVersion, creationTimestamp, ...) are accepted on input
 * so that `kubectl get -o yaml` output can be applied again; the API overwrites them.
 */
export const ObjectMetaSchema = z.strictObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  ownerReferences: z.array(OwnerReferenceSchema).optional(),
  // Server-owned: ignored on create.
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().nullable().optional(),
  deletionTimestamp: z.string().nullable().optional(),
  deletionGracePeriodSeconds: z.number().int().nullable().optional(),
  // Known to Kubernetes, not acted on by Flotilla.
  finalizers: knownUnused,
  managedFields: knownUnused,
  selfLink: knownUnused,
});
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

export const ConditionStatus = z.enum(['True', 'False', 'Unknown']);
export type ConditionStatus = z.infer<typeof ConditionStatus>;

export const TaintEffect = z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
export type TaintEffect = z.infer<typeof TaintEffect>;

export const TaintSchema = z.strictObject({
  key: z.string(),
  value: z.string().optional(),
  effect: TaintEffect,
  timeAdded: z.string().nullable().optional(),
});
export type Taint = z.infer<typeof TaintSchema>;

export const TolerationSchema = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  effect: TaintEffect.optional(),
  tolerationSeconds: z.number().int().nullable().optional(),
});
export type Toleration = z.infer<typeof TolerationSchema>;

/** A quantity as written in a manifest: "100m", "1Gi" or a plain number. Checked in validation.ts. */
export const QuantityInput = z.union([z.string(), z.number()]);
export const ResourceListSchema = z.record(z.string(), QuantityInput);
export type ResourceListInput = z.infer<typeof ResourceListSchema>;
