import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '@flotilla/events';
import type { Resources } from '@flotilla/model';
import type { ClusterState } from './cluster-state.ts';
import { applyEvent, createClusterState } from './fold.ts';
import {
  container,
  containerStarted,
  containerTerminated,
  nodeRegistered,
  nodeRemoved,
  nodeUpdated,
  podAdmissionRejected,
  podBound,
  podCreated,
  podDeleted,
  podDeletionRequested,
  podSandboxReady,
  podSandboxRemoved,
  toRecord,
} from './testing/index.ts';

/** mulberry32: a small seeded PRNG, so a failing run can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every node's requested fits its allocatable and equals the sum of what the pods bound there hold. */
function checkAccounting(state: ClusterState, context: string): void {
  for (const [name, node] of state.nodes) {
    const expected: Resources = {};
    const keys = new Set<string>();
    const ports = new Set<string>();
    for (const [key, pod] of state.pods) {
      if (pod.nodeName !== name || pod.released) continue;
      keys.add(key);
      for (const [resource, value] of Object.entries(pod.request)) expected[resource] = (expected[resource] ?? 0) + value;
      for (const port of pod.hostPorts) {
        expect(ports.has(port), `${context}: host port ${port} held twice on ${name}`).toBe(false);
        ports.add(port);
      }
    }
    for (const resource of new Set([...Object.keys(expected), ...Object.keys(node.requested)])) {
      const requested = node.requested[resource] ?? 0;
      expect(requested, `${context}: ${name} ${resource} requested vs sum of its pods`).toBe(expected[resource] ?? 0);
      expect(requested, `${context}: ${name} ${resource} over allocatable`).toBeLessThanOrEqual(node.allocatable[resource] ?? 0);
    }
    expect([...node.podKeys].sort(), `${context}: ${name} podKeys`).toEqual([...keys].sort());
    expect([...node.hostPorts].sort(), `${context}: ${name} hostPorts`).toEqual([...ports].sort());
  }
}

function run(seed: number, steps: number): { state: ClusterState; bound: number; rejected: number } {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const state = createClusterState({ maxEvents: 50 });
  let seq = 0;
  let bound = 0;
  let rejected = 0;
  const apply = (event: DomainEvent): void => {
    seq += 1;
    applyEvent(state, toRecord(event, seq));
    checkAccounting(state, `seed ${seed} seq ${seq} ${event.type}`);
  };

  const nodeNames = ['n0', 'n1', 'n2', 'n3', 'n4'].slice(0, 2 + Math.floor(random() * 4));
  for (const name of nodeNames) {
    apply(
      nodeRegistered({
        name,
        cpu: pick(['1', '2', '3500m', '4']),
        memory: pick(['1Gi', '2Gi', '4Gi']),
        pods: pick(['3', '5', '8']),
        ...(random() < 0.3 ? { capacity: { 'example.com/gpu': pick(['1', '2']) } } : {}),
      }),
    );
  }

  const uids = new Map<string, number>(); // pod name -> generation, so names get reused with new uids
  const live = (): string[] => [...state.pods.values()].map((p) => p.pod.metadata.name);
  const ref = (name: string) => ({ name, uid: `${name}-g${uids.get(name) ?? 0}` });
  const staleRef = (name: string) => ({ name, uid: `${name}-g${(uids.get(name) ?? 0) - 1}` });

  for (let step = 0; step < steps; step++) {
    const roll = random();
    const names = live();
    if (roll < 0.25 || names.length === 0) {
      const name = `p${Math.floor(random() * 40)}`;
      if (state.pods.has(`default/${name}`)) continue;
      uids.set(name, (uids.get(name) ?? -1) + 1);
      const withInit = random() < 0.3;
      apply(
        podCreated({
          ...ref(name),
          ...(withInit
            ? {
                initContainers: [
                  container('init', { cpu: pick(['100m', '1', '2']), memory: pick(['64Mi', '1Gi']) }),
                  container('proxy', { cpu: pick(['50m', '250m']), sidecar: true, ...(random() < 0.3 ? { hostPort: pick([9000, 9001]) } : {}) }),
                ],
                containers: [container('app', { cpu: pick(['100m', '500m', '1']), memory: pick(['128Mi', '512Mi']) })],
              }
            : {
                cpu: pick(['100m', '250m', '500m', '1', '2']),
                memory: pick(['64Mi', '256Mi', '1Gi']),
                ...(random() < 0.2 ? { requests: { 'example.com/gpu': '1' } } : {}),
                ...(random() < 0.3 ? { hostPorts: [pick([80, 443, 8080])] } : {}),
              }),
        }),
      );
    } else if (roll < 0.65) {
      // Bindings, some of them stale: the heart of the property.
      const name = pick(names);
      const before = state.pods.get(`default/${name}`)?.nodeName;
      apply(podBound({ ...(random() < 0.1 ? staleRef(name) : ref(name)), nodeName: pick([...nodeNames, 'ghost']) }));
      const after = state.pods.get(`default/${name}`)?.nodeName;
      if (before === undefined && after !== undefined) bound++;
      else rejected++;
    } else {
      const name = pick(names);
      const pod = state.pods.get(`default/${name}`);
      const nodeName = pod?.nodeName ?? pick(nodeNames);
      const r = random() < 0.1 ? { ...staleRef(name), nodeName } : { ...ref(name), nodeName };
      const kind = random();
      if (kind < 0.15) apply(podSandboxReady({ ...r, podIP: `10.0.0.${Math.floor(random() * 250)}` }));
      else if (kind < 0.3) apply(containerStarted(r));
      else if (kind < 0.45) apply(containerTerminated({ ...r, exitCode: pick([0, 1]) }));
      else if (kind < 0.55) apply(podAdmissionRejected(r));
      else if (kind < 0.65) apply(podDeletionRequested(r));
      else if (kind < 0.75) apply(podSandboxRemoved(r));
      else if (kind < 0.88) apply(podDeleted(r));
      else if (kind < 0.96) apply(nodeUpdated({ name: pick(nodeNames), unschedulable: random() < 0.5 }));
      else if (kind < 0.98) apply(nodeRemoved({ name: pick(nodeNames) }));
      else {
        // A removed node comes back under its name (same capacity: the fold keeps what its pods held).
        const back = pick(nodeNames);
        if (!state.nodes.has(back)) apply(nodeRegistered({ name: back, cpu: '4', memory: '4Gi', pods: '8' }));
      }
    }
  }
  return { state, bound, rejected };
}

describe('no node is ever over allocatable', () => {
  for (const seed of [1, 2, 3, 42, 1234, 99991]) {
    it(`seed ${seed}: after every event, requested <= allocatable and requested = sum of held pods`, () => {
      const { bound, rejected } = run(seed, 600);
      // The run exercised both sides of the arbitration.
      expect(bound).toBeGreaterThan(10);
      expect(rejected).toBeGreaterThan(10);
    });
  }
});
