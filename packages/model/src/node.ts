import { z } from 'zod';
import { ConditionStatus, ObjectMetaSchema, ResourceListSchema, TaintSchema } from './meta.ts';

export const NodeConditionSchema = z.looseObject({
  type: z.string(),
  status: ConditionStatus,
  reason: z.string().optional(),
  message: z.string().optional(),
  lastHeartbeatTime: z.string().nullable().optional(),
  lastTransitionTime: z.string().nullable().optional(),
});
export type NodeCondition = z.infer<typeof NodeConditionSchema>;

export const NodeSpecSchema = z.strictObject({
  podCIDR: z.string().optional(),
  podCIDRs: z.array(z.string()).optional(),
  taints: z.array(TaintSchema).optional(),
  unschedulable: z.boolean().optional(),
  providerID: z.string().optional(),
});
export type NodeSpec = z.infer<typeof NodeSpecSchema>;

export const NodeAddressSchema = z.strictObject({
  type: z.enum(['InternalIP', 'ExternalIP', 'Hostname', 'InternalDNS', 'ExternalDNS']),
  address: z.string(),
});

export const NodeStatusSchema = z.looseObject({
  capacity: ResourceListSchema.optional(),
  allocatable: ResourceListSchema.optional(),
  conditions: z.array(NodeConditionSchema).optional(),
  addresses: z.array(NodeAddressSchema).optional(),
  nodeInfo: z.looseObject({}).optional(),
});
export type NodeStatus = z.infer<typeof NodeStatusSchema>;

export const NodeSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Node'),
  metadata: ObjectMetaSchema,
  spec: NodeSpecSchema.optional(),
  status: NodeStatusSchema.optional(),
});
export type NodeManifest = z.infer<typeof NodeSchema>;

export interface Node extends NodeManifest {
  metadata: NodeManifest['metadata'] & { name: string; uid: string; creationTimestamp: string };
  spec: NodeSpec;
  status: NodeStatus & { capacity: Record<string, string>; allocatable: Record<string, string> };
}
