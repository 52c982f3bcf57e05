// A generated, seeded log for snapshot specs: nodes come and go, pods are created, bound, started,
// made ready, deleted, evicted; ReplicaSets are created, scaled and deleted. Many events are invalid
// for the state they arrive in (a bind to a removed node, status for a deleted pod): the fold must
// reject those identically whether it started from 0 or from a snapshot, so they are kept on purpose.
import type { DomainEvent } from '@flotilla/events';
import {
  containerReadinessChanged,
  containerStarted,
  containerTerminated,
  nodeEvictionTaintAdded,
  nodeMarkedReachable,
  nodeMarkedUnreachable,
  nodeRegistered,
  nodeRemoved,
  nodeUpdated,
  ownedPodCreated,
  podBound,
  podCreated,
  podDeleted,
  podDeletionRequested,
  podEvicted,
  podNominated,
  podSandboxReady,
  podSandboxRemoved,
  podSchedulingFailed,
  replicaSetCreated,
  replicaSetDeleted,
  replicaSetScaled,
} from '@flotilla/state/testing';
import { mulberry32 } from '@flotilla/runtime';

const random = mulberry32;

export interface GeneratedLogOptions {
  nodes?: number;
  pods?: number;
  replicaSets?: number;
}

/** `length` domain events drawn from small pools of names, so that they interact. */
export function generatedLog(seed: number, length: number, options: GeneratedLogOptions = {}): DomainEvent[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const nodes = Array.from({ length: options.nodes ?? 4 }, (_, i) => `node-${i}`);
  const pods = Array.from({ length: options.pods ?? 12 }, (_, i) => `pod-${i}`);
  const sets = Array.from({ length: options.replicaSets ?? 2 }, (_, i) => `rs-${i}`);
  const ips = new Map<string, number>();
  const out: DomainEvent[] = [];
  for (const name of nodes.slice(0, 2)) out.push(nodeRegistered({ name, cpu: '4', memory: '8Gi', podCIDR: null }));
  while (out.length < length) {
    const node = pick(nodes);
    const pod = pick(pods);
    const set = pick(sets);
    const roll = next();
    if (roll < 0.06) out.push(nodeRegistered({ name: node, cpu: pick(['2', '4', '8']), memory: '8Gi', podCIDR: next() < 0.2 ? `10.250.${nodes.indexOf(node)}.0/24` : null }));
    else if (roll < 0.08) out.push(nodeRemoved({ name: node }));
    else if (roll < 0.1) out.push(nodeUpdated({ name: node, unschedulable: next() < 0.5, labels: { zone: pick(['a', 'b']) } }));
    else if (roll < 0.2) out.push(podCreated({ name: pod, cpu: pick(['100m', '500m', '1']), hostPorts: next() < 0.1 ? [8080] : [], priority: Math.floor(next() * 3) * 100 }));
    else if (roll < 0.3) out.push(podBound({ name: pod, nodeName: node }));
    else if (roll < 0.33) out.push(podSchedulingFailed({ name: pod }));
    else if (roll < 0.35) out.push(podNominated({ name: pod, nodeName: node, victims: [pick(pods)] }));
    else if (roll < 0.43) {
      const ip = (ips.get(node) ?? 1) + 1;
      ips.set(node, ip);
      out.push(podSandboxReady({ name: pod, nodeName: node, podIP: `10.244.${nodes.indexOf(node)}.${ip % 250}` }));
    } else if (roll < 0.5) out.push(containerStarted({ name: pod, nodeName: node }));
    else if (roll < 0.56) out.push(containerReadinessChanged({ name: pod, nodeName: node, ready: next() < 0.8 }));
    else if (roll < 0.58) out.push(containerTerminated({ name: pod, nodeName: node }));
    else if (roll < 0.63) out.push(podDeletionRequested({ name: pod, gracePeriodSeconds: 0 }));
    else if (roll < 0.66) out.push(podSandboxRemoved({ name: pod, nodeName: node }));
    else if (roll < 0.7) out.push(podDeleted({ name: pod }));
    else if (roll < 0.72) out.push(nodeMarkedUnreachable({ name: node }));
    else if (roll < 0.73) out.push(nodeEvictionTaintAdded({ name: node }));
    else if (roll < 0.75) out.push(nodeMarkedReachable({ name: node }));
    else if (roll < 0.77) out.push(podEvicted({ name: pod, nodeName: node }));
    else if (roll < 0.8) out.push(replicaSetCreated({ name: set, replicas: 1 + Math.floor(next() * 3), minReadySeconds: pick([0, 0, 5]) }));
    else if (roll < 0.83) out.push(replicaSetScaled({ name: set, replicas: Math.floor(next() * 4) }));
    else if (roll < 0.84) out.push(replicaSetDeleted({ name: set }));
    else {
      // An owned pod: the RS lifecycle goes through the same bind/start/ready steps.
      const ordinal = Math.floor(next() * 4);
      const name = `${set}-${ordinal}`;
      const step = next();
      if (step < 0.35) out.push(ownedPodCreated(String(ordinal), { owner: set, cpu: '100m' }));
      else if (step < 0.6) out.push(podBound({ name, nodeName: node }));
      else if (step < 0.75) out.push(containerStarted({ name, nodeName: node }));
      else if (step < 0.9) out.push(containerReadinessChanged({ name, nodeName: node, ready: true }));
      else out.push(podDeletionRequested({ name, gracePeriodSeconds: 0 }));
    }
  }
  return out.slice(0, length);
}
