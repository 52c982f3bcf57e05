import type { TaintEffect, Toleration } from '@flotilla/model';
import type { PodRecord } from '@flotilla/state';
import { stateKey } from '../framework/cycle-state.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import { defaultNormalizeScore } from '../framework/normalize.ts';
import type { PluginFactory } from '../framework/registry.ts';
import { success, unresolvable } from '../framework/status.ts';
import type { Status } from '../framework/status.ts';
import { MAX_NODE_SCORE } from '../framework/types.ts';
import type { ClusterEvent, FilterPlugin, NodeInfo, NodeScore, PreScorePlugin, ScorePlugin } from '../framework/types.ts';
import { findUntoleratedTaint, tolerationsTolerateTaint } from './tolerations.ts';

export const TAINT_TOLERATION = 'TaintToleration';

const DO_NOT_SCHEDULE: ReadonlySet<TaintEffect> = new Set<TaintEffect>(['NoSchedule', 'NoExecute']);
const PREFER_NO_SCHEDULE_TOLERATIONS_KEY = stateKey<readonly Toleration[]>('PreScoreTaintToleration');

/** kube-scheduler's reason, with the first untolerated taint: `{key: value}` (empty value kept empty). */
export function untoleratedTaintReason(taint: { key: string; value?: string }): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

function preferNoScheduleTolerations(pod: PodRecord): readonly Toleration[] {
  return (pod.pod.spec.tolerations ?? []).filter((t) => t.effect === undefined || t.effect === 'PreferNoSchedule');
}

/**
 * Filter: NoSchedule and NoExecute taints must all be tolerated.
 * Score: the number of PreferNoSchedule taints not tolerated, normalised reversed (fewer is better).
 */
export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = TAINT_TOLERATION;
  readonly requeueOn: readonly ClusterEvent[] = ['NodeAdded', 'NodeUpdated'];

  filter(_state: CycleState, pod: PodRecord, node: NodeInfo): Status {
    const taint = findUntoleratedTaint(node.node.spec.taints, pod.pod.spec.tolerations, DO_NOT_SCHEDULE);
    if (taint === undefined) return success();
    return unresolvable(TAINT_TOLERATION, untoleratedTaintReason(taint));
  }

  preScore(state: CycleState, pod: PodRecord): Status {
    state.write(PREFER_NO_SCHEDULE_TOLERATIONS_KEY, preferNoScheduleTolerations(pod));
    return success();
  }

  score(state: CycleState, pod: PodRecord, node: NodeInfo): { score: number; status: Status } {
    const tolerations = state.read(PREFER_NO_SCHEDULE_TOLERATIONS_KEY) ?? preferNoScheduleTolerations(pod);
    let intolerable = 0;
    for (const taint of node.node.spec.taints ?? []) {
      if (taint.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, taint)) intolerable += 1;
    }
    return { score: intolerable, status: success() };
  }

  normalizeScores(_state: CycleState, _pod: PodRecord, scores: NodeScore[]): Status {
    defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
    return success();
  }
}

export const newTaintToleration: PluginFactory = () => new TaintToleration();
