import { afterEach, describe, expect, it } from 'vitest';
import { MemoryEventLog } from '@flotilla/eventlog';
import { envelope, msgIdFor, subjectFor, type DomainEvent } from '@flotilla/events';
import { LiveProjection, instrumentAppends, parseMetrics } from '@flotilla/service-kit';
import { nodeRegistered } from '@flotilla/state/testing';
import type { ControllerStats } from './controller-loop.ts';
import { createControllerMetrics, renderMetrics } from './metrics.ts';

const stats: ControllerStats = {
  syncs: 7,
  podsCreated: 3,
  podsDeleted: 1,
  podsEvicted: 2,
  nodesMarkedUnreachable: 1,
  nodesMarkedReachable: 0,
  evictionTaints: 1,
  duplicates: 4,
  creationsIgnored: 0,
  errors: 0,
  appendRetries: 5,
};

const request = (event: DomainEvent) => ({ subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source: 'test', time: new Date().toISOString() }) });

let projection: LiveProjection | undefined;
afterEach(async () => {
  await projection?.stop();
  projection = undefined;
});

describe('controller /metrics', () => {
  it('renders its counters and gauges in Prometheus text under the same names as before', async () => {
    const log = new MemoryEventLog();
    projection = new LiveProjection(log);
    await projection.start();
    const text = await renderMetrics({ replica: 'controller-1', stats, state: projection.state, inFlight: 2 });
    expect(text).toContain('# TYPE node_collector_evictions_total counter\nnode_collector_evictions_total 2\n');
    expect(Object.fromEntries(parseMetrics(text))).toMatchObject({
      flotilla_controller_pods_created_total: 3,
      flotilla_controller_pods_deleted_total: 1,
      flotilla_controller_syncs_total: 7,
      flotilla_controller_duplicates_total: 4,
      flotilla_controller_append_retries_total: 5,
      flotilla_controller_nodes_unreachable: 0,
      flotilla_controller_replicasets: 0,
      flotilla_controller_decisions_in_flight: 2,
      'flotilla_controller_info{replica="controller-1"}': 1,
    });
  });

  it('with a log: follows the live stats, the fold and the appends', async () => {
    const log = new MemoryEventLog();
    projection = new LiveProjection(log);
    await projection.start();
    const live = { ...stats };
    const metrics = createControllerMetrics({ replica: 'c', read: () => ({ stats: live, state: projection!.state, inFlight: 0 }), log, projection });
    const timed = instrumentAppends(log, metrics.observeAppend!);
    const { seq } = await timed.append(request(nodeRegistered({ name: 'n1', podCIDR: null })));
    await projection.waitFor(seq, 1000);
    live.syncs = 8;
    const samples = parseMetrics(await metrics.render());
    expect(samples.get('flotilla_controller_syncs_total')).toBe(8);
    expect(samples.get('flotilla_eventlog_applied_sequence')).toBe(seq);
    expect(samples.get('flotilla_eventlog_append_duration_seconds_count{outcome="stored"}')).toBe(1);
  });
});
