import { z } from 'zod';
import type { PodRecord } from '@flotilla/state';
import { CLUSTER_PODS } from '../framework/cycle-state.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import { NodeInfoOverlay } from '../framework/node-info-overlay.ts';
import { podPriority } from '../framework/nominated-pods.ts';
import type { PluginFactory } from '../framework/registry.ts';
import { errorStatus, success, unresolvable, unschedulable } from '../framework/status.ts';
import type { Status } from '../framework/status.ts';
import type { FrameworkHandle, NodeInfo, PostFilterPlugin, PostFilterResult } from '../framework/types.ts';
import { unschedulableMessage } from '../unschedulable-message.ts';

export const DEFAULT_PREEMPTION = 'DefaultPreemption';

/** kube-scheduler's reasons, word for word. */
export const ERR_REASON_NO_VICTIMS = 'No preemption victims found for incoming pod';
export const ERR_REASON_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const ERR_REASON_PREEMPTION_POLICY_NEVER = 'not eligible due to preemptionPolicy=Never.';
export const ERR_REASON_TERMINATING_ON_NOMINATED_NODE = 'not eligible due to a terminating pod on the nominated node.';

/** kube-scheduler's DefaultPreemptionArgs: how many candidate nodes the dry run looks for before it stops. */
export const DefaultPreemptionArgsSchema = z
  .strictObject({
    /** Share of the nodes (0–100) to find candidates on; default 10. */
    minCandidateNodesPercentage: z.number().int().min(0).max(100).default(10),
    /** Never fewer candidates than this (unless fewer nodes qualify); default 100. */
    minCandidateNodesAbsolute: z.number().int().min(0).default(100),
  })
  .refine((args) => args.minCandidateNodesPercentage > 0 || args.minCandidateNodesAbsolute > 0, {
    message: 'minCandidateNodesPercentage and minCandidateNodesAbsolute cannot both be zero',
  });
export type DefaultPreemptionArgs = z.output<typeof DefaultPreemptionArgsSchema>;

/** A node where the pod fits once `victims` (highest priority first) are gone. */
export interface PreemptionCandidate {
  nodeName: string;
  victims: PodRecord[];
}

/**
 * PostFilter: when no node fits the pod, find a node where evicting lower-priority pods makes it
 * fit, as kube-scheduler's DefaultPreemption (without PodDisruptionBudgets and extenders):
 *
 * 1. A pod with preemptionPolicy Never does not preempt; nor does a pod whose nominated node still
 *    has a lower-priority pod terminating because of preemption (its earlier victims are leaving).
 * 2. Candidates are the nodes whose rejection was Unschedulable (resolvable), not
 *    UnschedulableAndUnresolvable. On each: remove every pod of lower priority; if the pod still does
 *    not fit (the Filter plugins run again on that view), the node is out. Otherwise add the removed
 *    pods back, highest priority first, keeping each one that still leaves room ("reprieve"): the
 *    rest are the victims, the fewest and least important.
 * 3. The node is picked by: lowest highest-victim priority, lowest sum of victim priorities, fewest
 *    victims, latest start of the highest-priority victims, then name.
 *
 * Pure: the pods come from CLUSTER_PODS and each node's podKeys; the victims are evicted by the
 * scheduler service (PodDeletionRequested, reason Preempted) and the pod is nominated (PodNominated).
 */
export class DefaultPreemption implements PostFilterPlugin {
  readonly name = DEFAULT_PREEMPTION;
  readonly #handle: FrameworkHandle;
  readonly #args: DefaultPreemptionArgs;

  constructor(handle: FrameworkHandle, args: DefaultPreemptionArgs = DefaultPreemptionArgsSchema.parse({})) {
    this.#handle = handle;
    this.#args = args;
  }

  postFilter(state: CycleState, pod: PodRecord, filteredNodeStatuses: ReadonlyMap<string, Status>, nodes: readonly NodeInfo[]): PostFilterResult {
    const clusterPods = state.read(CLUSTER_PODS) ?? new Map<string, PodRecord>();
    const ineligible = this.ineligibleReason(pod, filteredNodeStatuses, nodes, clusterPods);
    // The nomination stays as it is: the pod may be waiting for its victims to leave.
    if (ineligible !== undefined) return { status: unschedulable(DEFAULT_PREEMPTION, `preemption: ${ineligible}`) };

    const runFilters = this.#handle.runFilterPlugins?.bind(this.#handle);
    if (runFilters === undefined) return { status: errorStatus(DEFAULT_PREEMPTION, 'the framework handle cannot run Filter plugins') };
    const potential = nodes.filter((node) => filteredNodeStatuses.get(node.name)?.code === 'Unschedulable');
    const wanted = this.numCandidates(potential.length);
    const candidates: PreemptionCandidate[] = [];
    const nodeStatuses = new Map<string, Status>();
    for (const node of potential) {
      const { victims, status } = selectVictimsOnNode(state.clone(), pod, node, clusterPods, runFilters);
      if (status.code === 'Success' && victims.length > 0) {
        candidates.push({ nodeName: node.name, victims });
        if (candidates.length >= wanted) break;
        continue;
      }
      nodeStatuses.set(node.name, status.code === 'Success' ? errorStatus(DEFAULT_PREEMPTION, `expected at least one victim pod on node ${JSON.stringify(node.name)}`) : status);
    }

    if (candidates.length === 0) {
      const failed = [...nodeStatuses.values()].find((status) => status.code === 'Error');
      if (failed !== undefined) return { status: failed };
      // Nodes not tried (rejected for good) count as "not helpful", as kube-scheduler's absent-node status.
      const notHelpful = { reasons: [ERR_REASON_NOT_HELPFUL] };
      const statuses = [...nodeStatuses.values(), ...Array<{ reasons: string[] }>(nodes.length - nodeStatuses.size).fill(notHelpful)];
      return {
        status: unschedulable(DEFAULT_PREEMPTION, `preemption: ${unschedulableMessage(nodes.length, statuses)}`),
        // Preemption cannot help anywhere: an earlier nomination no longer holds.
        nominatedNodeName: '',
      };
    }
    const best = pickOneNodeForPreemption(candidates);
    return { status: success(), nominatedNodeName: best.nodeName, victims: best.victims };
  }

  /** Why the pod may not preempt (kube-scheduler's PodEligibleToPreemptOthers), or undefined. */
  ineligibleReason(
    pod: PodRecord,
    filteredNodeStatuses: ReadonlyMap<string, Status>,
    nodes: readonly NodeInfo[],
    clusterPods: ReadonlyMap<string, PodRecord>,
  ): string | undefined {
    if (pod.pod.spec.preemptionPolicy === 'Never') return ERR_REASON_PREEMPTION_POLICY_NEVER;
    const nominated = pod.pod.status?.nominatedNodeName;
    if (nominated === undefined || nominated === '') return undefined;
    // Its nominated node can no longer take it at all: it may preempt elsewhere.
    if (filteredNodeStatuses.get(nominated)?.code === 'UnschedulableAndUnresolvable') return undefined;
    const node = nodes.find((candidate) => candidate.name === nominated);
    if (node === undefined) return undefined;
    const priority = podPriority(pod);
    for (const key of node.podKeys) {
      const other = clusterPods.get(key);
      if (other !== undefined && podPriority(other) < priority && terminatingByPreemption(other)) return ERR_REASON_TERMINATING_ON_NOMINATED_NODE;
    }
    return undefined;
  }

  /** kube-scheduler's calculateNumCandidates. */
  numCandidates(numNodes: number): number {
    const n = Math.max(Math.trunc((numNodes * this.#args.minCandidateNodesPercentage) / 100), this.#args.minCandidateNodesAbsolute);
    return Math.min(n, numNodes);
  }
}

type RunFilters = (state: CycleState, pod: PodRecord, node: NodeInfo) => Status;

/**
 * kube-scheduler's SelectVictimsOnNode: the fewest, least important pods of lower priority whose
 * eviction lets the pod pass every Filter on `node`; the victims come highest priority first.
 * Pods assumed or nominated onto the node (not bound there) are never victims.
 */
export function selectVictimsOnNode(
  state: CycleState,
  pod: PodRecord,
  node: NodeInfo,
  clusterPods: ReadonlyMap<string, PodRecord>,
  runFilters: RunFilters,
): { victims: PodRecord[]; status: Status } {
  const view = new NodeInfoOverlay(node);
  const priority = podPriority(pod);
  const potential: PodRecord[] = [];
  for (const key of node.podKeys) {
    if (node.assumedPodKeys.has(key)) continue;
    const other = clusterPods.get(key);
    if (other === undefined || podPriority(other) >= priority) continue;
    potential.push(other);
    view.removePod(other);
  }
  if (potential.length === 0) return { victims: [], status: unresolvable(DEFAULT_PREEMPTION, ERR_REASON_NO_VICTIMS) };
  // Not even an empty node (of lower-priority pods) fits the pod: nothing to gain here.
  const fits = runFilters(state, pod, view);
  if (fits.code !== 'Success') return { victims: [], status: fits };
  potential.sort(moreImportant);
  const victims: PodRecord[] = [];
  for (const candidate of potential) {
    view.addPod(candidate);
    if (runFilters(state, pod, view).code !== 'Success') {
      view.removePod(candidate);
      victims.push(candidate);
    }
  }
  return { victims, status: success() };
}

/** kube-scheduler's MoreImportantPod as a sort order: higher priority first, then the one that started earlier. */
function moreImportant(a: PodRecord, b: PodRecord): number {
  const byPriority = podPriority(b) - podPriority(a);
  if (byPriority !== 0) return byPriority;
  return startTime(a) - startTime(b);
}

/** status.startTime in ms; a pod that has not started counts as starting now, i.e. after every other. */
function startTime(pod: PodRecord): number {
  const started = pod.pod.status?.startTime;
  const ms = started === undefined ? Number.NaN : Date.parse(started);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/** Deletion requested and marked by a scheduler's preemption (DisruptionTarget, PreemptionByScheduler). */
export function terminatingByPreemption(pod: PodRecord): boolean {
  if (pod.deletion === undefined && pod.pod.metadata.deletionTimestamp === undefined) return false;
  return (pod.pod.status?.conditions ?? []).some(
    (condition) => condition.type === 'DisruptionTarget' && condition.status === 'True' && condition.reason === 'PreemptionByScheduler',
  );
}

/** kube's offset that keeps sums of (possibly negative) priorities ordered by how many victims there are. */
const PRIORITY_OFFSET = 2 ** 31;

/**
 * kube-scheduler's pickOneNodeForPreemption (no PodDisruptionBudgets): each criterion keeps the best
 * candidates, the next breaks their tie: lowest highest-victim priority; lowest sum of victim
 * priorities (each offset by 2^31, so fewer victims weigh less even when priorities are negative);
 * fewest victims; latest start among the highest-priority victims; then the lowest node name.
 */
export function pickOneNodeForPreemption(candidates: readonly PreemptionCandidate[]): PreemptionCandidate {
  const criteria: Array<(candidate: PreemptionCandidate) => number> = [
    (c) => -podPriority(c.victims[0]!),
    (c) => -c.victims.reduce((sum, victim) => sum + podPriority(victim) + PRIORITY_OFFSET, 0),
    (c) => -c.victims.length,
    (c) => earliestStartOfHighestPriority(c.victims),
  ];
  let remaining = [...candidates];
  for (const score of criteria) {
    if (remaining.length <= 1) break;
    let best = Number.NEGATIVE_INFINITY;
    let kept: PreemptionCandidate[] = [];
    for (const candidate of remaining) {
      const value = score(candidate);
      if (value > best) {
        best = value;
        kept = [candidate];
      } else if (value === best) kept.push(candidate);
    }
    remaining = kept;
  }
  return remaining.reduce((a, b) => (b.nodeName < a.nodeName ? b : a));
}

/** The earliest start among the victims of the highest priority (victims come highest priority first). */
function earliestStartOfHighestPriority(victims: readonly PodRecord[]): number {
  const top = podPriority(victims[0]!);
  let earliest = Number.POSITIVE_INFINITY;
  for (const victim of victims) {
    if (podPriority(victim) !== top) break;
    earliest = Math.min(earliest, startTime(victim));
  }
  return earliest;
}

export const newDefaultPreemption: PluginFactory = (args, handle) => new DefaultPreemption(handle, DefaultPreemptionArgsSchema.parse(args ?? {}));
