// Golden output of the time-travel renderers (history and diff) on fixed answers.
import { describe, expect, it } from 'vitest';
import type { ClusterDiff, ObjectHistory } from '@flotilla/client';
import { diffText } from './diff.ts';
import { historyTable, shortUid } from './history.ts';

describe('history table', () => {
  it('has no UID column while the name had one object, and shows <none> for events before any uid', () => {
    const history: ObjectHistory = {
      apiVersion: 'v1',
      kind: 'History',
      metadata: { resourceVersion: '40' },
      object: { kind: 'Node', name: 'node-2' },
      uids: ['5f0c7a1e-aaaa-4bbb-8ccc-123456789abc'],
      items: [
        { seq: 4, time: '2024-05-01T11:00:00.000Z', type: 'NodeRegistered', source: 'node-agent/node-2', uid: '5f0c7a1e-aaaa-4bbb-8ccc-123456789abc', summary: 'registered (cpu 8, memory 16Gi)' },
        { seq: 31, time: '2024-05-01T11:05:00.000Z', type: 'NodeMarkedUnreachable', source: 'controller', uid: '5f0c7a1e-aaaa-4bbb-8ccc-123456789abc', summary: 'marked unreachable: Kubelet stopped posting node status.' },
      ],
    };
    expect(historyTable(history)).toBe(
      [
        'SEQ   TIME                       TYPE                    SOURCE              SUMMARY',
        '4     2024-05-01T11:00:00.000Z   NodeRegistered          node-agent/node-2   registered (cpu 8, memory 16Gi)',
        '31    2024-05-01T11:05:00.000Z   NodeMarkedUnreachable   controller          marked unreachable: Kubelet stopped posting node status.',
        '',
      ].join('\n'),
    );
    expect(shortUid(undefined)).toBe('<none>');
    expect(shortUid('uid-web')).toBe('uid');
  });
});

describe('diff text', () => {
  const base = { apiVersion: 'v1' as const, kind: 'ClusterDiff' as const, from: { at: '2024-05-01T11:00:00Z', resourceVersion: '17' }, to: { at: '40', resourceVersion: '40' } };

  it('leaves out NAMESPACE when only nodes changed and shows the time each side was asked as', () => {
    const diff: ClusterDiff = {
      ...base,
      changes: [
        { kind: 'Node', name: 'node-2', uid: 'u2', change: 'Changed', fields: [
          { field: 'conditions', from: 'Ready=True', to: 'Ready=Unknown' },
          { field: 'taints', from: '<none>', to: 'node.kubernetes.io/unreachable:NoSchedule,node.kubernetes.io/unreachable:NoExecute' },
        ] },
        { kind: 'Node', name: 'node-3', uid: 'u3', change: 'Added', fields: [{ field: 'conditions', from: null, to: 'Ready=True' }, { field: 'taints', from: null, to: '<none>' }, { field: 'unschedulable', from: null, to: 'false' }] },
      ],
    };
    expect(diffText(diff)).toBe(
      [
        'From resourceVersion 17 (2024-05-01T11:00:00Z) to 40:',
        'KIND   NAME     CHANGE    DETAILS',
        'node   node-2   changed   conditions: Ready=True -> Ready=Unknown, taints: <none> -> node.kubernetes.io/unreachable:NoSchedule,node.kubernetes.io/unreachable:NoExecute',
        'node   node-3   added     conditions=Ready=True taints=<none> unschedulable=false',
        '',
      ].join('\n'),
    );
  });

  it('names replicasets as kubectl does and says when nothing changed', () => {
    const diff: ClusterDiff = {
      ...base,
      changes: [{ kind: 'ReplicaSet', namespace: 'default', name: 'hello', uid: 'u', change: 'Changed', fields: [{ field: 'replicas', from: '8', to: '12' }] }],
    };
    expect(diffText(diff)).toBe(
      ['From resourceVersion 17 (2024-05-01T11:00:00Z) to 40:', 'KIND              NAMESPACE   NAME    CHANGE    DETAILS', 'replicaset.apps   default     hello   changed   replicas: 8 -> 12', ''].join('\n'),
    );
    expect(diffText({ ...base, changes: [] })).toBe('From resourceVersion 17 (2024-05-01T11:00:00Z) to 40:\nNo changes.\n');
  });
});
