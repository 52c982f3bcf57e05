import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryEventLog } from '@flotilla/eventlog';
import { envelope, msgIdFor, subjectFor, type DomainEvent } from '@flotilla/events';
import { DEFAULT_PROFILE } from '@flotilla/scheduling';
import { LiveProjection, createLogger, instrumentAppends, parseMetrics, startMetricsServer } from '@flotilla/service-kit';
import { nodeRegistered, podCreated } from '@flotilla/state/testing';
import { waitFor } from '@flotilla/testkit';
import { SchedulerMetrics } from './metrics.ts';
import { SchedulerLoop } from './scheduler-loop.ts';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function seed(log: MemoryEventLog, ...events: DomainEvent[]): Promise<void> {
  for (const event of events) await log.append({ subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source: 'test', time: new Date().toISOString() }) });
}

/** A scheduler wired as main.ts wires it: metrics over the loop, appends timed, the SLI listener after the start. */
async function startScheduler(log: MemoryEventLog) {
  const projection = new LiveProjection(log);
  const metrics: SchedulerMetrics = new SchedulerMetrics({
    replica: 'scheduler-a',
    profiles: ['default-scheduler'],
    read: () => ({ stats: loop.stats, queue: loop.queueStats() }),
    log,
    projection,
  });
  const loop: SchedulerLoop = new SchedulerLoop({ log: instrumentAppends(log, metrics.observeAppend!), projection, profiles: [DEFAULT_PROFILE], logger: createLogger('test', {}, 'error'), source: 'scheduler-a' });
  await projection.start();
  projection.onApplied((record, changes) => metrics.onApplied(record, changes, performance.now()));
  loop.start();
  stops.push(async () => {
    await loop.stop();
    await projection.stop();
  });
  return { metrics, loop, projection };
}

describe('scheduler /metrics over a running loop', () => {
  it('counts attempts, times the scheduling SLI and the appends, and reports the fold', async () => {
    const log = new MemoryEventLog();
    await seed(log, nodeRegistered({ name: 'n1', cpu: '2', podCIDR: null }));
    const { metrics, loop, projection } = await startScheduler(log);
    await seed(log, podCreated({ name: 'a', cpu: '1' }), podCreated({ name: 'b', cpu: '1' }), podCreated({ name: 'c', cpu: '1' }));
    await waitFor(() => loop.stats.bound === 2 && loop.stats.unschedulable >= 1, 3000);
    await waitFor(() => [...projection.state.pods.values()].filter((p) => p.nodeName !== undefined).length === 2, 3000);

    const samples = parseMetrics(await metrics.render());
    expect(samples.get('scheduler_schedule_attempts_total{result="scheduled"}')).toBe(2);
    expect(samples.get('scheduler_schedule_attempts_total{result="unschedulable"}')).toBe(loop.stats.unschedulable);
    expect(samples.get('scheduler_pending_pods{queue="unschedulable"}')! + samples.get('scheduler_pending_pods{queue="backoff"}')!).toBe(1);
    expect(samples.get('scheduler_pending_pods{queue="gated"}')).toBe(0);
    // Both bindings were this replica's first attempt at each pod.
    expect(samples.get('scheduler_pod_scheduling_sli_duration_seconds_count{attempts="1"}')).toBe(2);
    // Two bindings and at least one failure record were appended through the timed log.
    expect(samples.get('flotilla_eventlog_append_duration_seconds_count{outcome="stored"}')).toBeGreaterThanOrEqual(3);
    expect(samples.get('flotilla_eventlog_applied_sequence')).toBe(projection.state.seq);
    expect(samples.get('flotilla_eventlog_lag_events')).toBe(0);
  });

  it('observes scheduling attempt durations by result and profile through its hook', async () => {
    const metrics = new SchedulerMetrics({
      replica: 'r',
      profiles: ['default-scheduler'],
      read: () => ({ stats: { attempts: 0, bound: 0, unschedulable: 0, errors: 0, conflicts: 0, duplicates: 0, retries: 0, appendRetries: 0 }, queue: { active: 0, backoff: 0, unschedulable: 0, inFlight: 0 } }),
    });
    metrics.observeAttempt('scheduled', 'default-scheduler', 0.003);
    metrics.observeAttempt('scheduled', 'default-scheduler', 0.2);
    metrics.observeAttempt('unschedulable', 'batch', 0.01);
    const server = await startMetricsServer(0, '127.0.0.1', () => metrics.render());
    stops.push(() => server.close());
    const samples = parseMetrics(await (await fetch(server.url)).text());
    expect(samples.get('scheduler_scheduling_attempt_duration_seconds_count{result="scheduled",profile="default-scheduler"}')).toBe(2);
    expect(samples.get('scheduler_scheduling_attempt_duration_seconds_bucket{le="0.005",result="scheduled",profile="default-scheduler"}')).toBe(1);
    expect(samples.get('scheduler_scheduling_attempt_duration_seconds_sum{result="unschedulable",profile="batch"}')).toBeCloseTo(0.01);
    // No log given: no event-log families.
    expect(samples.has('flotilla_eventlog_lag_events')).toBe(false);
  });
});
