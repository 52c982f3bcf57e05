import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '@flotilla/model';
import { nodeRegistered, podCreated } from '@flotilla/state/testing';
import { traceFromSnapshot } from './snapshot.ts';

function node(name: string, at: string): Node {
  const registered = nodeRegistered({ name }).data.node;
  return {
    ...registered,
    metadata: { ...registered.metadata, creationTimestamp: at, resourceVersion: '7' },
    spec: { ...registered.spec, taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }, { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
    status: { ...registered.status, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function pod(name: string, at: string, status: Pod['status'] = { phase: 'Running' }): Pod {
  const created = podCreated({ name, cpu: '100m' }).data.pod;
  return { ...created, metadata: { ...created.metadata, creationTimestamp: at }, spec: { ...created.spec, nodeName: 'node-1' }, status };
}

describe('traceFromSnapshot', () => {
  it('orders what the API lists by creation time, as it was registered and created', () => {
    const trace = traceFromSnapshot({
      nodes: [node('node-2', '2026-01-01T00:00:02.000Z'), node('node-1', '2026-01-01T00:00:00.000Z')],
      pods: [pod('web', '2026-01-01T00:00:05.000Z'), pod('done', '2026-01-01T00:00:03.000Z', { phase: 'Succeeded' })],
    });
    expect(trace.header).toMatchObject({ startedAt: '2026-01-01T00:00:00.000Z', source: 'api-snapshot' });
    expect(trace.arrivals.map((a) => [a.t, a.type])).toEqual([
      [0, 'NodeRegistered'],
      [2000, 'NodeRegistered'],
      [5000, 'PodCreated'],
    ]);
    const first = trace.arrivals[0]!;
    expect(first.type === 'NodeRegistered' && first.node.spec?.taints).toEqual([{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
    expect(first.type === 'NodeRegistered' && first.node.status?.conditions).toBeUndefined();
    expect(first.type === 'NodeRegistered' && first.node.metadata.resourceVersion).toBeUndefined();
    const web = trace.arrivals[2]!;
    expect(web.type === 'PodCreated' && web.pod.spec.nodeName).toBeUndefined();
  });
});
