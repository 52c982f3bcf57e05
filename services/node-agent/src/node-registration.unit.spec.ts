import { describe, expect, it } from 'vitest';
import { given, nodeUpdated } from '@flotilla/state/testing';
import type { NodeRegistered } from '@flotilla/events';
import { kubeArch, nodeManifest, registrationFor } from './node-registration.ts';
import { nodeConfig } from './test-harness.ts';

const runtime = { mode: 'sim', version: 'sim://0.1.0' };
const T = '2026-01-01T00:00:00.000Z';

describe('node registration decision', () => {
  it('registers a node the fold does not hold, with a new uid and no pod CIDR (the fold assigns it)', () => {
    const node = registrationFor(undefined, nodeManifest(nodeConfig(), runtime, T), { uid: () => 'uid-new', now: T });
    expect(node?.metadata).toMatchObject({ name: 'node-1', uid: 'uid-new', creationTimestamp: T });
    expect(node?.spec.podCIDR).toBeUndefined();
  });

  it('skips an identical node, even with labels and taints others added since; re-registers a changed one under the same uid', () => {
    const first = registrationFor(undefined, nodeManifest(nodeConfig(), runtime, T), { uid: () => 'uid-1', now: T })!;
    const registeredEvent: NodeRegistered = { type: 'NodeRegistered', data: { node: first } };
    const state = given(
      registeredEvent,
      nodeUpdated({ name: 'node-1', labels: { ...first.metadata.labels, team: 'x' }, taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }),
    ).state();
    const existing = state.nodes.get('node-1');
    const later = '2026-02-01T00:00:00.000Z';
    expect(registrationFor(existing, nodeManifest(nodeConfig(), runtime, later), { uid: () => 'uid-2', now: later })).toBeUndefined();

    const bigger = nodeManifest(nodeConfig('node-1', { capacity: { cpu: '8', memory: '8Gi', pods: '110' } }), runtime, later);
    expect(registrationFor(existing, bigger, { uid: () => 'uid-2', now: later })?.metadata).toMatchObject({ uid: 'uid-1', creationTimestamp: T });
    const relabelled = nodeManifest(nodeConfig('node-1', { labels: { zone: 'b' } }), runtime, later);
    expect(registrationFor(existing, relabelled, { uid: () => 'uid-2', now: later })).toBeDefined();
    const tainted = nodeManifest(nodeConfig('node-1', { taints: [{ key: 'k', effect: 'NoSchedule' }] }), runtime, later);
    expect(registrationFor(existing, tainted, { uid: () => 'uid-2', now: later })).toBeDefined();
  });

  it('maps Node.js architectures to Kubernetes names', () => {
    expect(kubeArch('x64')).toBe('amd64');
    expect(kubeArch('arm64')).toBe('arm64');
  });
});
