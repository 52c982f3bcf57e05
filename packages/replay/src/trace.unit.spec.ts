import { describe, expect, it } from 'vitest';
import { generateTrace } from './generate.ts';
import { TraceParseError, looksLikeTrace, parseTrace, serializeTrace, traceCounts } from './trace.ts';
import type { Trace } from './trace.ts';

const HEADER = '{"kind":"FlotillaTrace","version":1,"startedAt":"2026-01-01T00:00:00.000Z"}';
const NODE = '{"t":0,"type":"NodeRegistered","node":{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"},"status":{"capacity":{"cpu":"4","memory":"8Gi"}}}}';
const POD = '{"t":5,"type":"PodCreated","pod":{"namespace":"default","name":"p1","spec":{"containers":[{"name":"app"}]}}}';

function parseError(text: string): TraceParseError {
  try {
    parseTrace(text);
  } catch (error) {
    if (error instanceof TraceParseError) return error;
    throw error;
  }
  throw new Error('expected a TraceParseError');
}

describe('trace format', () => {
  it('round-trips every kind of arrival through JSON Lines', () => {
    const trace: Trace = generateTrace({
      nodes: [{ count: 2, cpu: '4', memory: '8Gi' }],
      zones: 2,
      pods: [{ count: 3, namePrefix: 'web', cpu: '500m', memory: '1Gi', labels: { app: 'web' }, lifetimeMs: { min: 100, max: 200 } }],
      ratePerSecond: 10,
    });
    trace.arrivals.push(
      { t: 1000, type: 'NodeUpdated', name: 'node-1', unschedulable: true, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
      { t: 1100, type: 'NodeFailed', name: 'node-2', evictAfterMs: 300 },
      { t: 1200, type: 'NodeRecovered', name: 'node-2' },
      { t: 1300, type: 'NodeRemoved', name: 'node-1' },
    );
    const text = serializeTrace(trace);
    expect(text.split('\n')).toHaveLength(trace.arrivals.length + 2); // header, arrivals, final newline
    expect(parseTrace(text)).toEqual(trace);
    expect(looksLikeTrace(text)).toBe(true);
    expect(traceCounts(trace)).toEqual({ nodes: 2, pods: 3, deletions: 3, nodeUpdates: 1, nodeRemovals: 1, nodeFailures: 1, durationMs: 1300 });
  });

  it('skips blank lines but counts them in line numbers', () => {
    const trace = parseTrace(`${HEADER}\n\n${NODE}\n${POD}\n`);
    expect(trace.arrivals.map((a) => a.type)).toEqual(['NodeRegistered', 'PodCreated']);
    expect(parseError(`${HEADER}\n\n{"t":1,"type":"NodeRemoved"}`).message).toBe('trace line 3: name: Invalid input: expected string, received undefined');
  });

  it('names the line and the field that is wrong', () => {
    const badPod = '{"t":5,"type":"PodCreated","pod":{"namespace":"default","name":"p1","spec":{"containers":[{"name":7}]}}}';
    const error = parseError(`${HEADER}\n${NODE}\n${badPod}`);
    expect(error.line).toBe(3);
    expect(error.path).toBe('pod.spec.containers[0].name');
    expect(error.message).toMatch(/^trace line 3: pod\.spec\.containers\[0\]\.name: /);
  });

  it('rejects negative or fractional times, unknown fields and unknown arrival types', () => {
    expect(parseError(`${HEADER}\n{"t":-1,"type":"NodeRemoved","name":"n1"}`).path).toBe('t');
    expect(parseError(`${HEADER}\n{"t":1.5,"type":"NodeRemoved","name":"n1"}`).path).toBe('t');
    expect(parseError(`${HEADER}\n{"t":1,"type":"NodeRemoved","name":"n1","extra":true}`).message).toMatch(/^trace line 2: .*extra/);
    const unknown = parseError(`${HEADER}\n{"t":1,"type":"PodExploded","name":"n1"}`);
    expect(unknown.line).toBe(2);
    expect(unknown.path).toBe('type');
  });

  it('requires arrivals in time order', () => {
    const error = parseError(`${HEADER}\n${POD}\n{"t":4,"type":"NodeRemoved","name":"n1"}`);
    expect(error.message).toBe('trace line 3: t: 4 is earlier than the line before (5): arrivals must be in time order');
  });

  it('requires a valid header first', () => {
    expect(parseError('').message).toMatch(/^trace line 1: empty: expected a header line/);
    expect(parseError('{"kind":"FlotillaTrace","version":2,"startedAt":"2026-01-01T00:00:00.000Z"}').path).toBe('version');
    expect(parseError('{"kind":"FlotillaTrace","version":1,"startedAt":"yesterday"}').path).toBe('startedAt');
    expect(parseError(`${HEADER.slice(0, -1)}\n`).message).toMatch(/^trace line 1: not valid JSON/);
    expect(looksLikeTrace('{"seq":1,"event":{}}')).toBe(false);
  });

  it('validates nodes like the API does, and wants them named', () => {
    const unnamed = '{"t":0,"type":"NodeRegistered","node":{"apiVersion":"v1","kind":"Node","metadata":{},"status":{"capacity":{"cpu":"4"}}}}';
    expect(parseError(`${HEADER}\n${unnamed}`).path).toBe('node.metadata.name');
  });
});

describe('trace format: what the API would refuse', () => {
  it('names a bad quantity or name in a node or a pod', () => {
    expect(parseError(`${HEADER}\n${NODE.replace('"cpu":"4"', '"cpu":"four"')}`).message).toBe('trace line 2: node.status.capacity.cpu: invalid quantity "four"');
    expect(parseError(`${HEADER}\n${POD.replace('"containers":[{"name":"app"}]', '"containers":[{"name":"app","resources":{"requests":{"memory":"lots"}}}]')}`).path).toBe(
      'pod.spec.containers[0].resources.requests.memory',
    );
    expect(parseError(`${HEADER}\n${POD.replace('"name":"p1"', '"name":"P_1"')}`).path).toBe('pod.name');
  });
});
