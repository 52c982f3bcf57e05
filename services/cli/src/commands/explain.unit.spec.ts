// `flotilla explain pod` and `flotilla plan` through the program, over a stub API (injected fetch).
import { describe, expect, it } from 'vitest';
import type { PodScheduling, PodSchedulingPlan } from '@flotilla/client';
import { buildProgram } from '../program.ts';
import type { Io } from './context.ts';
import { EXIT_NO_NODE_FITS } from './explain.ts';

const NOW = new Date('2024-05-01T12:00:00Z');

const scheduling: PodScheduling = {
  apiVersion: 'v1',
  kind: 'PodScheduling',
  metadata: { name: 'web', namespace: 'team-a', uid: 'uid-web', resourceVersion: '9' },
  schedulerName: 'default-scheduler',
  nodeName: 'n1',
  attempts: 1,
  lastScheduling: {
    seq: 8,
    attempt: 1,
    schedulerName: 'default-scheduler',
    outcome: 'Bound',
    nodeName: 'n1',
    verdicts: [{ node: 'n1', score: 381, scores: { NodeResourcesFit: 81 }, plugins: { NodeResourcesFit: { raw: 81, normalized: 81, weighted: 81 } } }],
    summary: { nodes: 1, evaluated: 1, feasible: 1, rejectedBy: {} },
  },
};

const notFound = (name: string) => ({ apiVersion: 'v1', kind: 'Status', status: 'Failure', message: `pods "${name}" not found`, reason: 'NotFound', code: 404, details: { name, kind: 'pods' } });

/** A stub API: the scheduling record of team-a/web, and plans that fit unless the pod asks for 64 CPUs. */
function stub(requests: string[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = init?.method ?? 'GET';
    requests.push(`${method} ${url.pathname}${url.search}`);
    const reply = (code: number, body: unknown) => new Response(JSON.stringify(body), { status: code, headers: { 'content-type': 'application/json' } });
    if (method === 'GET' && url.pathname === '/api/v1/namespaces/team-a/pods/web/scheduling') return reply(200, scheduling);
    if (method === 'GET' && url.pathname.endsWith('/scheduling')) return reply(404, notFound(url.pathname.split('/').at(-2)!));
    if (method === 'POST' && url.pathname.endsWith('/pods/plan')) {
      const manifest = JSON.parse(String(init?.body)) as { spec?: { containers?: Array<{ resources?: { requests?: { cpu?: string } } }> } };
      const huge = manifest.spec?.containers?.[0]?.resources?.requests?.cpu === '64';
      const plan: PodSchedulingPlan = huge
        ? { apiVersion: 'v1', kind: 'PodSchedulingPlan', schedulerName: 'default-scheduler', resourceVersion: '9', feasible: false, message: '0/1 nodes are available: 1 Insufficient cpu.', verdicts: [{ node: 'n1', rejectedBy: 'NodeResourcesFit', reasons: ['Insufficient cpu'] }], summary: { nodes: 1, evaluated: 1, feasible: 0, rejectedBy: { 'NodeResourcesFit: Insufficient cpu': 1 } } }
        : { apiVersion: 'v1', kind: 'PodSchedulingPlan', schedulerName: 'default-scheduler', resourceVersion: '9', feasible: true, nodeName: 'n1', verdicts: scheduling.lastScheduling!.verdicts, summary: scheduling.lastScheduling!.summary! };
      return reply(200, plan);
    }
    return reply(404, { kind: 'Status', reason: 'NotFound', code: 404, message: 'no route' });
  }) as typeof fetch;
}

async function cli(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string; requests: string[] }> {
  let out = '';
  let err = '';
  const requests: string[] = [];
  const io: Io = { out: (t) => (out += t), err: (t) => (err += t) };
  let pending: Promise<number> | undefined;
  const program = buildProgram(io, (code) => (pending = code), { fetch: stub(requests), now: () => NOW, localTime: false, readStdin: async () => stdin, exitOverride: true, env: {} });
  let code = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
    code = pending ? await pending : 0;
  } catch (error) {
    code = (error as { exitCode?: number }).exitCode ?? 1;
  }
  return { code, out, err, requests };
}

const pod = (cpu: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: x\n    resources: {requests: {cpu: '${cpu}'}}\n`;

describe('flotilla explain', () => {
  it('prints the verdict table and the chosen node', async () => {
    const run = await cli(['explain', 'pod', 'web', '-n', 'team-a']);
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).toBe(
      [
        'Pod team-a/web: attempt 1 by default-scheduler, log position 8.',
        '',
        'NODE   FILTER   NodeResourcesFit   TOTAL',
        'n1     passed   81 (81)            381',
        '',
        'Chosen node: n1 (score 381)',
        '',
      ].join('\n'),
    );
    expect((await cli(['explain', 'pod/web', '-n', 'team-a'])).code).toBe(0);
  });

  it('says what is missing or wrong', async () => {
    const missing = await cli(['explain', 'pod', 'nope']);
    expect(missing).toMatchObject({ code: 1, out: '', err: 'Error from server (NotFound): pods "nope" not found\n' });
    expect(await cli(['explain', 'node', 'n1'])).toMatchObject({ code: 1, err: 'error: explain supports pods: flotilla explain pod NAME\n' });
    expect(await cli(['explain', 'pod'])).toMatchObject({ code: 1, err: 'error: explain needs a pod name: flotilla explain pod NAME\n' });
  });
});

describe('flotilla plan', () => {
  it('exit 0 and the node when the pod fits, without creating it', async () => {
    const run = await cli(['plan', '-f', '-'], pod('1'));
    expect(run.code).toBe(0);
    expect(run.out.endsWith('pod/web would be placed on node n1 (score 381)\n')).toBe(true);
    expect(run.requests).toEqual(['POST /api/v1/namespaces/default/pods/plan']);
  });

  it(`exit ${EXIT_NO_NODE_FITS} and the scheduler's message when no node fits`, async () => {
    const run = await cli(['plan', '-f', '-'], pod('64'));
    expect(run.code).toBe(2);
    expect(run.out).toContain('n1     NodeResourcesFit: Insufficient cpu   -\n');
    expect(run.out.endsWith('pod/web would not be scheduled: 0/1 nodes are available: 1 Insufficient cpu.\n')).toBe(true);
  });

  it('exit 1 for input it cannot plan', async () => {
    const node = 'apiVersion: v1\nkind: Node\nmetadata:\n  name: n9\n';
    expect(await cli(['plan', '-f', '-'], node)).toMatchObject({ code: 1, err: 'error: -: plan takes Pod manifests, not "Node"\n' });
    expect(await cli(['plan', '-f', '-'], '')).toMatchObject({ code: 1, err: 'error: no objects passed to plan\n' });
    const mismatch = await cli(['plan', '-n', 'other', '-f', '-'], pod('1').replace('  name: web\n', '  name: web\n  namespace: team-a\n'));
    expect(mismatch.code).toBe(1);
    expect(mismatch.err).toContain('does not match the namespace "other"');
  });
});
