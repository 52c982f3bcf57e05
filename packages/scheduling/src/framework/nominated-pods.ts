import { nominatedPods } from '@flotilla/state';
import type { ClusterState, PodRecord } from '@flotilla/state';
import type { AssumedPods } from './assumed-pods.ts';
import { NodeInfoOverlay } from './node-info-overlay.ts';
import type { NodeInfo } from './types.ts';

/**
 * kube-scheduler's addNominatedPods: the pods preemption nominated to a node (pending, with
 * status.nominatedNodeName) and whose priority is at least `pod`'s count on their nominated node, as
 * if assumed there, so that the room their victims free is kept for them and not taken by a pod of
 * lower or equal priority. A pod of higher priority than every nominated pod sees the nodes as they
 * are (it may take the room, and the nominated pod is retried).
 *
 * Returns `nodes` itself when no nominated pod applies; otherwise a copy in which only the nodes with
 * nominated pods are replaced by views with those pods added. Left out: `pod` itself, nominated pods
 * this scheduler has already assumed (bound, not folded yet: they are counted as assumed), and pods
 * already counted on the node.
 */
export function withNominatedPods(nodes: readonly NodeInfo[], state: ClusterState, assumed: AssumedPods | undefined, pod: PodRecord): readonly NodeInfo[] {
  const priority = podPriority(pod);
  let byNode: Map<string, PodRecord[]> | undefined;
  for (const { pod: nominated, nodeName } of nominatedPods(state)) {
    if (nominated.key === pod.key || assumed?.has(nominated.key) === true || podPriority(nominated) < priority) continue;
    byNode ??= new Map();
    let list = byNode.get(nodeName);
    if (list === undefined) byNode.set(nodeName, (list = []));
    list.push(nominated);
  }
  if (byNode === undefined) return nodes;
  return nodes.map((node) => {
    const nominated = byNode.get(node.name);
    if (nominated === undefined) return node;
    const view = new NodeInfoOverlay(node);
    for (const record of nominated) view.addNominatedPod(record);
    return view;
  });
}

/** spec.priority, 0 when unset (as corev1helpers.PodPriority). */
export function podPriority(pod: PodRecord): number {
  return pod.pod.spec.priority ?? 0;
}
