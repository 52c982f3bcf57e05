/**
 * Stages for the sim runtime, like KWOK's Stage resources reduced to what a simulated pod goes
 * through on a node: its sandbox, each container's start, a regular init container's run, an app
 * container's (or sidecar's) run, and the stop after SIGTERM.
 *
 * A stage names the step it drives, a selector, a delay with jitter and what happens next. For each
 * step the first stage (in file order) whose selector matches the pod and container applies; when
 * none does, the runtime's built-in timings do (today's behaviour). A stage may fail with a
 * probability: the sandbox is not built (the agent retries), the container does not start (waiting
 * with the failure's reason, retried with back-off: ErrImagePull, ...), or the container exits with
 * the failure's exit code after the stage's delay.
 *
 * Pure: parsing takes an already-read document; matching reads the pod only.
 */
import { z } from 'zod';
import { requirementMatches, type Container, type Pod } from '@flotilla/model';
import type { ContainerKind } from './container-runtime.ts';

export const SIM_STEPS = ['sandbox', 'start', 'init', 'run', 'stop'] as const;
export type SimStep = (typeof SIM_STEPS)[number];

/** What each step may do next, its default first. */
export const SIM_STEP_OUTCOMES = {
  sandbox: ['ready'],
  start: ['started'],
  init: ['exit'],
  run: ['running', 'exit'],
  stop: ['exit'],
} as const satisfies Record<SimStep, readonly string[]>;
export type SimStageNext = (typeof SIM_STEP_OUTCOMES)[SimStep][number];

/** The container kinds a step applies to when the selector names none, and those it may name. */
const STEP_KINDS: Record<SimStep, { default: readonly ContainerKind[]; allowed: readonly ContainerKind[] }> = {
  sandbox: { default: [], allowed: [] },
  start: { default: ['init', 'sidecar', 'app'], allowed: ['init', 'sidecar', 'app'] },
  init: { default: ['init'], allowed: ['init'] },
  run: { default: ['app'], allowed: ['app', 'sidecar'] },
  stop: { default: ['init', 'sidecar', 'app'], allowed: ['init', 'sidecar', 'app'] },
};

/** Default failure reasons (the kubelet's words). */
const DEFAULT_FAILURE_REASON: Record<SimStep, string> = {
  sandbox: 'FailedCreatePodSandBox',
  start: 'CreateContainerError',
  init: 'Error',
  run: 'Error',
  stop: 'Error',
};

const StringMap = z.record(z.string(), z.string());
const NameList = z.array(z.string().min(1)).min(1);

const SelectorSchema = z.strictObject({
  matchLabels: StringMap.optional(),
  matchAnnotations: StringMap.optional(),
  /** On the pod's labels, as a LabelSelector's matchExpressions. */
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string().min(1),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
  namespaces: NameList.optional(),
  priorityClassNames: NameList.optional(),
  /** The node the pod is bound to; `*` matches any run of characters. */
  nodeNames: NameList.optional(),
  containerNames: NameList.optional(),
  containerKinds: z.array(z.enum(['init', 'sidecar', 'app'])).min(1).optional(),
  /** The container's image; `*` matches any run of characters. */
  images: NameList.optional(),
});

const FailureSchema = z.strictObject({
  probability: z.number().min(0).max(1),
  /** init/run: the exit code of a failed container. */
  exitCode: z.number().int().min(1).max(255).optional(),
  /** sandbox/start: the waiting reason the node reports (start), or the error's reason (sandbox). */
  reason: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'expected a CamelCase reason such as ErrImagePull').optional(),
  message: z.string().optional(),
});

const StageSchema = z.strictObject({
  name: z.string().min(1),
  step: z.enum(SIM_STEPS),
  selector: SelectorSchema.default({}),
  delayMs: z.number().int().min(0).default(0),
  /** The delay is drawn uniformly from [delayMs - jitterMs, delayMs + jitterMs]. */
  jitterMs: z.number().int().min(0).default(0),
  next: z.enum(['ready', 'started', 'exit', 'running']).optional(),
  /** `next: exit`: the exit code (0: completes). */
  exitCode: z.number().int().min(0).max(255).optional(),
  failure: FailureSchema.optional(),
});

const StagesFileSchema = z
  .strictObject({
    apiVersion: z.string().optional(),
    kind: z.literal('SimStages').optional(),
    stages: z.array(StageSchema),
  })
  .superRefine((file, ctx) => {
    const names = new Map<string, number>();
    file.stages.forEach((stage, i) => {
      const at = (...path: PropertyKey[]): PropertyKey[] => ['stages', i, ...path];
      const earlier = names.get(stage.name);
      if (earlier !== undefined) ctx.addIssue({ code: 'custom', path: at('name'), message: `already used by stages[${earlier}]` });
      names.set(stage.name, i);
      const outcomes: readonly string[] = SIM_STEP_OUTCOMES[stage.step];
      if (stage.next !== undefined && !outcomes.includes(stage.next)) {
        ctx.addIssue({ code: 'custom', path: at('next'), message: `step ${stage.step} can only go to ${outcomes.join(' or ')}` });
      }
      if (stage.jitterMs > stage.delayMs) ctx.addIssue({ code: 'custom', path: at('jitterMs'), message: `must not exceed delayMs (${stage.delayMs})` });
      const next = stage.next ?? outcomes[0];
      if (stage.exitCode !== undefined && next !== 'exit') {
        ctx.addIssue({ code: 'custom', path: at('exitCode'), message: `only a stage whose next is exit has an exit code (this one: ${next})` });
      }
      const { allowed } = STEP_KINDS[stage.step];
      if (stage.step === 'sandbox') {
        for (const field of ['containerNames', 'containerKinds', 'images'] as const) {
          if (stage.selector[field] !== undefined) ctx.addIssue({ code: 'custom', path: at('selector', field), message: 'a sandbox belongs to the pod, not to a container' });
        }
      } else {
        stage.selector.containerKinds?.forEach((kind, k) => {
          if (!allowed.includes(kind)) ctx.addIssue({ code: 'custom', path: at('selector', 'containerKinds', k), message: `step ${stage.step} applies to ${allowed.join(', ')} containers only` });
        });
      }
      stage.selector.matchExpressions?.forEach((expression, k) => {
        const needsValues = expression.operator === 'In' || expression.operator === 'NotIn';
        if (needsValues && (expression.values ?? []).length === 0) {
          ctx.addIssue({ code: 'custom', path: at('selector', 'matchExpressions', k, 'values'), message: `operator ${expression.operator} needs values` });
        }
        if (!needsValues && expression.values !== undefined && expression.values.length > 0) {
          ctx.addIssue({ code: 'custom', path: at('selector', 'matchExpressions', k, 'values'), message: `operator ${expression.operator} takes no values` });
        }
      });
      if (stage.failure) {
        if (stage.step === 'stop') ctx.addIssue({ code: 'custom', path: at('failure'), message: 'a stop cannot fail (a container that does not stop in time is killed)' });
        if (stage.failure.exitCode !== undefined && (stage.step === 'sandbox' || stage.step === 'start')) {
          ctx.addIssue({ code: 'custom', path: at('failure', 'exitCode'), message: `a ${stage.step} failure has a reason, not an exit code` });
        }
        if (stage.failure.reason !== undefined && (stage.step === 'init' || stage.step === 'run')) {
          ctx.addIssue({ code: 'custom', path: at('failure', 'reason'), message: `a failed ${stage.step} is a container exit: give its exitCode` });
        }
      }
    });
  });

export interface SimStageSelector {
  matchLabels?: Record<string, string>;
  matchAnnotations?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
  namespaces?: string[];
  priorityClassNames?: string[];
  nodeNames?: string[];
  containerNames?: string[];
  containerKinds?: ContainerKind[];
  images?: string[];
}

export interface SimStageFailure {
  probability: number;
  /** init/run: the exit code (1 unless given). */
  exitCode: number;
  reason: string;
  message?: string;
}

/** A validated stage, every default filled in. */
export interface SimStage {
  name: string;
  step: SimStep;
  selector: SimStageSelector;
  delayMs: number;
  jitterMs: number;
  next: SimStageNext;
  /** The exit code when `next` is `exit` (0 otherwise). */
  exitCode: number;
  failure?: SimStageFailure;
}

/** A stages document that cannot be used; each problem is named by its path in the document. */
export class SimStagesError extends Error {
  override readonly name = 'SimStagesError';
  constructor(
    readonly source: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`${source}: invalid stages:\n${problems.map((p) => `  ${p}`).join('\n')}`, options);
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || '(root)';
}

/** Validates an already parsed stages document (`{ kind: SimStages, stages: [...] }`). */
export function parseSimStages(raw: unknown, source = '<stages>'): SimStage[] {
  const result = StagesFileSchema.safeParse(raw);
  if (!result.success) throw new SimStagesError(source, result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`));
  return result.data.stages.map((stage) => {
    const next = (stage.next ?? SIM_STEP_OUTCOMES[stage.step][0]) as SimStageNext;
    const out: SimStage = {
      name: stage.name,
      step: stage.step,
      selector: stage.selector as SimStageSelector,
      delayMs: stage.delayMs,
      jitterMs: stage.jitterMs,
      next,
      exitCode: next === 'exit' ? (stage.exitCode ?? 0) : 0,
    };
    if (stage.failure) {
      out.failure = {
        probability: stage.failure.probability,
        exitCode: stage.failure.exitCode ?? 1,
        reason: stage.failure.reason ?? DEFAULT_FAILURE_REASON[stage.step],
        ...(stage.failure.message !== undefined ? { message: stage.failure.message } : {}),
      };
    }
    return out;
  });
}

/** What a stage is matched against: the pod, and for container steps the container and its kind. */
export interface StageSubject {
  pod: Pod;
  container?: Container;
  kind?: ContainerKind;
}

/** True when the stage's selector matches the pod (and the container, for a container step). */
export function stageMatches(stage: SimStage, subject: StageSubject): boolean {
  const { pod, container, kind } = subject;
  const s = stage.selector;
  const meta = pod.metadata;
  if (s.matchLabels && !matchesMap(s.matchLabels, meta.labels)) return false;
  if (s.matchAnnotations && !matchesMap(s.matchAnnotations, meta.annotations)) return false;
  if (s.matchExpressions) {
    for (const e of s.matchExpressions) if (!requirementMatches(e.operator, e.values ?? [], meta.labels?.[e.key])) return false;
  }
  if (s.namespaces && !s.namespaces.includes(meta.namespace ?? 'default')) return false;
  if (s.priorityClassNames && !s.priorityClassNames.includes(pod.spec.priorityClassName ?? '')) return false;
  if (s.nodeNames && !matchesAnyGlob(s.nodeNames, pod.spec.nodeName ?? '')) return false;
  if (stage.step === 'sandbox') return true;
  if (!container || !kind) return false;
  if (!(s.containerKinds ?? STEP_KINDS[stage.step].default).includes(kind)) return false;
  if (s.containerNames && !s.containerNames.includes(container.name)) return false;
  if (s.images && !matchesAnyGlob(s.images, container.image ?? '')) return false;
  return true;
}

/** The first stage of `step` (in order) whose selector matches; undefined: the built-in timings apply. */
export function matchStage(stages: readonly SimStage[], step: SimStep, subject: StageSubject): SimStage | undefined {
  for (const stage of stages) if (stage.step === step && stageMatches(stage, subject)) return stage;
  return undefined;
}

/**
 * The stage's delay for a uniform draw `r` in [0, 1): delayMs ± jitterMs, rounded to whole
 * milliseconds. The draw is always taken, so a stage never shifts the draws that follow it.
 */
export function stageDelay(stage: Pick<SimStage, 'delayMs' | 'jitterMs'>, r: number): number {
  if (stage.jitterMs === 0) return stage.delayMs;
  return Math.max(0, Math.round(stage.delayMs + stage.jitterMs * (2 * r - 1)));
}

function matchesMap(want: Record<string, string>, have: Record<string, string> | undefined): boolean {
  for (const [key, value] of Object.entries(want)) if (have?.[key] !== value) return false;
  return true;
}

const globCache = new Map<string, RegExp>();

function matchesAnyGlob(patterns: readonly string[], value: string): boolean {
  for (const pattern of patterns) {
    if (!pattern.includes('*')) {
      if (pattern === value) return true;
      continue;
    }
    let regex = globCache.get(pattern);
    if (!regex) {
      regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      globCache.set(pattern, regex);
    }
    if (regex.test(value)) return true;
  }
  return false;
}
