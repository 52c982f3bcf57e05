import { describe, expect, it } from 'vitest';
import { EventLogUnavailableError, MemoryEventLog } from '@flotilla/eventlog';
import { envelope, msgIdFor, subjectFor } from '@flotilla/events';
import { nodeRegistered } from '@flotilla/state/testing';
import { Registry } from 'prom-client';
import { METRICS_CONTENT_TYPE, MetricsParseError, parseMetrics, startMetricsServer } from './metrics.ts';
import { instrumentAppends, mirroredCounter, mirroredGauge, registerEventLogMetrics, type AppendOutcome } from './service-metrics.ts';

describe('parseMetrics', () => {
  it('reads samples with labels (escaped quotes, spaces), +Inf, NaN and timestamps; skips comments', () => {
    const text = [
      '# HELP x_total Things.',
      '# TYPE x_total counter',
      'x_total{a="b c",q="say \\"hi\\""} 3',
      'h_bucket{le="+Inf"} 4',
      'g NaN',
      'u -Inf',
      't 1.5e3 1700000000000',
      '',
    ].join('\n');
    const samples = parseMetrics(text);
    expect(samples.get('x_total{a="b c",q="say \\"hi\\""}')).toBe(3);
    expect(samples.get('h_bucket{le="+Inf"}')).toBe(4);
    expect(samples.get('g')).toBeNaN();
    expect(samples.get('u')).toBe(Number.NEGATIVE_INFINITY);
    expect(samples.get('t')).toBe(1500);
    expect(samples.size).toBe(5);
  });

  it('refuses text that is not exposition format', () => {
    expect(() => parseMetrics('ok 1\nnot a sample\n')).toThrow(MetricsParseError);
    expect(() => parseMetrics('bad{label=unquoted} 1\n')).toThrow(/line 1/);
  });
});

describe('mirrored families', () => {
  it('copy cumulative values at scrape time and keep their TYPE', async () => {
    const registry = new Registry();
    let done = 1;
    mirroredCounter(registry, 'jobs_total', 'Jobs.', ['result'], () => [[{ result: 'ok' }, done], [{ result: 'failed' }, 0]]);
    mirroredGauge(registry, 'queue_depth', 'Depth.', [], () => [[{}, 7]]);
    expect(parseMetrics(await registry.metrics()).get('jobs_total{result="ok"}')).toBe(1);
    done = 5;
    const text = await registry.metrics();
    expect(text).toContain('# TYPE jobs_total counter\njobs_total{result="ok"} 5\njobs_total{result="failed"} 0\n');
    expect(parseMetrics(text).get('queue_depth')).toBe(7);
  });
});

describe('event-log families', () => {
  const request = (name: string) => {
    const event = nodeRegistered({ name, podCIDR: null });
    return { subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source: 'test', time: new Date().toISOString() }) };
  };

  it('times appends by outcome, passes errors through, and reports lag against the applied sequence', async () => {
    const log = new MemoryEventLog();
    const registry = new Registry();
    let applied = 0;
    const { observeAppend } = registerEventLogMetrics(registry, { log, appliedSeq: () => applied });
    const seen: AppendOutcome[] = [];
    const timed = instrumentAppends(log, (seconds, outcome) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      seen.push(outcome);
      observeAppend(seconds, outcome);
    });
    await timed.append(request('n1'));
    await timed.append(request('n1'));
    await timed.append(request('n2'));
    log.simulateOutage(true);
    await expect(timed.append(request('n3'))).rejects.toBeInstanceOf(EventLogUnavailableError);
    log.simulateOutage(false);
    expect(seen).toEqual(['stored', 'duplicate', 'stored', 'error']);
    applied = 1;
    const samples = parseMetrics(await registry.metrics());
    expect(samples.get('flotilla_eventlog_append_duration_seconds_count{outcome="stored"}')).toBe(2);
    expect(samples.get('flotilla_eventlog_append_duration_seconds_count{outcome="duplicate"}')).toBe(1);
    expect(samples.get('flotilla_eventlog_append_duration_seconds_count{outcome="error"}')).toBe(1);
    expect(samples.get('flotilla_eventlog_applied_sequence')).toBe(1);
    expect(samples.get('flotilla_eventlog_lag_events')).toBe(1);
    expect(samples.get('flotilla_eventlog_connected')).toBe(1);
    expect(samples.get('flotilla_nats_reconnects_total')).toBe(0);
    // The wrapper is the same log otherwise.
    expect(await timed.lastSequence()).toBe(2);
    await timed.close();
    expect(log.status().connected).toBe(false);
  });

  it('reads reconnections from the log status when the adapter counts them', async () => {
    const log = new MemoryEventLog();
    const counting = Object.assign(Object.create(log) as MemoryEventLog, { status: () => ({ connected: true, reconnects: 3 }) });
    const registry = new Registry();
    registerEventLogMetrics(registry, { log: counting, appliedSeq: () => 0 });
    expect(parseMetrics(await registry.metrics()).get('flotilla_nats_reconnects_total')).toBe(3);
  });
});

describe('startMetricsServer', () => {
  it('serves an async body, 500 when collecting fails, 404 and 405 otherwise', async () => {
    let fail = false;
    const server = await startMetricsServer(0, '127.0.0.1', async () => {
      if (fail) throw new Error('boom');
      return 'up 1\n';
    });
    try {
      const ok = await fetch(server.url);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe(METRICS_CONTENT_TYPE);
      expect(await ok.text()).toBe('up 1\n');
      fail = true;
      const failed = await fetch(server.url);
      expect(failed.status).toBe(500);
      expect(await failed.text()).toContain('boom');
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
      expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });
});
