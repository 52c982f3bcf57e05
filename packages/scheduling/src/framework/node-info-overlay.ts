import { CPU, MEMORY, addResources, subtractResources } from '@flotilla/model';
import type { Node, Resources } from '@flotilla/model';
import type { PodRecord } from '@flotilla/state';
import { nonZeroRequestOf } from './resource-helpers.ts';
import type { NodeInfo } from './types.ts';

/**
 * A private, editable copy of one node's view for what-if runs (preemption removes pods from a node
 * and adds them back, asking the Filter plugins each time), as kube-scheduler's NodeInfo.Snapshot
 * with RemovePod / AddPodInfo. The node it was made from is never changed.
 */
export class NodeInfoOverlay implements NodeInfo {
  readonly name: string;
  readonly node: Node;
  readonly allocatable: Readonly<Resources>;
  readonly requested: Resources;
  readonly nonZeroRequested: Resources;
  readonly hostPorts: Set<string>;
  readonly podKeys: Set<string>;
  #assumedPodKeys: ReadonlySet<string>;

  constructor(base: NodeInfo) {
    this.name = base.name;
    this.node = base.node;
    this.allocatable = base.allocatable;
    this.requested = { ...base.requested };
    const nonZero = base.nonZeroRequested;
    this.nonZeroRequested = { [CPU]: nonZero[CPU] ?? 0, [MEMORY]: nonZero[MEMORY] ?? 0 };
    this.hostPorts = new Set(base.hostPorts);
    this.podKeys = new Set(base.podKeys);
    this.#assumedPodKeys = base.assumedPodKeys;
  }

  /** Pods counted here that the fold has not bound here: assumed ones, and nominated ones added. */
  get assumedPodKeys(): ReadonlySet<string> {
    return this.#assumedPodKeys;
  }

  /** Counts a pod nominated to this node (pending, not bound) as if it were assumed here. */
  addNominatedPod(pod: PodRecord): void {
    if (this.podKeys.has(pod.key)) return;
    this.addPod(pod);
    this.#assumedPodKeys = new Set([...this.#assumedPodKeys, pod.key]);
  }

  /** Takes the pod and what it holds off the node; no-op when it is not there. */
  removePod(pod: PodRecord): void {
    if (!this.podKeys.delete(pod.key)) return;
    subtractResources(this.requested, pod.request);
    subtractResources(this.nonZeroRequested, nonZeroRequestOf(pod.pod));
    for (const port of pod.hostPorts) this.hostPorts.delete(port);
  }

  /** Puts the pod (back) on the node; no-op when it is there. */
  addPod(pod: PodRecord): void {
    if (this.podKeys.has(pod.key)) return;
    this.podKeys.add(pod.key);
    addResources(this.requested, pod.request);
    addResources(this.nonZeroRequested, nonZeroRequestOf(pod.pod));
    for (const port of pod.hostPorts) this.hostPorts.add(port);
  }
}
