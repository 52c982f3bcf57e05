import { describe, expect, it } from 'vitest';
import { StreamingTable, formatLabels, nodeRoles, podTable, renderTable } from './get-table.ts';
import { NOW, node1, node2, runningPod } from './test-fixtures.ts';

describe('StreamingTable (get -w)', () => {
  it('prints later rows under the first table and widens columns for wider cells', () => {
    const table = podTable([runningPod], { now: NOW });
    const stream = new StreamingTable(table);
    const first = renderTable(table);
    expect(stream.line(table.rows[0]!)).toBe(first.split('\n')[1] + '\n');
    expect(stream.line(['a-much-longer-pod-name', '0/1', 'Pending', '0', '1s'])).toBe('a-much-longer-pod-name   0/1     Pending   0          1s\n');
    expect(stream.line(table.rows[0]!)).toBe('web                      1/1     Running   0          5m10s\n');
  });
});

describe('labels and roles', () => {
  it('formats labels sorted, <none> when empty', () => {
    expect(formatLabels({ b: '2', a: '1' })).toBe('a=1,b=2');
    expect(formatLabels(undefined)).toBe('<none>');
  });

  it('finds roles in node-role labels and kubernetes.io/role', () => {
    expect(nodeRoles(node1)).toEqual(['worker']);
    expect(nodeRoles({ ...node2, metadata: { ...node2.metadata, labels: { 'kubernetes.io/role': 'edge', 'node-role.kubernetes.io/control-plane': '' } } })).toEqual(['control-plane', 'edge']);
  });
});
