import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateTrace, parseTrace, serializeRecords, serializeTrace } from '@flotilla/replay';
import { nodeRegistered, podBound, podCreated, toRecord } from '@flotilla/state/testing';
import { cli } from '../cli-harness.ts';
import { fakeApi } from '../fake-api.ts';
import { NOW, node1, runningPod } from '../render/test-fixtures.ts';
import { resolveProfiles } from './replay.ts';

const dir = mkdtempSync(join(tmpdir(), 'flotilla-replay-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MOST_ALLOCATED = `profiles:
  - schedulerName: default-scheduler
    plugins:
      filter: [NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit]
      score: [{ name: NodeResourcesFit, weight: 1 }]
    pluginConfig:
      - name: NodeResourcesFit
        args: { scoringStrategy: { type: MostAllocated } }
`;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const trace = generateTrace({ nodes: [{ count: 4, cpu: '4', memory: '16Gi' }], zones: 2, pods: [{ count: 8, namePrefix: 'web', cpu: '1', memory: '1Gi' }], ratePerSecond: 100 });
const traceFile = file('trace.jsonl', serializeTrace(trace));
const profileFile = file('most-allocated.yaml', MOST_ALLOCATED);

function row(out: string, metric: string): string[] {
  const line = out.split('\n').find((l) => l.trimStart().startsWith(`${metric}  `));
  return line === undefined ? [] : line.trim().slice(metric.length).trim().split(/\s+/);
}

describe('flotilla replay', () => {
  it('replays a trace against each profile and prints them side by side', async () => {
    const run = await cli(['replay', traceFile, '--profile', 'default', '--profile', profileFile]);
    expect(run.code).toBe(0);
    expect(run.err).toBe('replaying 8 pods on 4 nodes with default...\nreplaying 8 pods on 4 nodes with most-allocated...\n');
    expect(run.out.split('\n')[0]).toBe('trace: 4 nodes, 8 pods, over 70 ms');
    expect(run.out.split('\n')[2]!.trim().split(/\s+/)).toEqual(['default', 'most-allocated']);
    expect(row(run.out, 'nodes used')).toEqual(['4', '2']);
    expect(row(run.out, 'bindings')).toEqual(['8', '8']);
  });

  it('prints JSON with -o json, and takes the default profile when none is named', async () => {
    const run = await cli(['replay', traceFile, '-o', 'json', '--seed', '5']);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.out) as { profiles: string[]; results: Array<{ seed: number; pods: { bound: number } }> };
    expect(json.profiles).toEqual(['default']);
    expect(json.results[0]).toMatchObject({ seed: 5, pods: { bound: 8 } });
  });

  it('replays a raw export of a log (flotilla record --raw)', async () => {
    const records = [nodeRegistered({ name: 'node-1' }), podCreated({ name: 'web', cpu: '1' }), podBound({ name: 'web' })].map((event, i) => toRecord(event, i + 1));
    const raw = file('log.jsonl', serializeRecords(records));
    const run = await cli(['replay', raw, '-o', 'json']);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.out) as { trace: { nodes: number; pods: number }; results: Array<{ pods: { bound: number } }> };
    expect(json.trace).toMatchObject({ nodes: 1, pods: 1 });
    expect(json.results[0]!.pods.bound).toBe(1);
  });

  it('names the bad line and field of a trace, and the bad profile file', async () => {
    const broken = file('broken.jsonl', serializeTrace(trace).replace('"cpu":"4"', '"cpu":"four"'));
    const bad = await cli(['replay', broken]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^flotilla replay: .*broken\.jsonl: trace line 2: node\.status\.capacity\.cpu: /);

    const wrongProfile = file('wrong.yaml', MOST_ALLOCATED.replace('MostAllocated', 'MostAllocatd'));
    const badProfile = await cli(['replay', traceFile, '--profile', wrongProfile]);
    expect(badProfile.code).toBe(1);
    expect(badProfile.err).toContain(`flotilla replay: --profile ${wrongProfile}: invalid scheduler configuration ${wrongProfile}:`);
    expect(badProfile.err).toContain('scoringStrategy.type');

    const missing = await cli(['replay', join(dir, 'nope.jsonl')]);
    expect(missing).toMatchObject({ code: 1, out: '' });
    expect(missing.err).toMatch(/^flotilla replay: cannot read .*nope\.jsonl: ENOENT/);

    expect((await cli(['replay', traceFile, '-o', 'yaml'])).code).not.toBe(0);
  });

  it('names columns after the files, one per profile in a file, and tells repeats apart', () => {
    const two = file('two.yaml', `${MOST_ALLOCATED}  - schedulerName: other\n    plugins: { filter: [NodeResourcesFit], score: [] }\n`);
    expect(resolveProfiles(['default', profileFile, two, 'default']).map((p) => p.name)).toEqual(['default', 'most-allocated', 'two/default-scheduler', 'two/other', 'default#2']);
  });
});

describe('flotilla replay of a recorded run', () => {
  // bench/traces/examples.jsonl: `flotilla record` of a real local cluster (see its header).
  const recorded = fileURLToPath(new URL('../../../../bench/traces/examples.jsonl', import.meta.url));

  it('replays it: the ReplicaSet pods are taken, the greedy pod stays pending, the finished pod ends', async () => {
    const run = await cli(['replay', recorded, '-o', 'json']);
    expect(run.code).toBe(0);
    const [result] = (JSON.parse(run.out) as { results: Array<{ pods: Record<string, number>; pendingReasons: Record<string, number>; scheduling: { refusedCreations: number } }> }).results;
    expect(result!.pods).toMatchObject({ pending: 1, succeeded: 1, bound: 23 });
    expect(result!.pendingReasons).toMatchObject({ 'NodeResourcesFit: Insufficient cpu': 1 });
    expect(result!.scheduling.refusedCreations).toBe(0);
  });
});

describe('flotilla record with only --server', () => {
  it('writes a trace of what the API lists, and says what it misses', async () => {
    const api = fakeApi(NOW, { nodes: [node1], pods: [runningPod] });
    const run = await cli(['--server', 'http://127.0.0.1:1', 'record'], { api });
    expect(run.code).toBe(0);
    const recorded = parseTrace(run.out);
    expect(recorded.header.source).toBe('api-snapshot');
    expect(recorded.arrivals.map((a) => a.type)).toEqual(['NodeRegistered', 'PodCreated']);
    expect(run.err).toMatch(/^flotilla record: 1 node, 1 pod, 0 deletions over .* from what http:\/\/127\.0\.0\.1:1 lists now \(no log/);
  });

  it('cannot export the raw log from the API', async () => {
    const run = await cli(['--server', 'http://127.0.0.1:1', 'record', '--raw'], { api: fakeApi(NOW) });
    expect(run).toEqual({ code: 2, out: '', err: 'flotilla record: --raw needs the log itself: give --nats URL (the API does not serve the log)\n' });
  });
});
