import type { ClusterState, KubeEvent } from './cluster-state.ts';

export interface KubeEventInput {
  involvedObject: KubeEvent['involvedObject'];
  reason: string;
  message: string;
  type: KubeEvent['type'];
  source: KubeEvent['source'];
}

/**
 * A core/v1 Event for the domain event at `seq`. Everything is derived from the log position, so
 * every process folding the same log names the same Event the same way: name
 * `${involvedName}.${seq in hex}` (Kubernetes uses a hex timestamp there), uid `ev-${seq}`, and a
 * `-${n}` suffix for the n-th further Event the same domain event produces. Node Events live in
 * the `default` namespace, as in Kubernetes; Pod and ReplicaSet Events in their object's.
 */
export function kubeEvent(input: KubeEventInput, seq: number, time: string, ordinal = 0): KubeEvent {
  const suffix = ordinal === 0 ? '' : `-${ordinal}`;
  // Namespaced objects' Events live in their namespace; Node Events in `default`.
  const namespace = input.involvedObject.kind === 'Node' ? 'default' : (input.involvedObject.namespace ?? 'default');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${input.involvedObject.name}.${seq.toString(16)}${suffix}`,
      namespace,
      uid: `ev-${seq}${suffix}`,
      resourceVersion: String(seq),
      creationTimestamp: time,
    },
    involvedObject: input.involvedObject,
    reason: input.reason,
    message: input.message,
    type: input.type,
    source: input.source,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}

export function kubeEventKey(event: KubeEvent): string {
  return `${event.metadata.namespace}/${event.metadata.name}`;
}

/**
 * The Events kept about one object, oldest first (what `kubectl describe` lists). Pass `uid` to leave
 * out Events about an earlier object of the same name.
 */
export function eventsFor(
  state: ClusterState,
  kind: KubeEvent['involvedObject']['kind'],
  namespace: string | undefined,
  name: string,
  uid?: string,
): KubeEvent[] {
  return state.events.filter((event) => {
    const involved = event.involvedObject;
    if (involved.kind !== kind || involved.name !== name) return false;
    if (kind !== 'Node' && involved.namespace !== namespace) return false;
    return uid === undefined || involved.uid === uid;
  });
}
