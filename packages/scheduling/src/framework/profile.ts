import { z } from 'zod';
import { DEFAULT_SCHEDULER_NAME, formatPath } from '@flotilla/model';
import type { FieldError } from '@flotilla/model';

const PluginName = z.string().min(1);

function uniqueNames<T>(nameOf: (item: T) => string) {
  return (items: readonly T[], ctx: z.RefinementCtx): void => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const name = nameOf(item);
      if (seen.has(name)) ctx.addIssue({ code: 'custom', message: `duplicate plugin ${JSON.stringify(name)}`, path: [index] });
      seen.add(name);
    });
  };
}

const PluginList = z.array(PluginName).superRefine(uniqueNames((name: string) => name));

export const WeightedPluginSchema = z.strictObject({
  name: PluginName,
  /** Multiplies the plugin's normalised 0–100 score; kube-scheduler defaults an unset weight to 1. */
  weight: z.number().int().min(1).max(100).default(1),
});

export const ProfilePluginsSchema = z.strictObject({
  /** Defaults to every `filter` plugin that has a PreFilter. */
  preFilter: PluginList.optional(),
  filter: PluginList,
  postFilter: PluginList.optional(),
  /** Defaults to every `score` plugin that has a PreScore. */
  preScore: PluginList.optional(),
  score: z.array(WeightedPluginSchema).superRefine(uniqueNames((p: { name: string }) => p.name)),
  reserve: PluginList.optional(),
  permit: PluginList.optional(),
  preBind: PluginList.optional(),
  bind: PluginList.optional(),
  postBind: PluginList.optional(),
});

export const PluginConfigSchema = z.strictObject({
  name: PluginName,
  args: z.unknown().optional(),
});

/**
 * kube-scheduler's percentageOfNodesToScore: once this share of the nodes passed Filter, the search
 * stops (never below 100 feasible nodes; clusters under 100 nodes are always searched whole).
 * 0 or unset: adaptive, `50 - nodes/125` % with a floor of 5 %. 100: every node.
 */
export const PercentageOfNodesToScoreSchema = z.number().int().min(0).max(100);

/**
 * One scheduling profile, as a KubeSchedulerProfile reduced to what Flotilla runs: the plugins per
 * extension point (in the order they run) and per-plugin arguments.
 */
export const ProfileSchema = z.strictObject({
  schedulerName: z.string().min(1),
  percentageOfNodesToScore: PercentageOfNodesToScoreSchema.optional(),
  plugins: ProfilePluginsSchema,
  pluginConfig: z
    .array(PluginConfigSchema)
    .superRefine(uniqueNames((c: { name: string }) => c.name))
    .default([]),
});

/** A file with several profiles; each pod picks one by spec.schedulerName. */
export const SchedulerConfigurationSchema = z.strictObject({
  /** Default for the profiles that do not set their own. */
  percentageOfNodesToScore: PercentageOfNodesToScoreSchema.optional(),
  profiles: z
    .array(ProfileSchema)
    .min(1)
    .superRefine((profiles, ctx) => {
      const seen = new Set<string>();
      profiles.forEach((profile, index) => {
        if (seen.has(profile.schedulerName)) {
          ctx.addIssue({ code: 'custom', message: `duplicate schedulerName ${JSON.stringify(profile.schedulerName)}`, path: [index, 'schedulerName'] });
        }
        seen.add(profile.schedulerName);
      });
    }),
});

export interface WeightedPlugin {
  readonly name: string;
  readonly weight: number;
}

export interface ProfilePlugins {
  readonly preFilter?: readonly string[];
  readonly filter: readonly string[];
  readonly postFilter?: readonly string[];
  readonly preScore?: readonly string[];
  readonly score: readonly WeightedPlugin[];
  readonly reserve?: readonly string[];
  readonly permit?: readonly string[];
  readonly preBind?: readonly string[];
  readonly bind?: readonly string[];
  readonly postBind?: readonly string[];
}

export interface PluginConfig {
  readonly name: string;
  readonly args?: unknown;
}

export interface Profile {
  readonly schedulerName: string;
  /** See PercentageOfNodesToScoreSchema; undefined or 0 is adaptive. */
  readonly percentageOfNodesToScore?: number;
  readonly plugins: ProfilePlugins;
  readonly pluginConfig: readonly PluginConfig[];
}

export type ProfileInput = z.input<typeof ProfileSchema>;

/**
 * kube-scheduler's default profile for the plugins Flotilla has, in kube-scheduler's order (the first
 * filter that rejects a node is the one reported for it) and with its default score weights.
 * Later plugins: ImageLocality 1.
 */
export const DEFAULT_PROFILE: Profile = deepFreeze({
  schedulerName: DEFAULT_SCHEDULER_NAME,
  plugins: {
    filter: ['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity'],
    postFilter: ['DefaultPreemption'],
    score: [
      { name: 'TaintToleration', weight: 3 },
      { name: 'NodeAffinity', weight: 2 },
      { name: 'NodeResourcesFit', weight: 1 },
      { name: 'PodTopologySpread', weight: 2 },
      { name: 'InterPodAffinity', weight: 2 },
      { name: 'NodeResourcesBalancedAllocation', weight: 1 },
    ],
  },
  pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] } } }],
});

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** A profile or configuration file that does not validate; `errors` carry paths like `plugins.score[1].weight`. */
export class ProfileValidationError extends Error {
  constructor(
    readonly errors: readonly FieldError[],
    options?: { cause?: unknown },
  ) {
    super(`invalid scheduler profile:\n${errors.map((e) => `  ${e.path || '(root)'}: ${e.message}`).join('\n')}`, options);
    this.name = 'ProfileValidationError';
  }
}

export function zodFieldErrors(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldError[] {
  return error.issues.map((issue) => ({ path: formatPath([...prefix, ...issue.path]), message: issue.message }));
}

/** Validates one profile (already parsed from YAML or JSON). */
export function parseProfile(input: unknown): Profile {
  const result = ProfileSchema.safeParse(input);
  if (!result.success) throw new ProfileValidationError(zodFieldErrors(result.error), { cause: result.error });
  return result.data;
}

/** Validates a `{ profiles: [...] }` file (already parsed from YAML or JSON). */
export function parseSchedulerConfiguration(input: unknown): Profile[] {
  const result = SchedulerConfigurationSchema.safeParse(input);
  if (!result.success) throw new ProfileValidationError(zodFieldErrors(result.error), { cause: result.error });
  const { percentageOfNodesToScore, profiles } = result.data;
  if (percentageOfNodesToScore === undefined) return profiles;
  return profiles.map((profile) => (profile.percentageOfNodesToScore === undefined ? { ...profile, percentageOfNodesToScore } : profile));
}
