// Churn schedules: pods and nodes created and deleted at steady rates for a duration (scheduler_perf's
// MixedChurn), as a timeline of steps planned ahead and played on a Clock with bounded concurrency.
import { churnStepCount, type WorkloadChurn } from './workload.ts';
import type { Clock } from './pacing.ts';

export type ChurnAction = 'deletePod' | 'createPod' | 'removeNode' | 'addNode';

/** At equal times, removals go first: with equal rates a pod (node) is replaced, never doubled up. */
const ACTION_ORDER: readonly ChurnAction[] = ['deletePod', 'removeNode', 'createPod', 'addNode'];

export interface ChurnStep {
  /** When the step is due, ms from the start of the churn. */
  atMs: number;
  action: ChurnAction;
  /** 0-based position among the steps of its action. */
  index: number;
}

/** The churn's rates per action (absent or 0: none). */
export function churnRates(churn: WorkloadChurn): Partial<Record<ChurnAction, number>> {
  return {
    ...(churn.pods ? { deletePod: churn.pods.deleteRate, createPod: churn.pods.createRate } : {}),
    ...(churn.nodes ? { removeNode: churn.nodes.removeRate, addNode: churn.nodes.addRate } : {}),
  };
}

/**
 * Every step of the churn in the order they are due: each action at its rate, evenly spaced from 0
 * (at 0, 1/rate, 2/rate, ... s, before durationMs).
 */
export function churnTimeline(rates: Partial<Record<ChurnAction, number>>, durationMs: number): ChurnStep[] {
  const steps: ChurnStep[] = [];
  for (const action of ACTION_ORDER) {
    const rate = rates[action] ?? 0;
    const count = churnStepCount(rate, durationMs);
    for (let index = 0; index < count; index++) steps.push({ atMs: (index * 1000) / rate, action, index });
  }
  return steps.sort((a, b) => a.atMs - b.atMs || ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action));
}

export interface TimelineResult {
  /** Steps started (all of them unless aborted). */
  started: number;
  /** How late the steps started against their schedule (the cluster or the concurrency could not keep up). */
  lateness: { maxMs: number; meanMs: number };
  durationMs: number;
}

/**
 * Plays the steps: each starts when due (late when `concurrency` steps are still in flight), without
 * waiting for the previous ones to finish. Resolves once every started step settled; a step that
 * throws does not stop the others (the first error is thrown at the end).
 */
export async function runTimeline(
  steps: readonly ChurnStep[],
  options: { clock: Clock; concurrency: number; signal?: AbortSignal },
  run: (step: ChurnStep) => Promise<void>,
): Promise<TimelineResult> {
  const { clock } = options;
  const start = clock.now();
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let started = 0;
  let lateSum = 0;
  let lateMax = 0;
  for (const step of steps) {
    if (options.signal?.aborted) break;
    const wait = start + step.atMs - clock.now();
    if (wait > 0) await clock.sleep(wait);
    while (inFlight.size >= Math.max(1, options.concurrency)) await Promise.race(inFlight);
    if (options.signal?.aborted) break;
    const late = Math.max(0, clock.now() - start - step.atMs);
    lateSum += late;
    lateMax = Math.max(lateMax, late);
    started++;
    const task: Promise<void> = run(step).then(
      () => undefined,
      (error: unknown) => {
        failure ??= { error };
      },
    );
    const tracked = task.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  return { started, lateness: { maxMs: lateMax, meanMs: started > 0 ? lateSum / started : 0 }, durationMs: clock.now() - start };
}
