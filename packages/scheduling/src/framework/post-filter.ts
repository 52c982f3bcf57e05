import type { PodRecord } from '@flotilla/state';
import type { CycleState } from './cycle-state.ts';
import { isRejected, statusMessage, success, withPlugin } from './status.ts';
import type { Status } from './status.ts';
import { CLUSTER_EVENTS } from './types.ts';
import type { ClusterEvent, FilterPlugin, NodeInfo, PostFilterPlugin } from './types.ts';

/** A pod preemption evicts: enough to find it in the fold (key) and to be sure it is the same pod (uid). */
export interface PreemptionVictim {
  key: string;
  namespace: string;
  name: string;
  uid: string;
}

/** What the PostFilter plugins made of a pod no node passed. */
export interface PostFilterOutcome {
  /** Their message, appended to the unschedulable message (none when one of them succeeded). */
  message?: string;
  /** undefined: leave the pod's nomination; '': clear it; a node name: nominate the pod there. */
  nominatedNodeName?: string;
  /** With a nomination: the pods to evict from that node first, highest priority first. */
  victims?: PreemptionVictim[];
}

/**
 * The profile's Filter plugins (those PreFilter did not skip) on one node: Success or the first
 * rejection (or error), attributed to its plugin. What preemption asks of every what-if view.
 */
export function runFilterPlugins(plugins: readonly FilterPlugin[], state: CycleState, pod: PodRecord, node: NodeInfo): Status {
  for (const plugin of plugins) {
    if (state.skipFilterPlugins.has(plugin.name)) continue;
    const status = plugin.filter(state, pod, node);
    if (status.code !== 'Success') return withPlugin(status, plugin.name);
  }
  return success();
}

/**
 * kube-scheduler's RunPostFilterPlugins: the first plugin that succeeds (or rejects for good) decides;
 * otherwise the plugins' reasons are joined and the last nomination a plugin asked for stands. An Error
 * does not abort the attempt: as kube-scheduler, its message is reported with the rest.
 */
export function runPostFilterPlugins(
  plugins: readonly PostFilterPlugin[],
  state: CycleState,
  pod: PodRecord,
  filteredNodeStatuses: ReadonlyMap<string, Status>,
  nodes: readonly NodeInfo[],
): PostFilterOutcome {
  if (plugins.length === 0) return {};
  let nominatedNodeName: string | undefined;
  const reasons: string[] = [];
  for (const plugin of plugins) {
    const result = plugin.postFilter(state, pod, filteredNodeStatuses, nodes);
    const { status } = result;
    if (status.code === 'Success') {
      const nominated = result.nominatedNodeName;
      if (nominated === undefined || nominated === '') return nominated === '' ? { nominatedNodeName: '' } : {};
      return { nominatedNodeName: nominated, victims: (result.victims ?? []).map(victimOf) };
    }
    if (status.code === 'UnschedulableAndUnresolvable' || !isRejected(status)) {
      return { message: statusMessage(status), ...(result.nominatedNodeName !== undefined ? { nominatedNodeName: result.nominatedNodeName } : {}) };
    }
    if (result.nominatedNodeName !== undefined) nominatedNodeName = result.nominatedNodeName;
    reasons.push(...status.reasons);
  }
  return { message: reasons.join(', '), ...(nominatedNodeName !== undefined ? { nominatedNodeName } : {}) };
}

/** The node → status map PostFilter gets, from the Filter loop's rejected node positions and statuses. */
export function filteredNodeStatuses(nodes: readonly NodeInfo[], rejected: { index: readonly number[]; statuses: readonly Status[] }): Map<string, Status> {
  const out = new Map<string, Status>();
  rejected.index.forEach((index, k) => {
    const node = nodes[index];
    const status = rejected.statuses[k];
    if (node !== undefined && status !== undefined) out.set(node.name, status);
  });
  return out;
}

/** A nominated pod waits for its victims to leave: their deletion (or release) must requeue it. */
export function requeueAfterPostFilter(requeueOn: ClusterEvent[], outcome: PostFilterOutcome): ClusterEvent[] {
  if (outcome.nominatedNodeName === undefined || outcome.nominatedNodeName === '') return requeueOn;
  const events = new Set<ClusterEvent>([...requeueOn, 'PodDeleted', 'PodReleased']);
  return CLUSTER_EVENTS.filter((event) => events.has(event));
}

/** The ScheduleResult fields a PostFilter outcome adds (none when it left the nomination alone). */
export function nominationFields(outcome: PostFilterOutcome): { nominatedNodeName?: string; victims?: PreemptionVictim[] } {
  return {
    ...(outcome.nominatedNodeName !== undefined ? { nominatedNodeName: outcome.nominatedNodeName } : {}),
    ...(outcome.victims !== undefined ? { victims: outcome.victims } : {}),
  };
}

function victimOf(pod: PodRecord): PreemptionVictim {
  const { namespace, name, uid } = pod.pod.metadata;
  return { key: pod.key, namespace, name, uid };
}
