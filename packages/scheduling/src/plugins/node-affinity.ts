import type { PodRecord } from '@flotilla/state';
import { stateKey } from '../framework/cycle-state.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import { defaultNormalizeScore } from '../framework/normalize.ts';
import type { PluginFactory } from '../framework/registry.ts';
import { skip, success, unresolvable } from '../framework/status.ts';
import type { Status } from '../framework/status.ts';
import { MAX_NODE_SCORE } from '../framework/types.ts';
import type {
  ClusterEvent,
  FilterPlugin,
  NodeInfo,
  NodeScore,
  PreFilterPlugin,
  PreScorePlugin,
  ScorePlugin,
} from '../framework/types.ts';

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

/**
 * What a node's labels must satisfy. Today: spec.nodeSelector (every label present with the same
 * value). Required node affinity terms (ORed terms of ANDed requirements) will join here.
 */
export interface RequiredNodeAffinity {
  readonly nodeSelector: ReadonlyArray<readonly [string, string]>;
}

const REQUIRED_KEY = stateKey<RequiredNodeAffinity>('PreFilterNodeAffinity');

export function requiredNodeAffinityOf(pod: PodRecord): RequiredNodeAffinity {
  return { nodeSelector: Object.entries(pod.pod.spec.nodeSelector ?? {}) };
}

export function matchesRequiredNodeAffinity(required: RequiredNodeAffinity, labels: Readonly<Record<string, string>> | undefined): boolean {
  for (const [key, value] of required.nodeSelector) {
    if (labels === undefined || labels[key] !== value) return false;
  }
  return true;
}

/**
 * Filter on the pod's required node placement (nodeSelector for now); Score on preferred node
 * affinity terms, which Flotilla does not read yet, so PreScore always skips.
 */
export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NODE_AFFINITY;
  readonly requeueOn: readonly ClusterEvent[] = ['NodeAdded', 'NodeUpdated'];

  preFilter(state: CycleState, pod: PodRecord): Status {
    const required = requiredNodeAffinityOf(pod);
    // Like kube-scheduler: nothing to check means Filter need not run at all.
    if (required.nodeSelector.length === 0) return skip();
    state.write(REQUIRED_KEY, required);
    return success();
  }

  filter(state: CycleState, pod: PodRecord, node: NodeInfo): Status {
    const required = state.read(REQUIRED_KEY) ?? requiredNodeAffinityOf(pod);
    if (matchesRequiredNodeAffinity(required, node.node.metadata.labels)) return success();
    return unresolvable(NODE_AFFINITY, ERR_REASON_NODE_AFFINITY);
  }

  preScore(): Status {
    // No preferred scheduling terms are read yet; kube-scheduler skips Score when there are none.
    return skip();
  }

  score(): { score: number; status: Status } {
    return { score: 0, status: success() };
  }

  normalizeScores(_state: CycleState, _pod: PodRecord, scores: NodeScore[]): Status {
    defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
    return success();
  }
}

export const newNodeAffinity: PluginFactory = () => new NodeAffinity();
