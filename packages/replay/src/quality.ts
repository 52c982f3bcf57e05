// Placement quality of a cluster state: how full the nodes are and how evenly, how much free room is
// stranded on nodes too full for a typical pod, how the pods spread over zones and nodes, and what
// is still pending and why.
import { CPU, MEMORY, PODS } from '@flotilla/model';
import { isTerminalPhase, podRequest } from '@flotilla/state';
import type { ClusterState, NodeRecord } from '@flotilla/state';
import type { Trace } from './trace.ts';

export interface Distribution {
  mean: number;
  stddev: number;
  min: number;
  max: number;
}

export interface PlacementQuality {
  /** Nodes registered at the end, and those holding at least one pod. */
  nodes: number;
  nodesUsed: number;
  /** Requested / allocatable per node (0..1), over every node. */
  cpu: Distribution;
  memory: Distribution;
  /** Mean utilisation of the nodes in use. */
  cpuMeanOfUsed: number;
  memoryMeanOfUsed: number;
  /** Requested / allocatable over the whole cluster (large nodes weigh more than in the per-node mean). */
  cpuOfCluster: number;
  memoryOfCluster: number;
  fragmentation: {
    /** The trace's median pod request, and its largest (by cpu): cpu in millicores, memory in bytes. */
    medianPod: PodSize;
    largestPod: PodSize;
    freeCpu: number;
    freeMemory: number;
    /** Free room on nodes where the median pod does not fit (or that take no pods: cordoned, unreachable). */
    strandedCpu: number;
    strandedMemory: number;
    /** stranded / free (0 when nothing is free). */
    cpuShare: number;
    memoryShare: number;
    /** The share of free cpu on nodes where the largest pod does not fit. */
    cpuShareForLargest: number;
  };
  spread: {
    zoneLabel: string;
    /** Pods holding room per zone (nodes without the label under ''); empty when no node has the label. */
    perZone: Record<string, number>;
    /** Largest minus smallest zone count, and their standard deviation. */
    zoneSkew: number;
    zoneStddev: number;
    /** Pods per node: largest minus smallest, standard deviation, most on one node. */
    nodeSkew: number;
    nodeStddev: number;
    maxPodsOnNode: number;
  };
}

export interface PodSize {
  cpu: number;
  memory: number;
}

export interface PodOutcomes {
  /** Pods that exist at the end. */
  total: number;
  pending: number;
  /** Bound and holding room (starting or running). */
  bound: number;
  /** Bound to a node that was removed since (as in the cluster, nothing moves them). */
  orphaned: number;
  running: number;
  succeeded: number;
  failed: number;
  /** Deletion asked, not gone yet. */
  terminating: number;
}

export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { mean: 0, stddev: 0, min: 0, max: 0 };
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    sum += value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const mean = sum / values.length;
  let squares = 0;
  for (const value of values) squares += (value - mean) ** 2;
  return { mean, stddev: Math.sqrt(squares / values.length), min, max };
}

function ratio(used: number, total: number): number {
  return total > 0 ? used / total : 0;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** The median cpu and memory request of the trace's pods (each taken on its own), and the largest pod by cpu. */
export function podSizes(trace: Trace): { median: PodSize; largest: PodSize } {
  const cpu: number[] = [];
  const memory: number[] = [];
  let largest: PodSize = { cpu: 0, memory: 0 };
  for (const arrival of trace.arrivals) {
    if (arrival.type !== 'PodCreated') continue;
    const request = podRequest(arrival.pod.spec);
    const size = { cpu: request[CPU] ?? 0, memory: request[MEMORY] ?? 0 };
    cpu.push(size.cpu);
    memory.push(size.memory);
    if (size.cpu > largest.cpu || (size.cpu === largest.cpu && size.memory > largest.memory)) largest = size;
  }
  return { median: { cpu: median(cpu), memory: median(memory) }, largest };
}

function takesPods(record: NodeRecord): boolean {
  return record.node.spec.unschedulable !== true && record.unreachable === undefined;
}

export function measurePlacement(state: ClusterState, sizes: { median: PodSize; largest: PodSize }, zoneLabel: string): PlacementQuality {
  const medianPod = sizes.median;
  const largestPod = sizes.largest;
  const cpu: number[] = [];
  const memory: number[] = [];
  const podsPerNode: number[] = [];
  const perZone: Record<string, number> = {};
  let labelled = false;
  let used = 0;
  let cpuUsedSum = 0;
  let memoryUsedSum = 0;
  let freeCpu = 0;
  let freeMemory = 0;
  let strandedCpu = 0;
  let strandedMemory = 0;
  let strandedForLargest = 0;
  let allocatableCpu = 0;
  let allocatableMemory = 0;
  let requestedCpu = 0;
  let requestedMemory = 0;
  for (const record of state.nodes.values()) {
    const allocatable = record.allocatable;
    const requested = record.requested;
    const cpuShare = ratio(requested[CPU] ?? 0, allocatable[CPU] ?? 0);
    const memoryShare = ratio(requested[MEMORY] ?? 0, allocatable[MEMORY] ?? 0);
    cpu.push(cpuShare);
    memory.push(memoryShare);
    allocatableCpu += allocatable[CPU] ?? 0;
    allocatableMemory += allocatable[MEMORY] ?? 0;
    requestedCpu += requested[CPU] ?? 0;
    requestedMemory += requested[MEMORY] ?? 0;
    const pods = record.podKeys.size;
    podsPerNode.push(pods);
    if (pods > 0) {
      used++;
      cpuUsedSum += cpuShare;
      memoryUsedSum += memoryShare;
    }
    const zone = record.node.metadata.labels?.[zoneLabel];
    if (zone !== undefined) labelled = true;
    perZone[zone ?? ''] = (perZone[zone ?? ''] ?? 0) + pods;
    const cpuFree = Math.max(0, (allocatable[CPU] ?? 0) - (requested[CPU] ?? 0));
    const memoryFree = Math.max(0, (allocatable[MEMORY] ?? 0) - (requested[MEMORY] ?? 0));
    const podsFree = (allocatable[PODS] ?? 0) - (requested[PODS] ?? 0);
    freeCpu += cpuFree;
    freeMemory += memoryFree;
    const fits = (size: PodSize): boolean => takesPods(record) && podsFree >= 1 && cpuFree >= size.cpu && memoryFree >= size.memory;
    if (!fits(medianPod)) {
      strandedCpu += cpuFree;
      strandedMemory += memoryFree;
    }
    if (!fits(largestPod)) strandedForLargest += cpuFree;
  }
  const zones = labelled ? perZone : {};
  const zoneCounts = Object.values(zones);
  const zoneStats = distribution(zoneCounts);
  const nodeStats = distribution(podsPerNode);
  return {
    nodes: state.nodes.size,
    nodesUsed: used,
    cpu: distribution(cpu),
    memory: distribution(memory),
    cpuMeanOfUsed: used > 0 ? cpuUsedSum / used : 0,
    memoryMeanOfUsed: used > 0 ? memoryUsedSum / used : 0,
    cpuOfCluster: ratio(requestedCpu, allocatableCpu),
    memoryOfCluster: ratio(requestedMemory, allocatableMemory),
    fragmentation: {
      medianPod,
      largestPod,
      freeCpu,
      freeMemory,
      strandedCpu,
      strandedMemory,
      cpuShare: ratio(strandedCpu, freeCpu),
      memoryShare: ratio(strandedMemory, freeMemory),
      cpuShareForLargest: ratio(strandedForLargest, freeCpu),
    },
    spread: {
      zoneLabel,
      perZone: Object.fromEntries(Object.entries(zones).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      zoneSkew: zoneCounts.length > 0 ? zoneStats.max - zoneStats.min : 0,
      zoneStddev: zoneStats.stddev,
      nodeSkew: podsPerNode.length > 0 ? nodeStats.max - nodeStats.min : 0,
      nodeStddev: nodeStats.stddev,
      maxPodsOnNode: podsPerNode.length > 0 ? nodeStats.max : 0,
    },
  };
}

export function podOutcomes(state: ClusterState): PodOutcomes {
  const out: PodOutcomes = { total: 0, pending: 0, bound: 0, orphaned: 0, running: 0, succeeded: 0, failed: 0, terminating: 0 };
  for (const record of state.pods.values()) {
    out.total++;
    const phase = record.pod.status?.phase;
    if (phase === 'Succeeded') out.succeeded++;
    else if (phase === 'Failed') out.failed++;
    else if (record.deletion !== undefined) out.terminating++;
    else if (record.nodeName === undefined) out.pending++;
    else if (!state.nodes.has(record.nodeName)) out.orphaned++;
    else {
      out.bound++;
      if (phase === 'Running') out.running++;
    }
  }
  return out;
}

/** Why the pending pods are pending: per rejection of their last attempt (`Plugin: reason`), how many pods. */
export function pendingReasons(state: ClusterState): Record<string, number> {
  const counts = new Map<string, number>();
  const add = (reason: string): void => void counts.set(reason, (counts.get(reason) ?? 0) + 1);
  for (const record of state.pods.values()) {
    if (record.nodeName !== undefined || record.deletion !== undefined || isTerminalPhase(record.pod.status?.phase)) continue;
    if (record.pod.status?.nominatedNodeName) {
      add('nominated by preemption, waiting for its victims to leave');
      continue;
    }
    const last = record.lastScheduling;
    if (last === undefined) {
      add('not attempted');
      continue;
    }
    const rejections = Object.keys(last.summary?.rejectedBy ?? {});
    if (rejections.length === 0) add(last.message ?? last.outcome);
    for (const rejection of rejections) add(rejection);
  }
  return Object.fromEntries([...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0)));
}
