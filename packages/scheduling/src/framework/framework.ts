import { z } from 'zod';
import type { FieldError } from '@flotilla/model';
import type { NodeVerdict, PluginScore, SchedulingSummary } from '@flotilla/events';
import type { PodRecord } from '@flotilla/state';
import { IN_TREE_REGISTRY } from '../plugins/in-tree-registry.ts';
import { NO_NODES_AVAILABLE_MESSAGE, unschedulableMessage } from '../unschedulable-message.ts';
import { CLUSTER_PODS, CycleState } from './cycle-state.ts';
import { filteredNodeStatuses, nominationFields, requeueAfterPostFilter, runFilterPlugins, runPostFilterPlugins } from './post-filter.ts';
import type { PreemptionVictim } from './post-filter.ts';
import { parseProfile, ProfileValidationError, zodFieldErrors } from './profile.ts';
import type { Profile } from './profile.ts';
import type { Registry } from './registry.ts';
import { isRejected, statusMessage, unresolvable, withPlugin } from './status.ts';
import type { Status } from './status.ts';
import {
  CLUSTER_EVENTS,
  MAX_NODE_SCORE,
  MIN_NODE_SCORE,
  isBindPlugin,
  isFilterPlugin,
  isPermitPlugin,
  isPostBindPlugin,
  isPostFilterPlugin,
  isPreBindPlugin,
  isPreFilterPlugin,
  isPreScorePlugin,
  isReservePlugin,
  isScorePlugin,
} from './types.ts';
import type {
  AnyPlugin,
  BindPlugin,
  ClusterEvent,
  FilterPlugin,
  FrameworkHandle,
  NodeInfo,
  NodeScore,
  PermitPlugin,
  PostBindPlugin,
  PostFilterPlugin,
  PreBindPlugin,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  ReservePlugin,
  ScorePlugin,
} from './types.ts';

export type ExtensionPoint = 'PreFilter' | 'Filter' | 'PreScore' | 'Score' | 'NormalizeScore';

export interface ScheduleResult {
  /** True when a node was chosen. */
  feasible: boolean;
  nodeName?: string;
  /**
   * One verdict per evaluated node, in the order the nodes were given: the rejecting plugin and its
   * reasons, or the total weighted score with each score plugin's raw, normalised and weighted score.
   * With `maxVerdicts`, only the chosen node, the best alternatives and one node per distinct rejection.
   */
  verdicts: NodeVerdict[];
  /** Counts that survive trimming: nodes, evaluated, feasible, rejections by text. */
  summary: SchedulingSummary;
  /** When not feasible: kube-scheduler's `0/N nodes are available: ...` (or the error text). */
  message?: string;
  /** A plugin failed (code Error): retry through backoff, not the unschedulable queue. */
  error?: { plugin: string; extensionPoint: ExtensionPoint; message: string };
  /** Plugins that rejected the pod on at least one node (or in PreFilter), sorted. */
  unschedulablePlugins: string[];
  /** Cluster events that may make the pod schedulable (for the unschedulable queue). */
  requeueOn: ClusterEvent[];
  /** Nodes Filter ran on, and how many passed. */
  evaluatedNodes: number;
  feasibleNodes: number;
  /**
   * When not feasible, what PostFilter (preemption) decided for the pod's nomination: undefined
   * leaves status.nominatedNodeName as it is, '' clears it, a node name nominates the pod there.
   */
  nominatedNodeName?: string;
  /** With a nomination: the pods to evict (gracefully) from that node first, highest priority first. */
  victims?: PreemptionVictim[];
}

export interface ScheduleInput {
  pod: PodRecord;
  nodes: readonly NodeInfo[];
  /**
   * Every pod of the cluster by key (the fold's `state.pods`), for plugins that look at other pods
   * (InterPodAffinity, PodTopologySpread). A node's pods are `NodeInfo.podKeys`, assumed ones included.
   * Plugins read it from CycleState under CLUSTER_PODS.
   */
  pods?: ReadonlyMap<string, PodRecord>;
  /**
   * Breaks score ties: without it the lowest node name wins; with it the node whose name hashes
   * lowest with the seed wins (pass e.g. the pod uid so replicas and pods spread over equal nodes).
   */
  tieBreakSeed?: string;
  /**
   * Filter every node instead of stopping once percentageOfNodesToScore of them passed (a plan, an
   * explanation). The round-robin start of the sampled search is neither used nor advanced.
   */
  evaluateAllNodes?: boolean;
  /**
   * Build at most this many verdicts: the chosen node, then the best-scored alternatives, then one
   * rejected node per distinct rejection. Undefined: a verdict for every evaluated node.
   */
  maxVerdicts?: number;
}

/** Below this many nodes every node is searched; above it the search never stops before this many feasible nodes. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** The adaptive percentage never goes below this. */
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
const BASE_PERCENTAGE_OF_NODES_TO_SCORE = 50;

/**
 * kube-scheduler's numFeasibleNodesToFind: how many feasible nodes end the Filter search. Clusters
 * under 100 nodes: all. Otherwise `percentage` % of the nodes (0 or undefined: adaptive,
 * `50 - nodes/125`, at least 5 %), but never fewer than 100.
 */
export function numFeasibleNodesToFind(percentage: number | undefined, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let adaptive = percentage ?? 0;
  if (adaptive >= 100) return numAllNodes;
  if (adaptive <= 0) {
    adaptive = BASE_PERCENTAGE_OF_NODES_TO_SCORE - Math.trunc(numAllNodes / 125);
    if (adaptive < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) adaptive = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const numNodes = Math.trunc((numAllNodes * adaptive) / 100);
  return numNodes < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : numNodes;
}

export interface Framework {
  readonly profile: Profile;
  readonly schedulerName: string;
  readonly preFilterPlugins: readonly PreFilterPlugin[];
  readonly filterPlugins: readonly FilterPlugin[];
  readonly postFilterPlugins: readonly PostFilterPlugin[];
  readonly preScorePlugins: readonly PreScorePlugin[];
  readonly scorePlugins: ReadonlyArray<{ plugin: ScorePlugin; weight: number }>;
  readonly reservePlugins: readonly ReservePlugin[];
  readonly permitPlugins: readonly PermitPlugin[];
  readonly preBindPlugins: readonly PreBindPlugin[];
  readonly bindPlugins: readonly BindPlugin[];
  readonly postBindPlugins: readonly PostBindPlugin[];
  plugin(name: string): AnyPlugin | undefined;
  /** The cluster events that may undo rejections by these plugins (all events for a plugin that does not say). */
  requeueEventsFor(pluginNames: Iterable<string>): ClusterEvent[];
  /**
   * Runs one scheduling cycle. The sampled Filter search starts where the previous call stopped
   * (round robin over the node list), so the result depends on the sequence of calls, deterministically.
   */
  schedulePod(input: ScheduleInput): ScheduleResult;
}

/** A profile that names unknown plugins, misplaces them, or gives them bad arguments. */
export class FrameworkConfigError extends Error {
  constructor(
    readonly errors: readonly FieldError[],
    options?: { cause?: unknown },
  ) {
    super(`invalid scheduler profile:\n${errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`, options);
    this.name = 'FrameworkConfigError';
  }
}

type Guard<T> = (plugin: AnyPlugin) => plugin is AnyPlugin & T;

/** Instantiates the profile's plugins from the registry, once, and checks every placement. */
export function createFramework(profileInput: Profile, registry: Registry = IN_TREE_REGISTRY): Framework {
  let profile: Profile;
  try {
    profile = parseProfile(profileInput);
  } catch (cause) {
    if (cause instanceof ProfileValidationError) throw new FrameworkConfigError(cause.errors, { cause });
    throw cause;
  }
  const errors: FieldError[] = [];
  // Plugins get the handle before the Filter plugins exist; preemption calls back into them later.
  let handleFilterPlugins: readonly FilterPlugin[] = [];
  const handle: FrameworkHandle = {
    schedulerName: profile.schedulerName,
    runFilterPlugins: (state, pod, node) => runFilterPlugins(handleFilterPlugins, state, pod, node),
  };
  const argsByName = new Map<string, { args: unknown; index: number }>();
  profile.pluginConfig.forEach((config, index) => {
    if (!registry.has(config.name)) {
      errors.push({ path: `pluginConfig[${index}].name`, message: `unknown plugin ${JSON.stringify(config.name)}` });
    }
    argsByName.set(config.name, { args: config.args, index });
  });

  const instances = new Map<string, AnyPlugin>();
  const failed = new Set<string>();
  const instance = (name: string, path: string): AnyPlugin | undefined => {
    const existing = instances.get(name);
    if (existing !== undefined) return existing;
    if (failed.has(name)) return undefined;
    const factory = registry.get(name);
    if (factory === undefined) {
      errors.push({ path, message: `unknown plugin ${JSON.stringify(name)}` });
      failed.add(name);
      return undefined;
    }
    const config = argsByName.get(name);
    try {
      const plugin = factory(config?.args, handle);
      instances.set(name, plugin);
      return plugin;
    } catch (cause) {
      failed.add(name);
      const argsPath = config === undefined ? ['pluginConfig'] : ['pluginConfig', config.index, 'args'];
      if (cause instanceof z.ZodError) errors.push(...zodFieldErrors(cause, argsPath));
      else errors.push({ path: argsPath.join('.'), message: `plugin ${JSON.stringify(name)}: ${cause instanceof Error ? cause.message : String(cause)}` });
      return undefined;
    }
  };

  const resolveOne = <T>(name: string, path: string, point: string, guard: Guard<T>): T | undefined => {
    const plugin = instance(name, path);
    if (plugin === undefined) return undefined;
    if (!guard(plugin)) {
      errors.push({ path, message: `plugin ${JSON.stringify(name)} does not implement ${point}` });
      return undefined;
    }
    return plugin;
  };
  const resolve = <T>(names: readonly string[], point: string, key: string, guard: Guard<T>): T[] => {
    const out: T[] = [];
    names.forEach((name, index) => {
      const plugin = resolveOne(name, `plugins.${key}[${index}]`, point, guard);
      if (plugin !== undefined) out.push(plugin);
    });
    return out;
  };

  const { plugins } = profile;
  const filterPlugins = resolve(plugins.filter, 'Filter', 'filter', isFilterPlugin);
  handleFilterPlugins = filterPlugins;
  const preFilterPlugins =
    plugins.preFilter !== undefined
      ? resolve(plugins.preFilter, 'PreFilter', 'preFilter', isPreFilterPlugin)
      : filterPlugins.filter((p): p is FilterPlugin & PreFilterPlugin => isPreFilterPlugin(p));
  const scorePlugins: Array<{ plugin: ScorePlugin; weight: number }> = [];
  plugins.score.forEach(({ name, weight }, index) => {
    const plugin = resolveOne(name, `plugins.score[${index}].name`, 'Score', isScorePlugin);
    if (plugin !== undefined) scorePlugins.push({ plugin, weight });
  });
  const preScorePlugins =
    plugins.preScore !== undefined
      ? resolve(plugins.preScore, 'PreScore', 'preScore', isPreScorePlugin)
      : scorePlugins.map((s) => s.plugin).filter((p): p is ScorePlugin & PreScorePlugin => isPreScorePlugin(p));
  const framework = new FrameworkImpl(profile, instances, {
    preFilterPlugins,
    filterPlugins,
    postFilterPlugins: resolve(plugins.postFilter ?? [], 'PostFilter', 'postFilter', isPostFilterPlugin),
    preScorePlugins,
    scorePlugins,
    reservePlugins: resolve(plugins.reserve ?? [], 'Reserve', 'reserve', isReservePlugin),
    permitPlugins: resolve(plugins.permit ?? [], 'Permit', 'permit', isPermitPlugin),
    preBindPlugins: resolve(plugins.preBind ?? [], 'PreBind', 'preBind', isPreBindPlugin),
    bindPlugins: resolve(plugins.bind ?? [], 'Bind', 'bind', isBindPlugin),
    postBindPlugins: resolve(plugins.postBind ?? [], 'PostBind', 'postBind', isPostBindPlugin),
  });
  // Arguments of configured plugins that no extension point lists are still validated.
  profile.pluginConfig.forEach((config, index) => {
    if (registry.has(config.name)) instance(config.name, `pluginConfig[${index}].name`);
  });
  if (errors.length > 0) throw new FrameworkConfigError(errors);
  return framework;
}

interface PluginSets {
  preFilterPlugins: PreFilterPlugin[];
  filterPlugins: FilterPlugin[];
  postFilterPlugins: PostFilterPlugin[];
  preScorePlugins: PreScorePlugin[];
  scorePlugins: Array<{ plugin: ScorePlugin; weight: number }>;
  reservePlugins: ReservePlugin[];
  permitPlugins: PermitPlugin[];
  preBindPlugins: PreBindPlugin[];
  bindPlugins: BindPlugin[];
  postBindPlugins: PostBindPlugin[];
}

class FrameworkImpl implements Framework {
  readonly schedulerName: string;
  readonly preFilterPlugins: readonly PreFilterPlugin[];
  readonly filterPlugins: readonly FilterPlugin[];
  readonly postFilterPlugins: readonly PostFilterPlugin[];
  readonly preScorePlugins: readonly PreScorePlugin[];
  readonly scorePlugins: ReadonlyArray<{ plugin: ScorePlugin; weight: number }>;
  readonly reservePlugins: readonly ReservePlugin[];
  readonly permitPlugins: readonly PermitPlugin[];
  readonly preBindPlugins: readonly PreBindPlugin[];
  readonly bindPlugins: readonly BindPlugin[];
  readonly postBindPlugins: readonly PostBindPlugin[];
  /** Where the next sampled Filter search starts (kube-scheduler's nextStartNodeIndex). */
  readonly #cursor = { next: 0 };

  constructor(
    readonly profile: Profile,
    private readonly instances: ReadonlyMap<string, AnyPlugin>,
    sets: PluginSets,
  ) {
    this.schedulerName = profile.schedulerName;
    this.preFilterPlugins = sets.preFilterPlugins;
    this.filterPlugins = sets.filterPlugins;
    this.postFilterPlugins = sets.postFilterPlugins;
    this.preScorePlugins = sets.preScorePlugins;
    this.scorePlugins = sets.scorePlugins;
    this.reservePlugins = sets.reservePlugins;
    this.permitPlugins = sets.permitPlugins;
    this.preBindPlugins = sets.preBindPlugins;
    this.bindPlugins = sets.bindPlugins;
    this.postBindPlugins = sets.postBindPlugins;
  }

  plugin(name: string): AnyPlugin | undefined {
    return this.instances.get(name);
  }

  requeueEventsFor(pluginNames: Iterable<string>): ClusterEvent[] {
    const events = new Set<ClusterEvent>();
    for (const name of pluginNames) {
      const declared = this.instances.get(name)?.requeueOn;
      for (const event of declared ?? CLUSTER_EVENTS) events.add(event);
    }
    return CLUSTER_EVENTS.filter((event) => events.has(event));
  }

  schedulePod(input: ScheduleInput): ScheduleResult {
    // kube-scheduler's evaluateNominatedNode: a pod preemption made room for tries that node first,
    // alone (no PostFilter); only if it does not fit there is the whole cluster searched.
    const nominated = input.pod.pod.status?.nominatedNodeName;
    const node = nominated ? input.nodes.find((candidate) => candidate.name === nominated) : undefined;
    if (node !== undefined) {
      const result = runSchedulingCycle(this, { ...input, nodes: [node], evaluateAllNodes: true }, this.#cursor, { postFilter: false });
      if (result.feasible) return { ...result, summary: { ...result.summary, nodes: input.nodes.length } };
    }
    return runSchedulingCycle(this, input, this.#cursor);
  }
}

/** Runs one scheduling attempt of `pod` over `nodes` with the framework's plugins. Pure. */
export function schedulePod(input: ScheduleInput & { framework: Framework }): ScheduleResult {
  return input.framework.schedulePod(input);
}

function errorResult(plugin: string, extensionPoint: ExtensionPoint, status: Status | string, verdicts: NodeVerdict[] = []): ScheduleResult {
  const reason = typeof status === 'string' ? status : statusMessage(status);
  const message = `running ${extensionPoint} plugin ${JSON.stringify(plugin)}: ${reason}`;
  return {
    feasible: false,
    verdicts,
    summary: { evaluated: 0, feasible: 0, rejectedBy: {} },
    message,
    error: { plugin, extensionPoint, message },
    unschedulablePlugins: [],
    requeueOn: [],
    evaluatedNodes: 0,
    feasibleNodes: 0,
  };
}

function normalizePreFilter(output: Status | PreFilterResult): PreFilterResult {
  return 'status' in output ? output : { status: output };
}

function rejectionVerdict(node: string, status: Status): NodeVerdict {
  return { node, rejectedBy: status.plugin ?? 'unknown', reasons: [...status.reasons] };
}

/** How a rejection reads in a verdict table and in `summary.rejectedBy`: `Plugin: reason, reason`. */
export function rejectionText(verdict: { rejectedBy?: string | undefined; reasons?: readonly string[] | undefined }): string {
  const reasons = verdict.reasons ?? [];
  return reasons.length === 0 ? (verdict.rejectedBy ?? 'unknown') : `${verdict.rejectedBy ?? 'unknown'}: ${reasons.join(', ')}`;
}

function statusText(status: Status): string {
  return rejectionText({ rejectedBy: status.plugin ?? 'unknown', reasons: status.reasons });
}

function runSchedulingCycle(framework: Framework, input: ScheduleInput, cursor: { next: number }, options = { postFilter: true }): ScheduleResult {
  const { pod, nodes, tieBreakSeed, pods, maxVerdicts } = input;
  const total = nodes.length;
  if (total === 0) {
    return {
      feasible: false,
      verdicts: [],
      summary: { nodes: 0, evaluated: 0, feasible: 0, rejectedBy: {} },
      message: NO_NODES_AVAILABLE_MESSAGE,
      unschedulablePlugins: [],
      requeueOn: ['NodeAdded'],
      evaluatedNodes: 0,
      feasibleNodes: 0,
    };
  }
  const state = new CycleState();
  state.write(CLUSTER_PODS, pods ?? new Map());

  // PreFilter: compute once per pod; may skip a Filter, narrow the nodes, or reject the pod outright.
  let allowed: Set<string> | undefined;
  const narrowedBy: string[] = [];
  for (const plugin of framework.preFilterPlugins) {
    const { status, nodeNames } = normalizePreFilter(plugin.preFilter(state, pod, nodes));
    if (status.code === 'Skip') {
      state.skipFilterPlugins.add(plugin.name);
      continue;
    }
    if (isRejected(status)) return rejectedInPreFilter(framework, nodes, withPlugin(status, plugin.name), [plugin.name], maxVerdicts, options.postFilter ? { state, pod } : undefined);
    if (status.code !== 'Success') return errorResult(plugin.name, 'PreFilter', status);
    if (nodeNames !== undefined) {
      narrowedBy.push(plugin.name);
      allowed = allowed === undefined ? new Set(nodeNames) : new Set([...allowed].filter((n) => nodeNames.has(n)));
      if (allowed.size === 0) {
        const reason =
          narrowedBy.length === 1
            ? `node(s) didn't satisfy plugin ${narrowedBy[0]}`
            : `node(s) didn't satisfy plugin(s) [${[...narrowedBy].sort().join(' ')}] simultaneously`;
        // As kube-scheduler: nodes a PreFilter ruled out are unresolvable (preemption cannot help).
        return rejectedInPreFilter(framework, nodes, unresolvable(narrowedBy.join(','), reason), narrowedBy, maxVerdicts, options.postFilter ? { state, pod } : undefined);
      }
    }
  }

  // Filter, sampled as kube-scheduler does (percentageOfNodesToScore): starting where the previous
  // cycle stopped, nodes are filtered until enough of them passed. The first plugin that rejects a
  // node is the one reported for it, as in kube-scheduler.
  // The Filter plugins whose PreFilter did not Skip, decided once: the node loop does no Set lookup.
  const skipped = state.skipFilterPlugins;
  const filterPlugins = skipped.size === 0 ? framework.filterPlugins : framework.filterPlugins.filter((plugin) => !skipped.has(plugin.name));
  const toFind = input.evaluateAllNodes ? total : numFeasibleNodesToFind(framework.profile.percentageOfNodesToScore, total);
  const start = input.evaluateAllNodes ? 0 : cursor.next % total;
  const filtered = filterNodes(state, pod, nodes, filterPlugins, start, toFind, allowed, narrowedBy);
  if (filtered.error !== undefined) return filtered.error;
  const { feasible, feasibleIndex, rejectedIndex, rejections, rejectingPlugins, processed } = filtered;
  if (!input.evaluateAllNodes) cursor.next = (start + processed) % total;
  const summary = filterSummary(total, processed, feasible.length, rejections);
  const rejected = { index: rejectedIndex, statuses: rejections };

  if (feasible.length === 0) {
    const unschedulablePlugins = [...rejectingPlugins].sort();
    // PostFilter (preemption): only when no node passed Filter.
    const post = options.postFilter ? runPostFilterPlugins(framework.postFilterPlugins, state, pod, filteredNodeStatuses(nodes, rejected), nodes) : {};
    return {
      feasible: false,
      verdicts: buildVerdicts(nodes, rejected, undefined, maxVerdicts),
      summary,
      message: unschedulableMessage(total, rejections, { postFilterMessage: post.message }),
      unschedulablePlugins,
      requeueOn: requeueAfterPostFilter(framework.requeueEventsFor(unschedulablePlugins), post),
      evaluatedNodes: processed,
      feasibleNodes: 0,
      ...nominationFields(post),
    };
  }

  // PreScore, Score, NormalizeScore, weights. Even a single feasible node is scored, so that its
  // verdict explains itself (kube-scheduler skips scoring then; the choice is the same).
  for (const plugin of framework.preScorePlugins) {
    const status = plugin.preScore(state, pod, feasible);
    if (status.code === 'Skip') state.skipScorePlugins.add(plugin.name);
    else if (status.code !== 'Success') return errorResult(plugin.name, 'PreScore', status);
  }
  const count = feasible.length;
  const totals = new Float64Array(count);
  const runs: ScoreRun[] = [];
  for (const { plugin, weight } of framework.scorePlugins) {
    if (state.skipScorePlugins.has(plugin.name)) continue;
    const raw = new Float64Array(count);
    const scores: NodeScore[] = new Array<NodeScore>(count);
    const failed = scoreNodes(state, pod, plugin, feasible, raw, scores);
    if (failed !== undefined) return errorResult(plugin.name, 'Score', failed);
    if (plugin.normalizeScores !== undefined) {
      const status = plugin.normalizeScores(state, pod, scores);
      if (status.code !== 'Success') return errorResult(plugin.name, 'NormalizeScore', status);
    }
    for (let j = 0; j < count; j += 1) {
      const { score } = scores[j]!;
      if (!Number.isFinite(score) || score < MIN_NODE_SCORE || score > MAX_NODE_SCORE) {
        return errorResult(plugin.name, 'Score', `invalid score ${score} for node ${JSON.stringify(scores[j]!.name)}, it should be in the range [${MIN_NODE_SCORE}, ${MAX_NODE_SCORE}] after normalizing`);
      }
      totals[j]! += score * weight;
    }
    runs.push({ name: plugin.name, weight, raw, scores });
  }

  // The highest total first, then the tie-break among the nodes that reach it only: `wins` is a strict
  // order (hash, then the unique name), so this picks the same node as breaking every tie on the way.
  let top = totals[0]!;
  for (let j = 1; j < count; j += 1) if (totals[j]! > top) top = totals[j]!;
  let best = 0;
  while (totals[best] !== top) best += 1;
  const tie = new TieBreaker(tieBreakSeed);
  for (let j = best + 1; j < count; j += 1) {
    if (totals[j] === top && tie.wins(feasible[j]!.name, feasible[best]!.name)) best = j;
  }
  const scored: Scored = { nodes: feasible, index: feasibleIndex, totals, runs, best };
  return {
    feasible: true,
    nodeName: feasible[best]!.name,
    verdicts: buildVerdicts(nodes, rejected, scored, maxVerdicts),
    summary,
    unschedulablePlugins: [...rejectingPlugins].sort(),
    requeueOn: [],
    evaluatedNodes: processed,
    feasibleNodes: count,
  };
}

/** What the Filter search found: feasible and rejected nodes by position, or a plugin's error. */
interface Filtered {
  feasible: NodeInfo[];
  feasibleIndex: number[];
  rejectedIndex: number[];
  rejections: Status[];
  rejectingPlugins: Set<string>;
  processed: number;
  error?: ScheduleResult;
}

/**
 * The Filter search over the node ring from `start` until `toFind` nodes passed (a function of its
 * own, so that the hot loop is optimised on its own, whatever the rest of the cycle does).
 */
function filterNodes(
  state: CycleState,
  pod: PodRecord,
  nodes: readonly NodeInfo[],
  filterPlugins: readonly FilterPlugin[],
  start: number,
  toFind: number,
  allowed: Set<string> | undefined,
  narrowedBy: readonly string[],
): Filtered {
  const total = nodes.length;
  const pluginCount = filterPlugins.length;
  const out: Filtered = { feasible: [], feasibleIndex: [], rejectedIndex: [], rejections: [], rejectingPlugins: new Set<string>(), processed: 0 };
  const { feasible, feasibleIndex, rejectedIndex, rejections, rejectingPlugins } = out;
  let outsideReason: string | undefined;
  let found = 0;
  let processed = 0;
  let i = start;
  for (; processed < total && found < toFind; processed += 1, i = i + 1 === total ? 0 : i + 1) {
    const node = nodes[i]!;
    let status: Status | undefined;
    if (allowed !== undefined && !allowed.has(node.name)) {
      outsideReason ??= `node(s) didn't satisfy plugin(s) [${[...narrowedBy].sort().join(' ')}]`;
      status = unresolvable(narrowedBy.join(','), outsideReason);
      for (const name of narrowedBy) rejectingPlugins.add(name);
    } else {
      for (let p = 0; p < pluginCount; p += 1) {
        const plugin = filterPlugins[p]!;
        const result = plugin.filter(state, pod, node);
        if (result.code === 'Success') continue;
        if (!isRejected(result)) {
          out.error = errorResult(plugin.name, 'Filter', result);
          return out;
        }
        status = withPlugin(result, plugin.name);
        rejectingPlugins.add(plugin.name);
        break;
      }
    }
    if (status === undefined) {
      feasible.push(node);
      feasibleIndex.push(i);
      found += 1;
    } else {
      rejections.push(status);
      rejectedIndex.push(i);
    }
  }
  out.processed = processed;
  return out;
}

/** One score plugin over the feasible nodes: raw scores into `raw`, NodeScores into `scores`; a failed status, or undefined. */
function scoreNodes(state: CycleState, pod: PodRecord, plugin: ScorePlugin, feasible: readonly NodeInfo[], raw: Float64Array, scores: NodeScore[]): Status | undefined {
  const count = feasible.length;
  for (let j = 0; j < count; j += 1) {
    const node = feasible[j]!;
    const result = plugin.score(state, pod, node);
    if (result.status.code !== 'Success') return result.status;
    const score = result.score;
    raw[j] = score;
    scores[j] = { name: node.name, score };
  }
  return undefined;
}

/** One score plugin's run over the feasible nodes: raw scores, and the normalised ones (in `scores`). */
interface ScoreRun {
  name: string;
  weight: number;
  raw: Float64Array;
  scores: NodeScore[];
}

interface Scored {
  nodes: readonly NodeInfo[];
  /** Position of each feasible node in the input's node list. */
  index: readonly number[];
  totals: Float64Array;
  runs: readonly ScoreRun[];
  best: number;
}

interface Rejected {
  index: readonly number[];
  statuses: readonly Status[];
}

function filterSummary(nodes: number, evaluated: number, feasible: number, rejections: readonly Status[]): SchedulingSummary {
  // Counted per plugin, then per reason, so that the common single-reason rejection builds no string.
  const counts = new Map<string, Map<string, number>>();
  for (const status of rejections) {
    const plugin = status.plugin ?? 'unknown';
    let byReason = counts.get(plugin);
    if (byReason === undefined) counts.set(plugin, (byReason = new Map()));
    const reasons = status.reasons.length === 1 ? status.reasons[0]! : status.reasons.join(', ');
    byReason.set(reasons, (byReason.get(reasons) ?? 0) + 1);
  }
  const rejectedBy: Record<string, number> = {};
  for (const [plugin, byReason] of counts) {
    for (const [reasons, count] of byReason) rejectedBy[reasons === '' ? plugin : `${plugin}: ${reasons}`] = count;
  }
  return { nodes, evaluated, feasible, rejectedBy };
}

function scoredVerdict(scored: Scored, j: number): NodeVerdict {
  const scores: Record<string, number> = {};
  const plugins: Record<string, PluginScore> = {};
  for (const run of scored.runs) {
    const normalized = run.scores[j]!.score;
    const weighted = normalized * run.weight;
    scores[run.name] = weighted;
    plugins[run.name] = { raw: run.raw[j]!, normalized, weighted };
  }
  return { node: scored.nodes[j]!.name, score: scored.totals[j]!, scores, plugins };
}

/**
 * Verdicts for the evaluated nodes: all of them in the order the nodes were given, or (maxVerdicts)
 * the chosen node, the best alternatives by total score (then name), and one node per distinct
 * rejection, without sorting every feasible node.
 */
function buildVerdicts(nodes: readonly NodeInfo[], rejected: Rejected, scored: Scored | undefined, maxVerdicts: number | undefined): NodeVerdict[] {
  if (maxVerdicts === undefined) {
    const entries: Array<{ index: number; verdict: NodeVerdict }> = [];
    rejected.index.forEach((index, k) => entries.push({ index, verdict: rejectionVerdict(nodes[index]!.name, rejected.statuses[k]!) }));
    scored?.index.forEach((index, j) => entries.push({ index, verdict: scoredVerdict(scored, j) }));
    entries.sort((a, b) => a.index - b.index);
    return entries.map((entry) => entry.verdict);
  }
  const out: NodeVerdict[] = [];
  if (maxVerdicts <= 0) return out;
  if (scored !== undefined) {
    const { totals, best } = scored;
    const name = (j: number): string => scored.nodes[j]!.name;
    const better = (a: number, b: number): boolean => totals[a]! > totals[b]! || (totals[a] === totals[b] && name(a) < name(b));
    // The best alternatives, kept sorted in a small array: O(feasible × maxVerdicts) at worst.
    const top: number[] = [];
    const room = maxVerdicts - 1;
    for (let j = 0; j < totals.length && room > 0; j += 1) {
      if (j === best) continue;
      if (top.length === room && !better(j, top[top.length - 1]!)) continue;
      let at = top.length;
      while (at > 0 && better(j, top[at - 1]!)) at -= 1;
      top.splice(at, 0, j);
      if (top.length > room) top.pop();
    }
    out.push(scoredVerdict(scored, best));
    for (const j of top) out.push(scoredVerdict(scored, j));
  }
  const seen = new Set<string>();
  for (let k = 0; k < rejected.statuses.length && out.length < maxVerdicts; k += 1) {
    const status = rejected.statuses[k]!;
    const text = statusText(status);
    if (seen.has(text)) continue;
    seen.add(text);
    out.push(rejectionVerdict(nodes[rejected.index[k]!]!.name, status));
  }
  return out;
}

function rejectedInPreFilter(
  framework: Framework,
  nodes: readonly NodeInfo[],
  status: Status,
  plugins: string[],
  maxVerdicts: number | undefined,
  postFilter?: { state: CycleState; pod: PodRecord },
): ScheduleResult {
  const unschedulablePlugins = [...plugins].sort();
  // PostFilter runs here too, as in kube-scheduler: every node carries the PreFilter's status.
  const post =
    postFilter === undefined
      ? {}
      : runPostFilterPlugins(framework.postFilterPlugins, postFilter.state, postFilter.pod, new Map(nodes.map((node) => [node.name, status])), nodes);
  const shown = maxVerdicts === undefined ? nodes : nodes.slice(0, Math.min(1, maxVerdicts));
  return {
    feasible: false,
    verdicts: shown.map((node) => rejectionVerdict(node.name, status)),
    // No node was filtered: the PreFilter rejection stands for every node.
    summary: { nodes: nodes.length, evaluated: 0, feasible: 0, rejectedBy: { [statusText(status)]: nodes.length } },
    message: unschedulableMessage(nodes.length, [], { preFilterMessage: statusMessage(status), postFilterMessage: post.message }),
    unschedulablePlugins,
    requeueOn: requeueAfterPostFilter(framework.requeueEventsFor(unschedulablePlugins), post),
    evaluatedNodes: 0,
    feasibleNodes: 0,
    ...nominationFields(post),
  };
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a over `text`, continuing from `hash`: a stable, dependency-free hash for seeded tie-breaking. */
function fnv1a(text: string, hash = FNV_OFFSET): number {
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/**
 * Whether `candidate` beats `current` among nodes with the same total score: without a seed the
 * lower name wins; with one, the lower FNV-1a of `${seed}\0${name}` (then the lower name). The
 * seed's prefix is hashed once per cycle.
 */
class TieBreaker {
  readonly #prefix: number | undefined;
  #lastName: string | undefined;
  #lastHash = 0;

  constructor(seed: string | undefined) {
    this.#prefix = seed === undefined ? undefined : fnv1a(`${seed}\u0000`);
  }

  #hash(name: string): number {
    if (name === this.#lastName) return this.#lastHash;
    const hash = fnv1a(name, this.#prefix);
    this.#lastName = name;
    this.#lastHash = hash;
    return hash;
  }

  wins(candidate: string, current: string): boolean {
    if (this.#prefix !== undefined) {
      const b = this.#hash(current);
      const a = fnv1a(candidate, this.#prefix);
      if (a !== b) return a < b;
    }
    return candidate < current;
  }
}
