// Workload files: a cluster shape and ordered phases of pods to create, shaped like scheduler_perf's
// test cases (init pods that are not measured, then the measured pods). A phase may also churn pods
// and nodes while it runs (scheduler_perf's MixedChurn) and kill a share of the nodes once its pods
// run (the node-failure recovery run).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isValidQuantity, PodSpecSchema, TaintSchema } from '@flotilla/model';
import { planAgents } from './agent-plan.ts';

const Quantity = z.string().refine(isValidQuantity, { message: 'expected a quantity such as 4, 500m or 32Gi' });
const StringMap = z.record(z.string(), z.string());
const DnsLabelPrefix = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS-1123 label prefix');
/** Environment variables by name (a bad name is reported at its own path). */
const Environment = z.record(z.string(), z.string()).superRefine((env, ctx) => {
  for (const name of Object.keys(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'expected an environment variable name (letters, digits, _)' });
  }
});

export const NodeShapeSchema = z.strictObject({
  cpu: z.union([Quantity, z.number().positive().transform(String)]).default('4'),
  memory: Quantity.default('32Gi'),
  pods: z.number().int().positive().default(110),
  labels: StringMap.default({}),
  /** Spread topology.kubernetes.io/zone over this many zones (0: no zone label). */
  zones: z.number().int().min(0).default(0),
  /** node.kubernetes.io/instance-type values, assigned to the agents round-robin. */
  instanceTypes: z.array(z.string().min(1)).optional(),
});

export const ClusterShapeSchema = z.strictObject({
  nodes: z.number().int().positive(),
  node: NodeShapeSchema.default({ cpu: '4', memory: '32Gi', pods: 110, labels: {}, zones: 0 }),
  /** Extra flags for the scheduler process. */
  scheduler: z.array(z.string()).optional(),
  /** How many node-agent processes the nodes are split over (at least one per zone). */
  nodeAgents: z.number().int().positive().default(1),
  /** Extra flags for every node agent, after the runner's (a later flag wins), e.g. --lease-renew-ms 1000. */
  nodeAgent: z.array(z.string()).optional(),
  /** Extra flags for the controller: --node-monitor-grace-ms, --node-startup-grace-ms, --eviction-rate, ... */
  controller: z.array(z.string()).optional(),
  /**
   * Environment of every service process, e.g. FLOTILLA_DEFAULT_UNREACHABLE_TOLERATION_SECONDS (read
   * by the API and the controller for the tolerations pods get by default).
   */
  env: Environment.optional(),
});

export const PodTemplateSchema = z.strictObject({
  metadata: z
    .strictObject({ labels: StringMap.optional(), annotations: StringMap.optional() })
    .optional(),
  spec: PodSpecSchema,
});

export const PodChurnSchema = z
  .strictObject({
    /** Pods created per second, named after the phase's own (`<namePrefix>-<count + k>`), from its template. */
    createRate: z.number().min(0).default(0),
    /** The phase's oldest pods deleted per second (at equal times a deletion goes before a creation). */
    deleteRate: z.number().min(0).default(0),
    /** The deletions' grace period: 0 (force) removes the pod at once; more lets its node stop it first. */
    gracePeriodSeconds: z.number().int().min(0).default(0),
  })
  .refine((pods) => pods.createRate > 0 || pods.deleteRate > 0, { message: 'createRate or deleteRate must be above 0', path: ['createRate'] });

export const NodeChurnSchema = z
  .strictObject({
    /**
     * Nodes registered per second through the API (POST /api/v1/nodes). No agent runs them: pods bound
     * there stay bound and never start, and the node lifecycle controller marks them NotReady once
     * they outlive its startup grace.
     */
    addRate: z.number().min(0).default(0),
    /**
     * The oldest nodes this churn added removed per second (DELETE /api/v1/nodes/NAME). Pods bound there
     * stay bound to the missing node (nothing garbage-collects them), as in scheduler_perf. The nodes
     * still there when the churn ends are removed then.
     */
    removeRate: z.number().min(0).default(0),
    /** Nodes are named `<namePrefix>-<n>`. */
    namePrefix: DnsLabelPrefix.default('churn-node'),
    labels: StringMap.default({}),
    taints: z.array(TaintSchema).default([]),
  })
  .refine((nodes) => nodes.addRate > 0 || nodes.removeRate > 0, { message: 'addRate or removeRate must be above 0', path: ['addRate'] });

export const ChurnSchema = z
  .strictObject({
    /** How long the churn runs, from the phase's start (the phase's own pods are created meanwhile). */
    durationSeconds: z.number().positive(),
    pods: PodChurnSchema.optional(),
    nodes: NodeChurnSchema.optional(),
    /** Churn requests in flight; a churn that cannot keep its schedule reports how late it ran. */
    concurrency: z.number().int().positive().default(32),
  })
  .refine((churn) => churn.pods !== undefined || churn.nodes !== undefined, { message: 'expected pods or nodes (or both)', path: ['pods'] });

export const KillNodesSchema = z.strictObject({
  /**
   * Share of the nodes to kill, in percent. Whole node agents are killed (SIGKILL): the ones whose
   * nodes add up closest to the share, never all of them.
   */
  percent: z.number().gt(0).lt(100),
  /** Pause between the phase's pods all Running and the kill. */
  afterSeconds: z.number().min(0).default(0),
  /** What counts as replaced: the replacement Running (default) or only bound. */
  waitFor: z.enum(['bound', 'running']).default('running'),
});

export const PhaseSchema = z.strictObject({
  name: z.string().min(1),
  pods: z.strictObject({
    count: z.number().int().min(0),
    /** Pods are named `<namePrefix>-<n>`; must be unique across the phases. */
    namePrefix: DnsLabelPrefix,
    template: PodTemplateSchema,
    /** Pods per second; 0 = as fast as the API takes them. */
    rate: z.number().min(0).default(0),
    /** HTTP requests in flight. */
    concurrency: z.number().int().positive().default(128),
    /**
     * Create one ReplicaSet named `namePrefix` with `count` replicas instead of bare pods: the
     * ReplicaSet controller creates the pods (named `<namePrefix>-<suffix>`) and replaces lost ones.
     * rate and concurrency do not apply.
     */
    replicaSet: z.boolean().default(false),
  }),
  waitFor: z.enum(['bound', 'running', 'none']).default('bound'),
  /** Only measured phases count in the summary (scheduler_perf's init pods are not measured). */
  measure: z.boolean().default(true),
  /** Pods and nodes created and deleted while the phase's pods are created (from the phase's start). */
  churn: ChurnSchema.optional(),
  /** Once the phase's pods are Running: SIGKILL the node agents of a share of the nodes and measure the recovery. */
  killNodes: KillNodesSchema.optional(),
});

export const TargetSchema = z.strictObject({
  name: z.string().min(1),
  /** The kill metrics take the first phase with killNodes: recovery is kill -> every replacement replaced. */
  metric: z.enum(['podsBoundPerSecond', 'schedulingLatencyP99', 'startupLatencyP99', 'killRecoveryMs', 'replacementLatencyP99', 'podsLost']),
  op: z.enum(['>=', '<=']),
  value: z.number(),
});

const WorkloadObject = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS-1123 label'),
  description: z.string().default(''),
  cluster: ClusterShapeSchema,
  phases: z.array(PhaseSchema).min(1),
  timeoutSeconds: z.number().positive().default(600),
  targets: z.array(TargetSchema).default([]),
});

export const WorkloadSchema = WorkloadObject
  .superRefine((workload, ctx) => {
    const seen = new Map<string, number>();
    workload.phases.forEach((phase, i) => {
      const earlier = seen.get(phase.pods.namePrefix);
      if (earlier !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['phases', i, 'pods', 'namePrefix'], message: `already used by phases[${earlier}]` });
      }
      seen.set(phase.pods.namePrefix, i);
    });
    // A prefix that is another's prefix would let one phase's pods count as the other's.
    for (const [a, i] of seen) {
      for (const [b] of seen) {
        if (a !== b && b.startsWith(`${a}-`)) ctx.addIssue({ code: 'custom', path: ['phases', i, 'pods', 'namePrefix'], message: `is a prefix of ${JSON.stringify(b)}` });
      }
    }
    if (!workload.phases.some((p) => p.measure)) ctx.addIssue({ code: 'custom', path: ['phases'], message: 'no phase is measured' });
    checkChurnAndKill(workload, ctx);
  });

type ParsedWorkload = z.output<typeof WorkloadObject>;

/** Rules that span fields: what churn and killNodes need of their phase and of the cluster. */
function checkChurnAndKill(workload: ParsedWorkload, ctx: z.core.$RefinementCtx<ParsedWorkload>): void {
  const issue = (path: PropertyKey[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
  const nodePrefixes = new Map<string, number>();
  workload.phases.forEach((phase, i) => {
    const churn = phase.churn;
    if (churn?.pods && phase.pods.replicaSet) {
      issue(['phases', i, 'churn', 'pods'], 'pod churn needs bare pods (pods.replicaSet is true: its controller would recreate what the churn deletes)');
    }
    const nodes = churn?.nodes;
    if (nodes) {
      const earlier = nodePrefixes.get(nodes.namePrefix);
      if (earlier !== undefined) issue(['phases', i, 'churn', 'nodes', 'namePrefix'], `already used by phases[${earlier}]`);
      nodePrefixes.set(nodes.namePrefix, i);
      // The node agents name their nodes node-<n> (one agent) or node-<a>-<n>.
      if (/^node(-\d+)?$/.test(nodes.namePrefix)) issue(['phases', i, 'churn', 'nodes', 'namePrefix'], 'would collide with the node agents\' node names (node-<n>, node-<a>-<n>)');
      const keepsPodsOff = nodes.taints.some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
      if (nodes.addRate > 0 && phase.waitFor === 'running' && !keepsPodsOff) {
        issue(['phases', i, 'churn', 'nodes', 'taints'], 'nodes added by the churn have no agent, so pods bound there never run: with waitFor running give them a NoSchedule taint, or wait for bound');
      }
    }
    const kill = phase.killNodes;
    if (kill) {
      if (!phase.pods.replicaSet) issue(['phases', i, 'killNodes'], 'needs pods.replicaSet: true (bare pods of a killed node are not replaced)');
      if (phase.waitFor !== 'running') issue(['phases', i, 'waitFor'], 'must be running with killNodes (the kill comes once every pod runs)');
      if (planAgents(workload).length < 2) issue(['cluster', 'nodeAgents'], `killNodes (phases[${i}]) needs at least 2 node agents: one at least must survive`);
    }
  });
}

export type Workload = z.infer<typeof WorkloadSchema>;
export type WorkloadPhase = Workload['phases'][number];
export type WorkloadTarget = Workload['targets'][number];
export type WorkloadChurn = NonNullable<WorkloadPhase['churn']>;
export type WorkloadKill = NonNullable<WorkloadPhase['killNodes']>;

/** A workload file that cannot be used; each problem is named by its path in the file. */
export class WorkloadError extends Error {
  override readonly name = 'WorkloadError';
  constructor(
    readonly file: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`${file}: invalid workload:\n${problems.map((p) => `  ${p}`).join('\n')}`, options);
  }
}

function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || '(root)';
}

/** Validates an already parsed workload document. */
export function parseWorkload(raw: unknown, file = '<workload>'): Workload {
  const result = WorkloadSchema.safeParse(raw);
  if (!result.success) throw new WorkloadError(file, result.error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`));
  return result.data;
}

export function loadWorkload(path: string): Workload {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new WorkloadError(path, [`cannot read the file: ${(error as Error).message}`], { cause: error });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new WorkloadError(path, [`not valid YAML: ${(error as Error).message}`], { cause: error });
  }
  return parseWorkload(raw, path);
}

/** Pods the phase creates: its count, plus what its churn creates (the ReplicaSet's replacements are not known ahead). */
export function phasePodCount(phase: WorkloadPhase): number {
  const churn = phase.churn;
  return phase.pods.count + (churn?.pods ? churnStepCount(churn.pods.createRate, churn.durationSeconds * 1000) : 0);
}

/** Steps a churn stream of `rate` per second makes in `durationMs`: at 0, 1/rate, 2/rate, ... before the end. */
export function churnStepCount(rate: number, durationMs: number): number {
  if (rate <= 0 || durationMs <= 0) return 0;
  return Math.ceil((durationMs * rate) / 1000 - 1e-9);
}

/** Total pods the workload creates, and how many of them are measured. */
export function workloadPodCounts(workload: Workload): { total: number; measured: number } {
  let total = 0;
  let measured = 0;
  for (const phase of workload.phases) {
    const count = phasePodCount(phase);
    total += count;
    if (phase.measure) measured += count;
  }
  return { total, measured };
}
