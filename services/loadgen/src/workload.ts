// Workload files: a cluster shape and ordered phases of pods to create, shaped like scheduler_perf's
// test cases (init pods that are not measured, then the measured pods).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isValidQuantity, PodSpecSchema } from '@flotilla/model';

const Quantity = z.string().refine(isValidQuantity, { message: 'expected a quantity such as 4, 500m or 32Gi' });
const StringMap = z.record(z.string(), z.string());

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
});

export const PodTemplateSchema = z.strictObject({
  metadata: z
    .strictObject({ labels: StringMap.optional(), annotations: StringMap.optional() })
    .optional(),
  spec: PodSpecSchema,
});

export const PhaseSchema = z.strictObject({
  name: z.string().min(1),
  pods: z.strictObject({
    count: z.number().int().min(0),
    /** Pods are named `<namePrefix>-<n>`; must be unique across the phases. */
    namePrefix: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS-1123 label prefix'),
    template: PodTemplateSchema,
    /** Pods per second; 0 = as fast as the API takes them. */
    rate: z.number().min(0).default(0),
    /** HTTP requests in flight. */
    concurrency: z.number().int().positive().default(128),
  }),
  waitFor: z.enum(['bound', 'running', 'none']).default('bound'),
  /** Only measured phases count in the summary (scheduler_perf's init pods are not measured). */
  measure: z.boolean().default(true),
});

export const TargetSchema = z.strictObject({
  name: z.string().min(1),
  metric: z.enum(['podsBoundPerSecond', 'schedulingLatencyP99', 'startupLatencyP99']),
  op: z.enum(['>=', '<=']),
  value: z.number(),
});

export const WorkloadSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS-1123 label'),
    description: z.string().default(''),
    cluster: ClusterShapeSchema,
    phases: z.array(PhaseSchema).min(1),
    timeoutSeconds: z.number().positive().default(600),
    targets: z.array(TargetSchema).default([]),
  })
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
  });

export type Workload = z.infer<typeof WorkloadSchema>;
export type WorkloadPhase = Workload['phases'][number];
export type WorkloadTarget = Workload['targets'][number];

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

/** Total pods the workload creates, and how many of them are measured. */
export function workloadPodCounts(workload: Workload): { total: number; measured: number } {
  let total = 0;
  let measured = 0;
  for (const phase of workload.phases) {
    total += phase.pods.count;
    if (phase.measure) measured += phase.pods.count;
  }
  return { total, measured };
}
