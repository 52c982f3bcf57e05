import type { Node, NodeManifest } from './node.ts';
import type { Container, HTTPGetAction, Lifecycle, LifecycleHandler, Pod, PodManifest, Probe } from './pod.ts';
import { priorityClass } from './priority-classes.ts';

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
      ...spec,
      containers: spec.containers.map(containerDefaults),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map(containerDefaults) } : {}),
      restartPolicy: spec.restartPolicy ?? 'Always',
      schedulerName: spec.schedulerName ?? DEFAULT_SCHEDULER_NAME,
      terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
      // The Priority admission plugin: the class decides the number (validation rejected a mismatch).
      ...priorityFields(spec.priorityClassName, spec.priority, spec.preemptionPolicy),
    },
  };
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
