// Golden output of `flotilla top nodes` over the fake API.
import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '@flotilla/model';
import { cli } from '../cli-harness.ts';
import { fakeApi } from '../fake-api.ts';
import { NOW, node1, node2, runningPod } from '../render/test-fixtures.ts';
import { TOP_NODES_NOTE } from '../render/top.ts';

/** A copy of the fixture's running pod on `nodeName`, one container requesting `cpu` and `memory`. */
function pod(name: string, nodeName: string | undefined, cpu: string, memory: string, phase = 'Running'): Pod {
  const copy = structuredClone(runningPod);
  copy.metadata.name = name;
  copy.metadata.uid = `uid-${name}`;
  if (nodeName === undefined) delete copy.spec.nodeName;
  else copy.spec.nodeName = nodeName;
  copy.spec.containers = [{ ...copy.spec.containers[0]!, resources: { requests: { cpu, memory } } }];
  copy.status = { ...copy.status, phase: phase as 'Running' };
  return copy;
}

// node-1: 4 CPU / 8Gi allocatable; node-2: 2 CPU / 4Gi; node-0: nothing allocatable reported.
const node0: Node = { ...structuredClone(node2), metadata: { ...node2.metadata, name: 'node-0', labels: { zone: 'b' } }, status: { capacity: {}, allocatable: {} } };
const pods = [
  pod('a', 'node-1', '500m', '1Gi'),
  pod('b', 'node-1', '1500m', '512Mi'),
  pod('c', 'node-2', '1', '3Gi'),
  // Finished pods hold nothing; pending ones are on no node.
  pod('done', 'node-2', '1', '1Gi', 'Succeeded'),
  pod('waiting', undefined, '3', '1Gi', 'Pending'),
];
const api = () => fakeApi(NOW, { nodes: [node2, node1, node0], pods });

describe('flotilla top nodes', () => {
  it('prints CPU and memory requested against allocatable, by name, with a note that it is not usage', async () => {
    const run = await cli(['top', 'nodes'], { api: api() });
    expect(run.code).toBe(0);
    expect(run.err).toBe(TOP_NODES_NOTE);
    expect(run.out).toBe(
      [
        'NAME     CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)',
        'node-0   0m           <unknown>   0Mi             <unknown>',
        'node-1   2000m        50%         1536Mi          18%',
        'node-2   1000m        50%         3072Mi          75%',
      ].join('\n') + '\n',
    );
  });

  it('--sort-by memory puts the largest first; --no-headers drops the header and the note', async () => {
    const run = await cli(['top', 'node', '--sort-by', 'memory', '--no-headers'], { api: api() });
    expect(run).toEqual({
      code: 0,
      err: '',
      out: ['node-2   1000m   50%         3072Mi   75%', 'node-1   2000m   50%         1536Mi   18%', 'node-0   0m      <unknown>   0Mi      <unknown>'].join('\n') + '\n',
    });
  });

  it('--sort-by cpu, a name, and a label selector', async () => {
    expect((await cli(['top', 'nodes', '--sort-by', 'cpu', '--no-headers'], { api: api() })).out.split('\n').map((line) => line.split(/\s+/)[0])).toEqual([
      'node-1',
      'node-2',
      'node-0',
      '',
    ]);
    const one = await cli(['top', 'nodes', 'node-2'], { api: api() });
    expect(one.out).toBe('NAME     CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)\nnode-2   1000m        50%      3072Mi          75%\n');
    const selected = await cli(['top', 'no', '-l', 'zone=b', '--no-headers'], { api: api() });
    expect(selected.out).toBe('node-0   0m    <unknown>   0Mi   <unknown>\n');
  });

  it('errors: an unknown node (exit 1), a bad --sort-by, no nodes at all', async () => {
    const missing = await cli(['top', 'nodes', 'nope'], { api: api() });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('nodes "nope" not found');
    const bad = await cli(['top', 'nodes', '--sort-by', 'disk'], { api: api() });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('expected one of: cpu, memory');
    const empty = await cli(['top', 'nodes'], { api: fakeApi(NOW) });
    expect(empty).toEqual({ code: 0, out: '', err: 'No resources found\n' });
  });
});
