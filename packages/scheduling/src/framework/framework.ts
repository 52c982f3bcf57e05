import { z } from 'zod';
import type { FieldError } from '@flotilla/model';
import type { NodeVerdict } from '@flotilla/events';
import type { PodRecord } from '@flotilla/state';
import { IN_TREE_REGISTRY } from '../plugins/in-tree-registry.ts';
import { NO_NODES_AVAILABLE_MESSAGE, unschedulableMessage } from '../unschedulable-message.ts';
import { CLUSTER_PODS, CycleState } from './cycle-state.ts';
import { parseProfile, ProfileValidationError, zodFieldErrors } from './profile.ts';
import type { Profile } from './profile.ts';
import type { Registry } from './registry.ts';
import { isRejected, statusMessage, unresolvable, unschedulable, withPlugin } from './status.ts';
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
   * One verdict per node, in the order the nodes were given: the rejecting plugin and its reasons,
   * or the total weighted score and the weighted score per plugin. The service trims them.
   */
  verdicts: NodeVerdict[];
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
  const handle = { schedulerName: profile.schedulerName };
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
    return runSchedulingCycle(this, input);
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

function runSchedulingCycle(framework: Framework, { pod, nodes, tieBreakSeed, pods }: ScheduleInput): ScheduleResult {
  const total = nodes.length;
  if (total === 0) {
    return {
      feasible: false,
      verdicts: [],
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
    if (isRejected(status)) return rejectedInPreFilter(framework, nodes, withPlugin(status, plugin.name), [plugin.name]);
    if (status.code !== 'Success') return errorResult(plugin.name, 'PreFilter', status);
    if (nodeNames !== undefined) {
      narrowedBy.push(plugin.name);
      allowed = allowed === undefined ? new Set(nodeNames) : new Set([...allowed].filter((n) => nodeNames.has(n)));
      if (allowed.size === 0) {
        const reason =
          narrowedBy.length === 1
            ? `node(s) didn't satisfy plugin ${narrowedBy[0]}`
            : `node(s) didn't satisfy plugin(s) [${[...narrowedBy].sort().join(' ')}] simultaneously`;
        return rejectedInPreFilter(framework, nodes, unschedulable(narrowedBy.join(','), reason), narrowedBy);
      }
    }
  }

  // Filter: every node (sampling, percentageOfNodesToScore, would bound this loop); the first
  // plugin that rejects a node is the one reported for it, as in kube-scheduler.
  const verdicts: NodeVerdict[] = new Array<NodeVerdict>(total);
  const feasible: NodeInfo[] = [];
  const feasibleIndex: number[] = [];
  const rejections: Status[] = [];
  const rejectingPlugins = new Set<string>();
  const outsideReason = `node(s) didn't satisfy plugin(s) [${[...narrowedBy].sort().join(' ')}]`;
  for (let i = 0; i < total; i += 1) {
    const node = nodes[i]!;
    let status: Status | undefined;
    if (allowed !== undefined && !allowed.has(node.name)) {
      status = unresolvable(narrowedBy.join(','), outsideReason);
      for (const name of narrowedBy) rejectingPlugins.add(name);
    } else {
      for (const plugin of framework.filterPlugins) {
        if (state.skipFilterPlugins.has(plugin.name)) continue;
        const result = plugin.filter(state, pod, node);
        if (result.code === 'Success') continue;
        if (!isRejected(result)) return errorResult(plugin.name, 'Filter', result);
        status = withPlugin(result, plugin.name);
        rejectingPlugins.add(plugin.name);
        break;
      }
    }
    if (status === undefined) {
      feasible.push(node);
      feasibleIndex.push(i);
    } else {
      rejections.push(status);
      verdicts[i] = rejectionVerdict(node.name, status);
    }
  }

  if (feasible.length === 0) {
    const unschedulablePlugins = [...rejectingPlugins].sort();
    return {
      feasible: false,
      verdicts,
      message: unschedulableMessage(total, rejections),
      unschedulablePlugins,
      requeueOn: framework.requeueEventsFor(unschedulablePlugins),
      evaluatedNodes: total,
      feasibleNodes: 0,
    };
  }

  // PreScore, Score, NormalizeScore, weights. Even a single feasible node is scored, so that its
  // verdict explains itself (kube-scheduler skips scoring then; the choice is the same).
  for (const plugin of framework.preScorePlugins) {
    const status = plugin.preScore(state, pod, feasible);
    if (status.code === 'Skip') state.skipScorePlugins.add(plugin.name);
    else if (status.code !== 'Success') return errorResult(plugin.name, 'PreScore', status);
  }
  const totals = new Array<number>(feasible.length).fill(0);
  const perPlugin: Array<Record<string, number>> = feasible.map(() => ({}));
  for (const { plugin, weight } of framework.scorePlugins) {
    if (state.skipScorePlugins.has(plugin.name)) continue;
    const scores: NodeScore[] = new Array<NodeScore>(feasible.length);
    for (let j = 0; j < feasible.length; j += 1) {
      const node = feasible[j]!;
      const { score, status } = plugin.score(state, pod, node);
      if (status.code !== 'Success') return errorResult(plugin.name, 'Score', status);
      scores[j] = { name: node.name, score };
    }
    if (plugin.normalizeScores !== undefined) {
      const status = plugin.normalizeScores(state, pod, scores);
      if (status.code !== 'Success') return errorResult(plugin.name, 'NormalizeScore', status);
    }
    for (let j = 0; j < scores.length; j += 1) {
      const { score } = scores[j]!;
      if (!Number.isFinite(score) || score < MIN_NODE_SCORE || score > MAX_NODE_SCORE) {
        return errorResult(plugin.name, 'Score', `invalid score ${score} for node ${JSON.stringify(scores[j]!.name)}, it should be in the range [${MIN_NODE_SCORE}, ${MAX_NODE_SCORE}] after normalizing`);
      }
      const weighted = score * weight;
      totals[j]! += weighted;
      perPlugin[j]![plugin.name] = weighted;
    }
  }

  let best = 0;
  for (let j = 1; j < feasible.length; j += 1) {
    if (totals[j]! > totals[best]! || (totals[j] === totals[best] && winsTie(feasible[j]!.name, feasible[best]!.name, tieBreakSeed))) best = j;
  }
  for (let j = 0; j < feasible.length; j += 1) {
    verdicts[feasibleIndex[j]!] = { node: feasible[j]!.name, score: totals[j]!, scores: perPlugin[j]! };
  }
  return {
    feasible: true,
    nodeName: feasible[best]!.name,
    verdicts,
    unschedulablePlugins: [...rejectingPlugins].sort(),
    requeueOn: [],
    evaluatedNodes: total,
    feasibleNodes: feasible.length,
  };
}

function rejectedInPreFilter(framework: Framework, nodes: readonly NodeInfo[], status: Status, plugins: string[]): ScheduleResult {
  const unschedulablePlugins = [...plugins].sort();
  return {
    feasible: false,
    verdicts: nodes.map((node) => rejectionVerdict(node.name, status)),
    message: unschedulableMessage(nodes.length, [], { preFilterMessage: statusMessage(status) }),
    unschedulablePlugins,
    requeueOn: framework.requeueEventsFor(unschedulablePlugins),
    evaluatedNodes: 0,
    feasibleNodes: 0,
  };
}

/** 32-bit FNV-1a: a stable, dependency-free hash for seeded tie-breaking. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Whether `candidate` beats `current` among nodes with the same total score. */
function winsTie(candidate: string, current: string, seed: string | undefined): boolean {
  if (seed !== undefined) {
    const a = fnv1a(`${seed}\u0000${candidate}`);
    const b = fnv1a(`${seed}\u0000${current}`);
    if (a !== b) return a < b;
  }
  return candidate < current;
}
