import { addResources, subtractResources } from '@flotilla/model';
import type { Resources } from '@flotilla/model';
import type { ClusterState, PodRecord } from '@flotilla/state';
import { nonZeroRequestOf } from './resource-helpers.ts';

/** A pod this scheduler appended a PodBound for and has not yet seen the fold settle. */
export interface AssumedPod {
  readonly key: string;
  readonly uid: string;
  readonly nodeName: string;
  readonly request: Readonly<Resources>;
  readonly nonZeroRequest: Readonly<Resources>;
  readonly hostPorts: readonly string[];
  /** The pod's resourceVersion when assumed: a binding rejection recorded after it settles the pod. */
  readonly resourceVersion: number;
}

/** Running sums of the pods assumed onto one node. */
export interface AssumedNodeSums {
  readonly requested: Readonly<Resources>;
  readonly nonZeroRequested: Readonly<Resources>;
  /** Host port -> how many assumed pods hold it (a count, so forgetting one pod keeps the others'). */
  readonly hostPorts: ReadonlyMap<string, number>;
  readonly pods: ReadonlyMap<string, AssumedPod>;
}

interface MutableNodeSums {
  requested: Resources;
  nonZeroRequested: Resources;
  hostPorts: Map<string, number>;
  pods: Map<string, AssumedPod>;
}

/**
 * kube-scheduler's assume cache: between appending a PodBound and folding it, the chosen node must
 * already look occupied, or the next attempts would place more pods into the same room.
 * A pure data structure; the service decides when to assume and forget.
 */
export class AssumedPods {
  readonly #pods = new Map<string, AssumedPod>();
  readonly #nodes = new Map<string, MutableNodeSums>();
  readonly #listeners: Array<(nodeName: string) => void> = [];

  /** Calls `listener` with the node's name whenever an assumption onto that node is added or dropped. */
  onNodeChanged(listener: (nodeName: string) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      const index = this.#listeners.indexOf(listener);
      if (index >= 0) this.#listeners.splice(index, 1);
    };
  }

  #changed(nodeName: string): void {
    for (const listener of this.#listeners) listener(nodeName);
  }

  /** Records the pod as placed on nodeName (replacing an earlier assumption for the same pod). */
  assume(pod: PodRecord, nodeName: string): AssumedPod {
    this.forget(pod.key);
    const assumed: AssumedPod = {
      key: pod.key,
      uid: pod.pod.metadata.uid,
      nodeName,
      request: pod.request,
      nonZeroRequest: nonZeroRequestOf(pod.pod),
      hostPorts: pod.hostPorts,
      resourceVersion: pod.resourceVersion,
    };
    this.#pods.set(pod.key, assumed);
    let sums = this.#nodes.get(nodeName);
    if (sums === undefined) {
      sums = { requested: {}, nonZeroRequested: {}, hostPorts: new Map(), pods: new Map() };
      this.#nodes.set(nodeName, sums);
    }
    addResources(sums.requested, assumed.request);
    addResources(sums.nonZeroRequested, assumed.nonZeroRequest);
    for (const port of assumed.hostPorts) sums.hostPorts.set(port, (sums.hostPorts.get(port) ?? 0) + 1);
    sums.pods.set(pod.key, assumed);
    this.#changed(nodeName);
    return assumed;
  }

  /** Drops the assumption; true when there was one. */
  forget(podKey: string): boolean {
    const assumed = this.#pods.get(podKey);
    if (assumed === undefined) return false;
    this.#pods.delete(podKey);
    const sums = this.#nodes.get(assumed.nodeName);
    if (sums !== undefined) {
      sums.pods.delete(podKey);
      if (sums.pods.size === 0) {
        this.#nodes.delete(assumed.nodeName);
      } else {
        subtractResources(sums.requested, assumed.request);
        subtractResources(sums.nonZeroRequested, assumed.nonZeroRequest);
        for (const port of assumed.hostPorts) {
          const count = (sums.hostPorts.get(port) ?? 0) - 1;
          if (count > 0) sums.hostPorts.set(port, count);
          else sums.hostPorts.delete(port);
        }
      }
    }
    this.#changed(assumed.nodeName);
    return true;
  }

  get(podKey: string): AssumedPod | undefined {
    return this.#pods.get(podKey);
  }

  has(podKey: string): boolean {
    return this.#pods.has(podKey);
  }

  get size(): number {
    return this.#pods.size;
  }

  values(): IterableIterator<AssumedPod> {
    return this.#pods.values();
  }

  /** The sums for one node; undefined when nothing is assumed there. */
  onNode(nodeName: string): AssumedNodeSums | undefined {
    return this.#nodes.get(nodeName);
  }

  /**
   * Forgets every assumption the fold has settled: the pod is gone or replaced (other uid), bound
   * (the NodeRecord now counts it), released, or its binding was rejected after it was assumed.
   * Returns the forgotten keys. With `keys`, only those pods are looked at (the ones an event changed):
   * a scheduler with hundreds of bindings in flight need not walk them all for every event.
   */
  reconcile(state: ClusterState, keys?: Iterable<string>): string[] {
    const settled: string[] = [];
    if (keys === undefined) {
      for (const assumed of this.#pods.values()) if (isSettled(state, assumed)) settled.push(assumed.key);
    } else {
      for (const key of keys) {
        const assumed = this.#pods.get(key);
        if (assumed !== undefined && isSettled(state, assumed)) settled.push(key);
      }
    }
    for (const key of settled) this.forget(key);
    return settled;
  }
}

/** The fold has the final word on this assumption: the pod is gone, replaced, bound, released, or its binding lost. */
function isSettled(state: ClusterState, assumed: AssumedPod): boolean {
  const record = state.pods.get(assumed.key);
  return (
    record === undefined ||
    record.pod.metadata.uid !== assumed.uid ||
    record.nodeName !== undefined ||
    record.released ||
    (record.lastBindingRejection !== undefined && record.lastBindingRejection.seq > assumed.resourceVersion)
  );
}
