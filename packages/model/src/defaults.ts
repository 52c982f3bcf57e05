import type { Toleration } from './meta.ts';
import type { Node, NodeManifest } from './node.ts';
import type { Container, HTTPGetAction, Lifecycle, LifecycleHandler, Pod, PodManifest, PodSpec, Probe } from './pod.ts';
import { priorityClass } from './priority-classes.ts';
import type { ReplicaSet, ReplicaSetManifest } from './replica-set.ts';

export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;

/** What Kubernetes fills into a probe left partly unset (SetDefaults_Probe). */
export const PROBE_DEFAULTS = { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 } as const;

export interface ServerFields {
  uid: string;
  /** ISO-8601; time is an argument, never read from a clock here. */
  now: string;
  namespace?: string;
  /** Used when the manifest has only `generateName`. */
  generatedSuffix?: string;
}

/**
 * The pod the control plane stores for a create: server-owned fields dropped (status, resourceVersion,
 * deletion fields, ...), identity assigned, and the defaults Kubernetes applies filled in.
 */
export function podForCreate(manifest: PodManifest, server: ServerFields): Pod {
  const { metadata, spec } = manifest;
  const name = metadata.name ?? `${metadata.generateName ?? ''}${server.generatedSuffix ?? ''}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: server.namespace ?? metadata.namespace ?? DEFAULT_NAMESPACE,
      uid: server.uid,
      creationTimestamp: server.now,
      ...(metadata.generateName !== undefined ? { generateName: metadata.generateName } : {}),
      ...(metadata.labels ? { labels: metadata.labels } : {}),
      ...(metadata.annotations ? { annotations: metadata.annotations } : {}),
      ...(metadata.ownerReferences ? { ownerReferences: metadata.ownerReferences } : {}),
    },
    spec: {
      ...podSpecDefaults(spec),
      // The Priority admission plugin: the class decides the number (validation rejected a mismatch).
      ...priorityFields(spec.priorityClassName, spec.priority, spec.preemptionPolicy),
    },
  };
}

/**
 * The pod spec defaults (SetDefaults_PodSpec and the container defaults), as a pod and a pod template
 * get them alike. Admission (priority, default tolerations) is not a default: it runs on pods only.
 */
function podSpecDefaults(spec: PodSpec): PodSpec {
  return {
    ...spec,
    containers: spec.containers.map(containerDefaults),
    ...(spec.initContainers ? { initContainers: spec.initContainers.map(containerDefaults) } : {}),
    restartPolicy: spec.restartPolicy ?? 'Always',
    schedulerName: spec.schedulerName ?? DEFAULT_SCHEDULER_NAME,
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
  };
}

/** apps/v1 SetDefaults_ReplicaSet: one replica. */
export const DEFAULT_REPLICAS = 1;

/**
 * The ReplicaSet the control plane stores for a create: identity and generation 1 assigned,
 * server-owned fields (status, resourceVersion, ...) dropped, `spec.replicas` defaulted to 1 and the
 * template's pod spec defaulted as a pod's is. Its status is derived by the fold.
 */
export function replicaSetForCreate(manifest: ReplicaSetManifest, server: ServerFields): ReplicaSet {
  const { metadata, spec } = manifest;
  const name = metadata.name ?? `${metadata.generateName ?? ''}${server.generatedSuffix ?? ''}`;
  const templateMetadata = spec.template.metadata;
  const templateMeta = {
    ...(templateMetadata?.labels ? { labels: templateMetadata.labels } : {}),
    ...(templateMetadata?.annotations ? { annotations: templateMetadata.annotations } : {}),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: server.namespace ?? metadata.namespace ?? DEFAULT_NAMESPACE,
      uid: server.uid,
      creationTimestamp: server.now,
      generation: 1,
      ...(metadata.generateName !== undefined ? { generateName: metadata.generateName } : {}),
      ...(metadata.labels ? { labels: metadata.labels } : {}),
      ...(metadata.annotations ? { annotations: metadata.annotations } : {}),
      ...(metadata.ownerReferences ? { ownerReferences: metadata.ownerReferences } : {}),
    },
    spec: {
      replicas: spec.replicas ?? DEFAULT_REPLICAS,
      ...(spec.minReadySeconds !== undefined ? { minReadySeconds: spec.minReadySeconds } : {}),
      selector: spec.selector,
      template: {
        ...(Object.keys(templateMeta).length > 0 ? { metadata: templateMeta } : {}),
        spec: podSpecDefaults(spec.template.spec),
      },
    },
  };
}

/** The taint the node lifecycle controller puts on a node whose lease lapsed. */
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
/** The taint of a node that reports itself not ready. */
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
/** kube-apiserver's --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds. */
export const DEFAULT_TOLERATION_SECONDS = 300;

export interface DefaultTolerationOptions {
  notReadySeconds?: number;
  unreachableSeconds?: number;
}

/**
 * The DefaultTolerationSeconds admission plugin: a pod that does not already tolerate
 * `node.kubernetes.io/not-ready` / `node.kubernetes.io/unreachable` with NoExecute gets a toleration
 * for each (operator Exists, effect NoExecute, tolerationSeconds 300 by default), so that it is
 * evicted from a failed node after that long rather than at once. A toleration with an empty key,
 * or with an empty effect, counts as tolerating (as in the plugin). Returns a new spec; the input is
 * not changed, and is returned as it is when nothing is added.
 */
export function withDefaultTolerations(spec: PodSpec, options: DefaultTolerationOptions = {}): PodSpec {
  const tolerations = spec.tolerations ?? [];
  const tolerates = (key: string) =>
    tolerations.some((t) => ((t.key ?? '') === '' || t.key === key) && (t.effect === undefined || t.effect === 'NoExecute'));
  const added: Toleration[] = [];
  if (!tolerates(TAINT_NODE_NOT_READY)) {
    added.push({ key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: options.notReadySeconds ?? DEFAULT_TOLERATION_SECONDS });
  }
  if (!tolerates(TAINT_NODE_UNREACHABLE)) {
    added.push({ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: options.unreachableSeconds ?? DEFAULT_TOLERATION_SECONDS });
  }
  return added.length === 0 ? spec : { ...spec, tolerations: [...tolerations, ...added] };
}

/** Port protocol TCP; probe timings; httpGet path `/` and scheme HTTP, in probes and hooks alike. */
function containerDefaults(container: Container): Container {
  const out: Container = { ...container };
  if (container.ports) out.ports = container.ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' }));
  if (container.livenessProbe) out.livenessProbe = probeDefaults(container.livenessProbe);
  if (container.readinessProbe) out.readinessProbe = probeDefaults(container.readinessProbe);
  if (container.startupProbe) out.startupProbe = probeDefaults(container.startupProbe);
  if (container.lifecycle) out.lifecycle = lifecycleDefaults(container.lifecycle);
  return out;
}

function probeDefaults(probe: Probe): Probe {
  return {
    ...probe,
    ...(probe.httpGet ? { httpGet: httpGetDefaults(probe.httpGet) } : {}),
    timeoutSeconds: probe.timeoutSeconds ?? PROBE_DEFAULTS.timeoutSeconds,
    periodSeconds: probe.periodSeconds ?? PROBE_DEFAULTS.periodSeconds,
    successThreshold: probe.successThreshold ?? PROBE_DEFAULTS.successThreshold,
    failureThreshold: probe.failureThreshold ?? PROBE_DEFAULTS.failureThreshold,
  };
}

function lifecycleDefaults(lifecycle: Lifecycle): Lifecycle {
  const handler = (h: LifecycleHandler): LifecycleHandler => (h.httpGet ? { ...h, httpGet: httpGetDefaults(h.httpGet) } : h);
  return {
    ...lifecycle,
    ...(lifecycle.postStart ? { postStart: handler(lifecycle.postStart) } : {}),
    ...(lifecycle.preStop ? { preStop: handler(lifecycle.preStop) } : {}),
  };
}

function httpGetDefaults(action: HTTPGetAction): HTTPGetAction {
  // An empty path is unset, as in Kubernetes.
  return { ...action, path: action.path || '/', scheme: action.scheme ?? 'HTTP' };
}

function priorityFields(className: string | undefined, priority: number | undefined, policy: 'PreemptLowerPriority' | 'Never' | undefined): {
  priority: number;
  preemptionPolicy: 'PreemptLowerPriority' | 'Never';
} {
  const known = className ? priorityClass(className) : undefined;
  return {
    priority: known?.value ?? priority ?? 0,
    preemptionPolicy: policy ?? known?.preemptionPolicy ?? 'PreemptLowerPriority',
  };
}

/** The node record a node agent registers: identity assigned, allocatable defaulting to capacity. */
export function nodeForRegister(manifest: NodeManifest, server: Omit<ServerFields, 'namespace' | 'generatedSuffix'>): Node {
  const capacity = Object.fromEntries(Object.entries(manifest.status?.capacity ?? {}).map(([k, v]) => [k, String(v)]));
  const allocatable = Object.fromEntries(Object.entries(manifest.status?.allocatable ?? capacity).map(([k, v]) => [k, String(v)]));
  const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, ...metadata } = manifest.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { ...metadata, name: manifest.metadata.name ?? '', uid: server.uid, creationTimestamp: server.now },
    spec: { ...(manifest.spec ?? {}) },
    status: { ...(manifest.status ?? {}), capacity, allocatable },
  };
}
