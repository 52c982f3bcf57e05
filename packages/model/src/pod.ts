import { z } from 'zod';
import { AffinitySchema, TopologySpreadConstraintSchema } from './affinity.ts';
import {
  ConditionStatus,
  ObjectMetaSchema,
  ResourceListSchema,
  StringMap,
  knownUnused,
  TolerationSchema,
} from './meta.ts';

// Fields Kubernetes defines that Flotilla accepts but does not act on are `knownUnused` and reported
// as warnings by validation.ts; only fields Kubernetes does not know either are errors.

export const ContainerPortSchema = z.strictObject({
  name: z.string().optional(),
  containerPort: z.number().int(),
  hostPort: z.number().int().optional(),
  hostIP: z.string().optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
});
export type ContainerPort = z.infer<typeof ContainerPortSchema>;

// The downward API's fieldRef is resolved by the process runtime; ConfigMaps and Secrets do not exist.
export const EnvVarSourceSchema = z.strictObject({
  fieldRef: z.strictObject({ fieldPath: z.string(), apiVersion: z.string().optional() }).optional(),
  resourceFieldRef: knownUnused,
  configMapKeyRef: knownUnused,
  secretKeyRef: knownUnused,
});

export const EnvVarSchema = z.strictObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: EnvVarSourceSchema.optional(),
});
export type EnvVar = z.infer<typeof EnvVarSchema>;

export const VolumeMountSchema = z.strictObject({
  name: z.string(),
  mountPath: z.string(),
  readOnly: z.boolean().optional(),
  subPath: z.string().optional(),
  subPathExpr: knownUnused,
  mountPropagation: knownUnused,
  recursiveReadOnly: knownUnused,
});
export type VolumeMount = z.infer<typeof VolumeMountSchema>;

export const ResourceRequirementsSchema = z.strictObject({
  requests: ResourceListSchema.optional(),
  limits: ResourceListSchema.optional(),
  claims: knownUnused,
});
export type ResourceRequirements = z.infer<typeof ResourceRequirementsSchema>;

// Probes and lifecycle hooks (what the node agent runs against a container). Port may be a number
// or the name of one of the container's ports, as in Kubernetes.
export const ExecActionSchema = z.strictObject({ command: z.array(z.string()).optional() });
export const HTTPHeaderSchema = z.strictObject({ name: z.string(), value: z.string() });
export const HTTPGetActionSchema = z.strictObject({
  path: z.string().optional(),
  port: z.union([z.number().int(), z.string()]),
  host: z.string().optional(),
  scheme: z.enum(['HTTP', 'HTTPS']).optional(),
  httpHeaders: z.array(HTTPHeaderSchema).optional(),
});
export const TCPSocketActionSchema = z.strictObject({
  port: z.union([z.number().int(), z.string()]),
  host: z.string().optional(),
});
export const SleepActionSchema = z.strictObject({ seconds: z.number().int() });

export const ProbeSchema = z.strictObject({
  exec: ExecActionSchema.optional(),
  httpGet: HTTPGetActionSchema.optional(),
  tcpSocket: TCPSocketActionSchema.optional(),
  grpc: knownUnused,
  initialDelaySeconds: z.number().int().optional(),
  timeoutSeconds: z.number().int().optional(),
  periodSeconds: z.number().int().optional(),
  successThreshold: z.number().int().optional(),
  failureThreshold: z.number().int().optional(),
  terminationGracePeriodSeconds: z.number().int().optional(),
});
export type Probe = z.infer<typeof ProbeSchema>;
export type ExecAction = z.infer<typeof ExecActionSchema>;
export type HTTPGetAction = z.infer<typeof HTTPGetActionSchema>;
export type TCPSocketAction = z.infer<typeof TCPSocketActionSchema>;

export const LifecycleHandlerSchema = z.strictObject({
  exec: ExecActionSchema.optional(),
  httpGet: HTTPGetActionSchema.optional(),
  sleep: SleepActionSchema.optional(),
  tcpSocket: knownUnused,
});
export type LifecycleHandler = z.infer<typeof LifecycleHandlerSchema>;

export const LifecycleSchema = z.strictObject({
  postStart: LifecycleHandlerSchema.optional(),
  preStop: LifecycleHandlerSchema.optional(),
  stopSignal: knownUnused,
});
export type Lifecycle = z.infer<typeof LifecycleSchema>;

export const ContainerSchema = z.strictObject({
  name: z.string(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  env: z.array(EnvVarSchema).optional(),
  ports: z.array(ContainerPortSchema).optional(),
  resources: ResourceRequirementsSchema.optional(),
  volumeMounts: z.array(VolumeMountSchema).optional(),
  /** Only on init containers: `Always` makes it a native sidecar. */
  restartPolicy: z.enum(['Always']).optional(),
  envFrom: knownUnused,
  livenessProbe: ProbeSchema.optional(),
  readinessProbe: ProbeSchema.optional(),
  startupProbe: ProbeSchema.optional(),
  lifecycle: LifecycleSchema.optional(),
  terminationMessagePath: knownUnused,
  terminationMessagePolicy: knownUnused,
  imagePullPolicy: knownUnused,
  securityContext: knownUnused,
  stdin: knownUnused,
  stdinOnce: knownUnused,
  tty: knownUnused,
  resizePolicy: knownUnused,
  volumeDevices: knownUnused,
});
export type Container = z.infer<typeof ContainerSchema>;

export const EmptyDirSchema = z.strictObject({
  medium: z.enum(['', 'Memory']).optional(),
  sizeLimit: z.union([z.string(), z.number()]).optional(),
});

export const VolumeSchema = z.strictObject({
  name: z.string(),
  emptyDir: EmptyDirSchema.optional(),
  // Volume sources Kubernetes knows and Flotilla does not provide yet.
  hostPath: knownUnused,
  configMap: knownUnused,
  secret: knownUnused,
  projected: knownUnused,
  persistentVolumeClaim: knownUnused,
  downwardAPI: knownUnused,
  ephemeral: knownUnused,
  csi: knownUnused,
  nfs: knownUnused,
  image: knownUnused,
});
export type Volume = z.infer<typeof VolumeSchema>;

export const RestartPolicy = z.enum(['Always', 'OnFailure', 'Never']);
export type RestartPolicy = z.infer<typeof RestartPolicy>;

export const PodSpecSchema = z.strictObject({
  containers: z.array(ContainerSchema),
  initContainers: z.array(ContainerSchema).optional(),
  volumes: z.array(VolumeSchema).optional(),
  restartPolicy: RestartPolicy.optional(),
  nodeSelector: StringMap.optional(),
  nodeName: z.string().optional(),
  tolerations: z.array(TolerationSchema).optional(),
  priority: z.number().int().optional(),
  priorityClassName: z.string().optional(),
  schedulerName: z.string().optional(),
  terminationGracePeriodSeconds: z.number().int().optional(),
  activeDeadlineSeconds: z.number().int().optional(),
  affinity: AffinitySchema.optional(),
  topologySpreadConstraints: z.array(TopologySpreadConstraintSchema).optional(),
  preemptionPolicy: z.enum(['PreemptLowerPriority', 'Never']).optional(),
  overhead: knownUnused,
  // Known to Kubernetes, not acted on by Flotilla.
  dnsPolicy: knownUnused,
  dnsConfig: knownUnused,
  serviceAccountName: knownUnused,
  serviceAccount: knownUnused,
  automountServiceAccountToken: knownUnused,
  securityContext: knownUnused,
  imagePullSecrets: knownUnused,
  hostNetwork: knownUnused,
  hostPID: knownUnused,
  hostIPC: knownUnused,
  hostname: knownUnused,
  subdomain: knownUnused,
  hostAliases: knownUnused,
  enableServiceLinks: knownUnused,
  shareProcessNamespace: knownUnused,
  readinessGates: knownUnused,
  runtimeClassName: knownUnused,
  os: knownUnused,
  setHostnameAsFQDN: knownUnused,
  ephemeralContainers: knownUnused,
  schedulingGates: knownUnused,
  resourceClaims: knownUnused,
  hostUsers: knownUnused,
  resources: knownUnused,
});
export type PodSpec = z.infer<typeof PodSpecSchema>;

export const PodPhase = z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);
export type PodPhase = z.infer<typeof PodPhase>;

export const PodConditionType = z.enum(['PodScheduled', 'Initialized', 'ContainersReady', 'Ready', 'DisruptionTarget', 'PodReadyToStartContainers']);
export type PodConditionType = z.infer<typeof PodConditionType>;

export const PodConditionSchema = z.looseObject({
  type: z.string(),
  status: ConditionStatus,
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().nullable().optional(),
  lastProbeTime: z.string().nullable().optional(),
});
export type PodCondition = z.infer<typeof PodConditionSchema>;

export const ContainerStateSchema = z.looseObject({
  waiting: z.looseObject({ reason: z.string().optional(), message: z.string().optional() }).optional(),
  running: z.looseObject({ startedAt: z.string().optional() }).optional(),
  terminated: z
    .looseObject({
      exitCode: z.number().int(),
      reason: z.string().optional(),
      message: z.string().optional(),
      signal: z.number().int().optional(),
      startedAt: z.string().optional(),
      finishedAt: z.string().optional(),
    })
    .optional(),
});
export type ContainerState = z.infer<typeof ContainerStateSchema>;

export const ContainerStatusSchema = z.looseObject({
  name: z.string(),
  state: ContainerStateSchema.optional(),
  lastState: ContainerStateSchema.optional(),
  ready: z.boolean(),
  started: z.boolean().optional(),
  restartCount: z.number().int(),
  image: z.string().optional(),
  imageID: z.string().optional(),
  containerID: z.string().optional(),
});
export type ContainerStatus = z.infer<typeof ContainerStatusSchema>;

/** Status is server-owned; accepted on input (ignored on create) so that `get -o yaml` output applies. */
export const PodStatusSchema = z.looseObject({
  phase: PodPhase.optional(),
  conditions: z.array(PodConditionSchema).optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  hostIP: z.string().optional(),
  podIP: z.string().optional(),
  podIPs: z.array(z.looseObject({ ip: z.string() })).optional(),
  nodeName: z.string().optional(),
  nominatedNodeName: z.string().optional(),
  startTime: z.string().optional(),
  qosClass: z.string().optional(),
  initContainerStatuses: z.array(ContainerStatusSchema).optional(),
  containerStatuses: z.array(ContainerStatusSchema).optional(),
});
export type PodStatus = z.infer<typeof PodStatusSchema>;

export const PodSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Pod'),
  metadata: ObjectMetaSchema,
  spec: PodSpecSchema,
  status: PodStatusSchema.optional(),
});
export type PodManifest = z.infer<typeof PodSchema>;

/** A pod as the control plane stores it: name, namespace, uid and creation time always set. */
export interface Pod extends PodManifest {
  metadata: PodManifest['metadata'] & { name: string; namespace: string; uid: string; creationTimestamp: string };
}
