import type { KubeEvent } from '@flotilla/client';
import type { Node, Pod, PodSpec, Resources } from '@flotilla/model';
import { addResources, effectivePodRequest, nodeAllocatable } from '@flotilla/model';
import { compare, describeEvents, printAnnotationsMultiline, printLabelsMultiline, printTaintsMultiline, type DescribeOptions } from './describe-common.ts';
import { formatRfc1123z, since } from './duration.ts';
import { nodeInfo, nodeRoles } from './get-table.ts';
import { formatAmount, formatQuantity } from './quantity.ts';
import { PrefixWriter } from './tabwriter.ts';

/**
 * `flotilla describe node`, laid out as kubectl's describeNode. `pods` are the node's
 * non-terminated pods; `events` undefined omits the Events section.
 */
export function describeNode(node: Node, pods: readonly Pod[], events: readonly KubeEvent[] | undefined, options: DescribeOptions): string {
  const w = new PrefixWriter();
  const time = (t: string | null | undefined) => (t ? formatRfc1123z(t, options.localTime) : '<unknown>');
  const status = node.status ?? { capacity: {}, allocatable: {} };
  const spec = node.spec ?? {};

  w.write(0, `Name:\t${node.metadata.name}\n`);
  w.write(0, `Roles:\t${nodeRoles(node).join(',') || '<none>'}\n`);
  printLabelsMultiline(w, 'Labels', node.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', node.metadata.annotations);
  w.write(0, `CreationTimestamp:\t${time(node.metadata.creationTimestamp)}\n`);
  printTaintsMultiline(w, 'Taints', spec.taints);
  w.write(0, `Unschedulable:\t${spec.unschedulable === true}\n`);

  const conditions = status.conditions ?? [];
  if (conditions.length > 0) {
    w.write(0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
    w.write(1, '----\t------\t-----------------\t------------------\t------\t-------\n');
    for (const c of conditions) {
      w.write(1, `${c.type} \t${c.status} \t${time(c.lastHeartbeatTime)} \t${time(c.lastTransitionTime)} \t${c.reason ?? ''} \t${c.message ?? ''}\n`);
    }
  }

  w.write(0, 'Addresses:\n');
  for (const address of status.addresses ?? []) w.write(1, `${address.type}:\t${address.address}\n`);

  const printResourceList = (list: Record<string, string | number>): void => {
    for (const name of Object.keys(list).sort(compare)) w.write(0, `  ${name}:\t${formatQuantity(name, list[name]!)}\n`);
  };
  if (Object.keys(status.capacity ?? {}).length > 0) {
    w.write(0, 'Capacity:\n');
    printResourceList(status.capacity ?? {});
  }
  if (Object.keys(status.allocatable ?? {}).length > 0) {
    w.write(0, 'Allocatable:\n');
    printResourceList(status.allocatable ?? {});
  }

  const info = nodeInfo(node);
  if (Object.keys(info).length > 0) {
    w.write(0, 'System Info:\n');
    for (const [title, key] of SYSTEM_INFO) w.write(0, `  ${title}:\t${info[key] ?? ''}\n`);
  }
  if (spec.podCIDR) w.write(0, `PodCIDR:\t${spec.podCIDR}\n`);
  if (spec.podCIDRs && spec.podCIDRs.length > 0) w.write(0, `PodCIDRs:\t${spec.podCIDRs.join(',')}\n`);
  if (spec.providerID) w.write(0, `ProviderID:\t${spec.providerID}\n`);

  describeNodeResource(w, node, pods, options);
  describeEvents(w, events, options);
  return w.toString();
}

const SYSTEM_INFO: ReadonlyArray<readonly [string, string]> = [
  ['Machine ID', 'machineID'],
  ['System UUID', 'systemUUID'],
  ['Boot ID', 'bootID'],
  ['Kernel Version', 'kernelVersion'],
  ['OS Image', 'osImage'],
  ['Operating System', 'operatingSystem'],
  ['Architecture', 'architecture'],
  ['Container Runtime Version', 'containerRuntimeVersion'],
  ['Kubelet Version', 'kubeletVersion'],
];

/** A pod's limits, combined over init containers and sidecars the way its requests are. */
export function podLimits(spec: PodSpec): Resources {
  const limitsOnly = <T extends { resources?: { limits?: Record<string, string | number> } }>(c: T): T => ({ ...c, resources: { limits: c.resources?.limits } });
  return effectivePodRequest({ ...spec, containers: spec.containers.map(limitsOnly), initContainers: spec.initContainers?.map(limitsOnly) });
}

function percent(amount: number, of: number): number {
  if (!of) return 0;
  return Math.trunc((amount / of) * 100);
}

function describeNodeResource(w: PrefixWriter, node: Node, pods: readonly Pod[], options: DescribeOptions): void {
  const allocatable = nodeAllocatable(node.status);
  const cell = (resource: string, amount: number) => `${formatAmount(resource, amount)} (${percent(amount, allocatable[resource] ?? 0)}%)`;

  w.write(0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
  w.write(1, 'Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
  w.write(1, '---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n');
  const totalRequests: Resources = {};
  const totalLimits: Resources = {};
  for (const pod of pods) {
    const requests = effectivePodRequest(pod.spec);
    const limits = podLimits(pod.spec);
    addResources(totalRequests, requests);
    addResources(totalLimits, limits);
    w.write(
      1,
      `${pod.metadata.namespace}\t${pod.metadata.name}\t\t${cell('cpu', requests['cpu'] ?? 0)}\t${cell('cpu', limits['cpu'] ?? 0)}\t${cell('memory', requests['memory'] ?? 0)}\t${cell('memory', limits['memory'] ?? 0)}\t${since(pod.metadata.creationTimestamp, options.now)}\n`,
    );
  }

  w.write(0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
  w.write(1, 'Resource\tRequests\tLimits\n');
  w.write(1, '--------\t--------\t------\n');
  for (const resource of ['cpu', 'memory', 'ephemeral-storage']) {
    w.write(1, `${resource}\t${cell(resource, totalRequests[resource] ?? 0)}\t${cell(resource, totalLimits[resource] ?? 0)}\n`);
  }
  const names = Object.keys(allocatable).sort(compare);
  for (const resource of names.filter((name) => name.startsWith('hugepages-'))) {
    w.write(1, `${resource}\t${cell(resource, totalRequests[resource] ?? 0)}\t${cell(resource, totalLimits[resource] ?? 0)}\n`);
  }
  const standard = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);
  for (const resource of names.filter((name) => !standard.has(name) && !name.startsWith('hugepages-'))) {
    w.write(1, `${resource}\t${formatAmount(resource, totalRequests[resource] ?? 0)}\t${formatAmount(resource, totalLimits[resource] ?? 0)}\n`);
  }
}
