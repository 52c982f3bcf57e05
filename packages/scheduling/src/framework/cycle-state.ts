import type { PodRecord } from '@flotilla/state';
/** A typed key into CycleState; the type parameter ties a key to the value stored under it. */
export interface StateKey<T> {
  readonly name: string;
  /** Phantom field: never set, only carries T. */
  readonly __type?: T;
}

export function stateKey<T>(name: string): StateKey<T> {
  return Object.freeze({ name });
}

/** Every pod of the cluster by key, written by the framework at the start of each cycle. */
export const CLUSTER_PODS: StateKey<ReadonlyMap<string, PodRecord>> = stateKey('flotilla/cluster-pods');

/**
 * Data that lives for one scheduling attempt of one pod, as kube-scheduler's CycleState: PreFilter
 * and PreScore write what they computed once, Filter and Score read it for every node.
 */
export class CycleState {
  readonly #values = new Map<StateKey<unknown>, unknown>();
  /** Plugins whose PreFilter returned Skip: their Filter is not run in this cycle. */
  readonly skipFilterPlugins = new Set<string>();
  /** Plugins whose PreScore returned Skip: their Score is not run in this cycle. */
  readonly skipScorePlugins = new Set<string>();

  write<T>(key: StateKey<T>, value: T): void {
    this.#values.set(key, value);
  }

  read<T>(key: StateKey<T>): T | undefined {
    return this.#values.get(key) as T | undefined;
  }

  has(key: StateKey<unknown>): boolean {
    return this.#values.has(key);
  }

  delete(key: StateKey<unknown>): boolean {
    return this.#values.delete(key);
  }

  /** A shallow copy, for what-if runs (preemption evaluates nodes on a clone). */
  clone(): CycleState {
    const copy = new CycleState();
    for (const [key, value] of this.#values) copy.#values.set(key, value);
    for (const name of this.skipFilterPlugins) copy.skipFilterPlugins.add(name);
    for (const name of this.skipScorePlugins) copy.skipScorePlugins.add(name);
    return copy;
  }
}
