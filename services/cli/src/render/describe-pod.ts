import type { KubeEvent, PodScheduling } from '@flotilla/client';
import type { Container, ContainerPort, ContainerState, ContainerStatus, Pod, Volume } from '@flotilla/model';
import { compare, describeEvents, printAnnotationsMultiline, printBool, printLabelsMultiline, printTolerationsMultiline, type DescribeOptions } from './describe-common.ts';
import { formatRfc1123z, since } from './duration.ts';
import { podNodeName } from './pod-status.ts';
import { computeQosClass } from './qos.ts';
import { formatQuantity } from './quantity.ts';
import { describeScheduling } from './scheduling.ts';
import { PrefixWriter } from './tabwriter.ts';

/**
 * `flotilla describe pod`, laid out as kubectl's describePod. `events` undefined omits the Events
 * section; `scheduling` (the pod's last scheduling attempt) adds a Scheduling section before it.
 */
export function describePod(pod: Pod, events: readonly KubeEvent[] | undefined, options: DescribeOptions, scheduling?: PodScheduling): string {
  const w = new PrefixWriter();
  const { spec, metadata } = pod;
  const status = pod.status ?? {};
  const time = (t: string | null | undefined) => formatRfc1123z(t, options.localTime);

  w.write(0, `Name:\t${metadata.name}\n`);
  w.write(0, `Namespace:\t${metadata.namespace}\n`);
  if (spec.priority !== undefined) w.write(0, `Priority:\t${spec.priority}\n`);
  if (spec.priorityClassName) w.write(0, `Priority Class Name:\t${spec.priorityClassName}\n`);
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName) w.write(0, `Service Account:\t${spec.serviceAccountName}\n`);
  const nodeName = podNodeName(pod);
  w.write(0, nodeName ? `Node:\t${nodeName}/${status.hostIP ?? ''}\n` : 'Node:\t<none>\n');
  if (status.startTime) w.write(0, `Start Time:\t${time(status.startTime)}\n`);
  printLabelsMultiline(w, 'Labels', metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', metadata.annotations);
  const phase = status.phase ?? 'Pending';
  if (metadata.deletionTimestamp && phase !== 'Failed' && phase !== 'Succeeded') {
    const grace = metadata.deletionGracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
    // deletionTimestamp is the grace deadline (as in Kubernetes), so the deletion was asked for
    // `grace` seconds before it; kubectl's plain "since deadline" prints <invalid> during the grace.
    const requestedAt = new Date(Date.parse(metadata.deletionTimestamp) - grace * 1000).toISOString();
    w.write(0, `Status:\tTerminating (lasts ${since(requestedAt, options.now)})\n`);
    w.write(0, `Termination Grace Period:\t${grace}s\n`);
  } else {
    w.write(0, `Status:\t${phase}\n`);
  }
  if (status.reason) w.write(0, `Reason:\t${status.reason}\n`);
  if (status.message) w.write(0, `Message:\t${status.message}\n`);
  w.write(0, `IP:\t${status.podIP ?? ''}\n`);
  const ips = status.podIPs ?? [];
  if (ips.length === 0) w.write(0, 'IPs:\t<none>\n');
  else {
    w.write(0, 'IPs:\n');
    for (const ip of ips) w.write(1, `IP:\t${ip.ip}\n`);
  }
  const controller = metadata.ownerReferences?.find((ref) => ref.controller);
  if (controller) w.write(0, `Controlled By:\t${controller.kind}/${controller.name}\n`);
  if (status.nominatedNodeName) w.write(0, `NominatedNodeName:\t${status.nominatedNodeName}\n`);

  if (spec.initContainers && spec.initContainers.length > 0) describeContainers(w, 'Init Containers', spec.initContainers, status.initContainerStatuses, time);
  describeContainers(w, 'Containers', spec.containers, status.containerStatuses, time);

  if (status.conditions && status.conditions.length > 0) {
    w.write(0, 'Conditions:\n  Type\tStatus\n');
    for (const condition of status.conditions) w.write(1, `${condition.type} \t${condition.status} \n`);
  }
  describeVolumes(w, spec.volumes);
  w.write(0, `QoS Class:\t${status.qosClass || computeQosClass(pod)}\n`);
  printLabelsMultiline(w, 'Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, 'Tolerations', spec.tolerations);
  describeScheduling(w, scheduling);
  describeEvents(w, events, options);
  return w.toString();
}

type TimeFormat = (t: string | null | undefined) => string;

/**
 * kubectl's describeContainers. `space` indents the section under a heading (a pod template's
 * `Pod Template:`): the label gets it, each name one more space, as kubectl lays it out.
 */
export function describeContainers(w: PrefixWriter, label: string, containers: readonly Container[], statuses: readonly ContainerStatus[] | undefined, time: TimeFormat, space = ''): void {
  const byName = new Map((statuses ?? []).map((s) => [s.name, s]));
  w.write(0, `${space}${label}:${containers.length === 0 ? ' <none>' : ''}\n`);
  for (const container of containers) {
    const status = byName.get(container.name);
    w.write(1, `${space ? ' ' : ''}${container.name}:\n`);
    if (status) w.write(2, `Container ID:\t${status.containerID ?? ''}\n`);
    w.write(2, `Image:\t${container.image ?? ''}\n`);
    if (status) w.write(2, `Image ID:\t${status.imageID ?? ''}\n`);
    const ports = describePorts(container.ports, (p) => p.containerPort);
    if (ports.includes(',')) w.write(2, `Ports:\t${ports}\n`);
    else w.write(2, `Port:\t${ports || '<none>'}\n`);
    const hostPorts = describePorts(container.ports, (p) => p.hostPort ?? 0);
    if (hostPorts.includes(',')) w.write(2, `Host Ports:\t${hostPorts}\n`);
    else w.write(2, `Host Port:\t${hostPorts || '<none>'}\n`);
    describeCommand(w, container);
    if (status) {
      describeState(w, 'State', status.state, time);
      if (status.lastState?.terminated) describeState(w, 'Last State', status.lastState, time);
      w.write(2, `Ready:\t${printBool(status.ready)}\n`);
      w.write(2, `Restart Count:\t${status.restartCount}\n`);
    }
    describeResources(w, container);
    describeEnv(w, container);
    describeMounts(w, container);
  }
}

function describePorts(ports: readonly ContainerPort[] | undefined, pick: (p: ContainerPort) => number): string {
  return (ports ?? []).map((p) => `${pick(p)}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`).join(', ');
}

function describeCommand(w: PrefixWriter, container: Container): void {
  for (const [title, values] of [
    ['Command', container.command],
    ['Args', container.args],
  ] as const) {
    if (!values || values.length === 0) continue;
    w.write(2, `${title}:\n`);
    for (const value of values) for (const line of value.split('\n')) w.write(3, `${line}\n`);
  }
}

function describeState(w: PrefixWriter, title: string, state: ContainerState | undefined, time: TimeFormat): void {
  if (state?.running) {
    w.write(2, `${title}:\tRunning\n`);
    w.write(3, `Started:\t${time(state.running.startedAt)}\n`);
  } else if (state?.waiting) {
    w.write(2, `${title}:\tWaiting\n`);
    if (state.waiting.reason) w.write(3, `Reason:\t${state.waiting.reason}\n`);
  } else if (state?.terminated) {
    const t = state.terminated;
    w.write(2, `${title}:\tTerminated\n`);
    if (t.reason) w.write(3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(3, `Message:\t${t.message}\n`);
    w.write(3, `Exit Code:\t${t.exitCode}\n`);
    if (t.signal && t.signal > 0) w.write(3, `Signal:\t${t.signal}\n`);
    w.write(3, `Started:\t${time(t.startedAt)}\n`);
    w.write(3, `Finished:\t${time(t.finishedAt)}\n`);
  } else {
    w.write(2, `${title}:\tWaiting\n`);
  }
}

function describeResources(w: PrefixWriter, container: Container): void {
  for (const [title, list] of [
    ['Limits', container.resources?.limits],
    ['Requests', container.resources?.requests],
  ] as const) {
    const names = Object.keys(list ?? {}).sort(compare);
    if (names.length === 0) continue;
    w.write(2, `${title}:\n`);
    for (const name of names) w.write(3, `${name}:\t${formatQuantity(name, list![name]!)}\n`);
  }
}

function describeEnv(w: PrefixWriter, container: Container): void {
  const env = container.env ?? [];
  w.write(2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
  for (const variable of env) {
    if (variable.valueFrom === undefined || variable.valueFrom === null) {
      (variable.value ?? '').split('\n').forEach((line, i) => w.write(3, i === 0 ? `${variable.name}:\t${line}\n` : `\t${line}\n`));
      continue;
    }
    w.write(3, `${variable.name}:\t${describeValueFrom(variable.valueFrom)}\n`);
  }
}

/** valueFrom is accepted but not resolved by Flotilla; show the reference as kubectl words it. */
function describeValueFrom(valueFrom: unknown): string {
  const from = (typeof valueFrom === 'object' && valueFrom !== null ? valueFrom : {}) as Record<string, Record<string, unknown> | undefined>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  if (from['fieldRef']) return ` (${str(from['fieldRef']['apiVersion']) || 'v1'}:${str(from['fieldRef']['fieldPath'])})`;
  if (from['resourceFieldRef']) return ` (${str(from['resourceFieldRef']['resource'])})`;
  if (from['secretKeyRef']) {
    const ref = from['secretKeyRef'];
    return `<set to the key '${str(ref['key'])}' in secret '${str(ref['name'])}'>\tOptional: ${ref['optional'] === true}`;
  }
  if (from['configMapKeyRef']) {
    const ref = from['configMapKeyRef'];
    return `<set to the key '${str(ref['key'])}' of config map '${str(ref['name'])}'>\tOptional: ${ref['optional'] === true}`;
  }
  return '<set from valueFrom>';
}

function describeMounts(w: PrefixWriter, container: Container): void {
  const mounts = [...(container.volumeMounts ?? [])].sort((a, b) => compare(a.mountPath, b.mountPath));
  w.write(2, `Mounts:${mounts.length === 0 ? '\t<none>' : ''}\n`);
  for (const mount of mounts) {
    const flags = [mount.readOnly ? 'ro' : 'rw'];
    if (mount.subPath) flags.push(`path=${JSON.stringify(mount.subPath)}`);
    w.write(3, `${mount.mountPath} from ${mount.name} (${flags.join(',')})\n`);
  }
}

/** kubectl's describeVolumes; `space` as in describeContainers. */
export function describeVolumes(w: PrefixWriter, volumes: readonly Volume[] | undefined, space = ''): void {
  if (!volumes || volumes.length === 0) {
    w.write(0, `${space}Volumes:\t<none>\n`);
    return;
  }
  w.write(0, `${space}Volumes:\n`);
  for (const volume of volumes) {
    w.write(1, `${space ? ' ' : ''}${volume.name}:\n`);
    const field = (source: unknown, key: string): string => {
      const value = typeof source === 'object' && source !== null ? (source as Record<string, unknown>)[key] : undefined;
      return value === undefined || value === null ? '' : String(value);
    };
    if (volume.hostPath) {
      w.write(2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${field(volume.hostPath, 'path')}\n    HostPathType:\t${field(volume.hostPath, 'type') || '<none>'}\n`);
    } else if (volume.secret) {
      w.write(2, `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${field(volume.secret, 'secretName')}\n    Optional:\t${field(volume.secret, 'optional') === 'true'}\n`);
    } else if (volume.configMap) {
      w.write(2, `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${field(volume.configMap, 'name')}\n    Optional:\t${field(volume.configMap, 'optional') === 'true'}\n`);
    } else if (volume.persistentVolumeClaim) {
      w.write(2, `Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t${field(volume.persistentVolumeClaim, 'claimName')}\n    ReadOnly:\t${field(volume.persistentVolumeClaim, 'readOnly') === 'true'}\n`);
    } else if (volume.emptyDir || !hasOtherSource(volume)) {
      // A volume with no source is an emptyDir, as the API server defaults it.
      const sizeLimit = volume.emptyDir?.sizeLimit;
      w.write(2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${volume.emptyDir?.medium ?? ''}\n    SizeLimit:\t${sizeLimit === undefined || sizeLimit === 0 || sizeLimit === '0' ? '<unset>' : String(sizeLimit)}\n`);
    } else {
      w.write(1, '<unknown>\n');
    }
  }
}

function hasOtherSource(volume: Volume): boolean {
  return Object.entries(volume).some(([key, value]) => key !== 'name' && key !== 'emptyDir' && value !== undefined && value !== null);
}
