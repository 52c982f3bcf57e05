import type { Node, Resources } from '@flotilla/model';
import type { PodRecord } from '@flotilla/state';
import type { CycleState } from './cycle-state.ts';
import type { Status } from './status.ts';

/**
 * The scheduler's view of one node for one attempt: the folded NodeRecord plus the pods this
 * scheduler has assumed onto the node but not yet seen in the fold (kube-scheduler's assume cache).
 * `requested`, `nonZeroRequested`, `hostPorts` and `podKeys` include the assumed pods.
 */
export interface NodeInfo {
  readonly name: string;
  readonly node: Node;
  readonly allocatable: Readonly<Resources>;
  /** Sum of real requests (zeros stay zero), including `pods`: what the fit filter counts. */
  readonly requested: Readonly<Resources>;
  /**
   * cpu and memory summed with kube-scheduler's non-zero defaults (100m / 200Mi per container that
   * requests nothing): what resource scoring counts. Computed on first read.
   */
  readonly nonZeroRequested: Readonly<Resources>;
  /** `${protocol}/${port}` host ports in use. */
  readonly hostPorts: ReadonlySet<string>;
  readonly podKeys: ReadonlySet<string>;
  /** The subset of podKeys that are assumed, not folded. */
  readonly assumedPodKeys: ReadonlySet<string>;
  /**
   * The keys of podKeys whose pods have pod affinity or anti-affinity terms (kube-scheduler's
   * NodeInfo.PodsWithAffinity), when the provider keeps them, so that InterPodAffinity need not look
   * at every pod of the cluster for a pod without terms. Undefined: plugins look at every pod.
   */
  readonly podsWithAffinity?: ReadonlySet<string>;
  /**
   * Changes whenever the node or anything about its pods changes (kube-scheduler's
   * NodeInfo.Generation), for a NodeInfo object reused across attempts (NodeInfoCache): plugins may
   * keep what they derived from the node's pods until it changes. Undefined: nothing may be kept.
   */
  readonly generation?: number;
}

/** Cluster events the scheduling queue reacts to; plugins name those that can undo their rejection. */
export type ClusterEvent = 'NodeAdded' | 'NodeUpdated' | 'PodDeleted' | 'PodReleased';
export const CLUSTER_EVENTS: readonly ClusterEvent[] = ['NodeAdded', 'NodeUpdated', 'PodDeleted', 'PodReleased'];

export interface Plugin {
  readonly name: string;
  /**
   * Cluster events that may make a pod this plugin rejected schedulable (kube-scheduler's
   * EnqueueExtensions). Omitted: every event may help.
   */
  readonly requeueOn?: readonly ClusterEvent[];
}

/** What a PreFilter may add to its status: only these nodes can pass (undefined: all nodes). */
export interface PreFilterResult {
  status: Status;
  nodeNames?: ReadonlySet<string>;
}

export interface PreFilterPlugin extends Plugin {
  /** Success, Skip (this plugin's Filter is not run), a rejection of the pod on every node, or Error. */
  preFilter(state: CycleState, pod: PodRecord, nodes: readonly NodeInfo[]): Status | PreFilterResult;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodRecord, node: NodeInfo): Status;
}

/** What a PostFilter plugin made of a pod no node passed (kube-scheduler's PostFilterResult). */
export interface PostFilterResult {
  /** Success: the pod can be made schedulable (nominatedNodeName says where); otherwise why not. */
  status: Status;
  /**
   * The pod's nomination (kube-scheduler's NominatingInfo): undefined leaves it as it is, '' clears
   * it, a node name nominates the pod there.
   */
  nominatedNodeName?: string;
  /** With a nomination: the pods to evict from that node first, highest priority first. */
  victims?: readonly PodRecord[];
}

/**
 * Runs when no node passed Filter (DefaultPreemption lives here). `filteredNodeStatuses` holds each
 * rejected node's status (its code tells a resolvable rejection from an unresolvable one); `nodes`
 * are all the nodes of the cycle.
 */
export interface PostFilterPlugin extends Plugin {
  postFilter(
    state: CycleState,
    pod: PodRecord,
    filteredNodeStatuses: ReadonlyMap<string, Status>,
    nodes: readonly NodeInfo[],
  ): PostFilterResult;
}

export interface PreScorePlugin extends Plugin {
  /** Success, Skip (this plugin's Score is not run), or Error. */
  preScore(state: CycleState, pod: PodRecord, nodes: readonly NodeInfo[]): Status;
}

export interface NodeScore {
  name: string;
  score: number;
}

export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: PodRecord, node: NodeInfo): { score: number; status: Status };
  /** Rewrites the raw scores in place into [0, MAX_NODE_SCORE]. Without it scores must already be in range. */
  normalizeScores?(state: CycleState, pod: PodRecord, scores: NodeScore[]): Status;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodRecord, nodeName: string): Status;
  unreserve(state: CycleState, pod: PodRecord, nodeName: string): void;
}

export interface PermitPlugin extends Plugin {
  /** Success, a rejection, or Wait with a timeout. */
  permit(state: CycleState, pod: PodRecord, nodeName: string): { status: Status; timeoutMs?: number };
}

/** Binding is I/O (appending PodBound), so these run in the service, not in this pure package. */
export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: PodRecord, nodeName: string): Promise<Status>;
}

export interface BindPlugin extends Plugin {
  /** Skip hands the pod to the next bind plugin. */
  bind(state: CycleState, pod: PodRecord, nodeName: string): Promise<Status>;
}

export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: PodRecord, nodeName: string): void;
}

/** What a plugin factory can see of the framework that creates it. */
export interface FrameworkHandle {
  readonly schedulerName: string;
  /**
   * Runs the profile's Filter plugins (those PreFilter did not skip) on one node: Success or the
   * first rejection. For what-if evaluations such as preemption's. Absent outside a framework.
   */
  runFilterPlugins?(state: CycleState, pod: PodRecord, node: NodeInfo): Status;
}

export type AnyPlugin = Plugin &
  Partial<
    Pick<PreFilterPlugin, 'preFilter'> &
      Pick<FilterPlugin, 'filter'> &
      Pick<PostFilterPlugin, 'postFilter'> &
      Pick<PreScorePlugin, 'preScore'> &
      Pick<ScorePlugin, 'score' | 'normalizeScores'> &
      Pick<ReservePlugin, 'reserve' | 'unreserve'> &
      Pick<PermitPlugin, 'permit'> &
      Pick<PreBindPlugin, 'preBind'> &
      Pick<BindPlugin, 'bind'> &
      Pick<PostBindPlugin, 'postBind'>
  >;

export const MAX_NODE_SCORE = 100;
export const MIN_NODE_SCORE = 0;

export function isPreFilterPlugin(plugin: AnyPlugin): plugin is PreFilterPlugin {
  return typeof plugin.preFilter === 'function';
}
export function isFilterPlugin(plugin: AnyPlugin): plugin is FilterPlugin {
  return typeof plugin.filter === 'function';
}
export function isPostFilterPlugin(plugin: AnyPlugin): plugin is PostFilterPlugin {
  return typeof plugin.postFilter === 'function';
}
export function isPreScorePlugin(plugin: AnyPlugin): plugin is PreScorePlugin {
  return typeof plugin.preScore === 'function';
}
export function isScorePlugin(plugin: AnyPlugin): plugin is ScorePlugin {
  return typeof plugin.score === 'function';
}
export function isReservePlugin(plugin: AnyPlugin): plugin is ReservePlugin {
  return typeof plugin.reserve === 'function' && typeof plugin.unreserve === 'function';
}
export function isPermitPlugin(plugin: AnyPlugin): plugin is PermitPlugin {
  return typeof plugin.permit === 'function';
}
export function isPreBindPlugin(plugin: AnyPlugin): plugin is PreBindPlugin {
  return typeof plugin.preBind === 'function';
}
export function isBindPlugin(plugin: AnyPlugin): plugin is BindPlugin {
  return typeof plugin.bind === 'function';
}
export function isPostBindPlugin(plugin: AnyPlugin): plugin is PostBindPlugin {
  return typeof plugin.postBind === 'function';
}
