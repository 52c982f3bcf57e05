import { afterEach, describe, expect, it } from 'vitest';
import { MemoryEventLog, type AppendRequest, type AppendResult, type EventEnvelope } from '@flotilla/eventlog';
import { envelope, msgIdFor, subjectFor, type DomainEvent, type PodBound } from '@flotilla/events';
import { DEFAULT_PROFILE } from '@flotilla/scheduling';
import { LiveProjection, createLogger, type Logger } from '@flotilla/service-kit';
import { nodeRegistered, podCreated } from '@flotilla/state/testing';
import { waitFor } from '@flotilla/testkit';
import { METRICS_CONTENT_TYPE, parseMetrics, renderMetrics, startMetricsServer } from './metrics.ts';
import { SchedulerLoop } from './scheduler-loop.ts';

function competing(event: DomainEvent, source: string): AppendRequest {
  return { subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source, time: new Date().toISOString() }) };
}

/**
 * A log where another replica gets in first: just before this replica's first PodBound is stored,
 * `before(ours)` is appended as if written by `scheduler-b`.
 */
class RacingLog extends MemoryEventLog {
  private raced = false;
  constructor(private readonly before: (ours: PodBound) => DomainEvent) {
    super();
  }
  override async append<E extends EventEnvelope>(req: AppendRequest<E>): Promise<AppendResult> {
    if (!this.raced && req.event.type === 'PodBound' && req.event.source === 'scheduler-a') {
      this.raced = true;
      await super.append(competing(this.before({ type: 'PodBound', data: req.event.data as PodBound['data'] }), 'scheduler-b'));
    }
    return super.append(req);
  }
}

function recordingLogger(): { logger: Logger; lines: Array<{ msg: string; fields?: Record<string, unknown> }> } {
  const lines: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
  const record = (msg: string, fields?: Record<string, unknown>): void => void lines.push({ msg, ...(fields ? { fields } : {}) });
  const logger: Logger = { debug: record, info: record, warn: record, error: record, child: () => logger };
  return { logger, lines };
}

async function seed(log: MemoryEventLog, ...events: DomainEvent[]): Promise<void> {
  for (const event of events) await log.append(competing(event, 'test'));
}

describe('scheduler conflicts, retries and /metrics', () => {
  const running: Array<{ loop: SchedulerLoop; projection: LiveProjection }> = [];
  afterEach(async () => {
    for (const { loop, projection } of running.splice(0)) {
      await loop.stop();
      await projection.stop();
    }
  });

  async function start(log: MemoryEventLog, logger: Logger) {
    const projection = new LiveProjection(log);
    const loop = new SchedulerLoop({ log, projection, profiles: [DEFAULT_PROFILE], logger, source: 'scheduler-a' });
    await projection.start();
    loop.start();
    running.push({ loop, projection });
    return { loop, projection };
  }

  it('counts a binding the fold rejected, logs the winner, and retries the pod', async () => {
    // Another scheduler's pod takes the only room on n1 just before our binding lands.
    const log = new RacingLog((ours) => ({
      type: 'PodBound',
      data: { namespace: 'default', name: 'rival', uid: 'uid-rival', nodeName: ours.data.nodeName, schedulerName: 'other-scheduler', attempt: 1 },
    }));
    const rival = podCreated({ name: 'rival', cpu: '1' });
    rival.data.pod.spec.schedulerName = 'other-scheduler';
    await seed(log, nodeRegistered({ name: 'n1', cpu: '1', podCIDR: null }), rival, podCreated({ name: 'web', cpu: '1' }));
    const { logger, lines } = recordingLogger();
    const { loop, projection } = await start(log, logger);

    await waitFor(() => loop.stats.conflicts === 1, 2000);
    const conflict = lines.find((l) => l.msg === 'binding conflict');
    expect(conflict?.fields).toMatchObject({
      pod: 'default/web',
      node: 'n1',
      reason: 'InsufficientResources',
      winner: { pod: 'default/rival', node: 'n1', by: 'scheduler-b' },
    });
    // The retry (after the 1 s backoff) finds no room and says so.
    await waitFor(() => projection.state.pods.get('default/web')?.unschedulableMessage !== undefined, 4000);
    expect(loop.stats).toMatchObject({ conflicts: 1, retries: 1, bound: 1, unschedulable: 1, duplicates: 0 });
    expect(projection.state.pods.get('default/web')?.lastScheduling).toMatchObject({ outcome: 'Unschedulable', schedulerName: 'default-scheduler' });
  });

  it('counts a decision another replica had already written under the same id', async () => {
    // The other replica wrote this very attempt first, choosing n2.
    const log = new RacingLog((ours) => ({ type: 'PodBound', data: { ...ours.data, nodeName: ours.data.nodeName === 'n1' ? 'n2' : 'n1' } }));
    await seed(log, nodeRegistered({ name: 'n1', podCIDR: null }), nodeRegistered({ name: 'n2', podCIDR: null }), podCreated({ name: 'web', cpu: '1' }));
    const { logger, lines } = recordingLogger();
    const { loop, projection } = await start(log, logger);
    await waitFor(() => loop.stats.duplicates === 1, 2000);
    await waitFor(() => projection.state.pods.get('default/web')?.nodeName !== undefined, 2000);
    expect(loop.stats.conflicts).toBe(0);
    expect(lines.some((l) => l.msg === 'decision superseded by another replica')).toBe(true);
    // Nothing stays assumed once the fold settled the pod.
    expect(loop.queueStats()).toMatchObject({ active: 0, backoff: 0, unschedulable: 0 });
  });

  it('another replica\'s rejected binding is not this replica\'s conflict', async () => {
    const log = new MemoryEventLog();
    await seed(log, nodeRegistered({ name: 'n1', cpu: '1', podCIDR: null }));
    const { loop, projection } = await start(log, createLogger('test', {}, 'error'));
    await seed(log, podCreated({ name: 'web', cpu: '1' }));
    await waitFor(() => projection.state.pods.get('default/web')?.nodeName === 'n1', 2000);
    // A late binding of another replica for the same pod: rejected (AlreadyBound), not ours.
    await log.append(competing({ type: 'PodBound', data: { namespace: 'default', name: 'web', uid: 'uid-web', nodeName: 'n1', schedulerName: 'default-scheduler', attempt: 9 } }, 'scheduler-b'));
    await waitFor(() => projection.state.pods.get('default/web')?.lastBindingRejection !== undefined, 2000);
    expect(loop.stats.conflicts).toBe(0);
    expect(projection.state.pods.get('default/web')?.lastScheduling?.outcome).toBe('Bound');
  });

  it('renders kube-scheduler\'s names and the flotilla counters in Prometheus text', async () => {
    const text = await renderMetrics({
      replica: 'scheduler-2',
      profiles: ['default-scheduler'],
      stats: { attempts: 12, bound: 9, unschedulable: 2, errors: 1, conflicts: 3, duplicates: 4, retries: 5, appendRetries: 0 },
      queue: { active: 1, backoff: 2, unschedulable: 3, inFlight: 0 },
    });
    expect(text).toContain('# TYPE scheduler_schedule_attempts_total counter\nscheduler_schedule_attempts_total{result="scheduled"} 9\n');
    const samples = parseMetrics(text);
    expect(Object.fromEntries(samples)).toMatchObject({
      'scheduler_schedule_attempts_total{result="unschedulable"}': 2,
      'scheduler_schedule_attempts_total{result="error"}': 1,
      'scheduler_pending_pods{queue="active"}': 1,
      'scheduler_pending_pods{queue="backoff"}': 2,
      'scheduler_pending_pods{queue="unschedulable"}': 3,
      flotilla_scheduler_binding_conflicts_total: 3,
      flotilla_scheduler_binding_duplicates_total: 4,
      flotilla_scheduler_retries_total: 5,
      'flotilla_scheduler_info{replica="scheduler-2",profiles="default-scheduler"}': 1,
    });
    expect(text.endsWith('\n')).toBe(true);
  });

  it('serves /metrics over HTTP on the port it is given', async () => {
    const metrics = await startMetricsServer(0, '127.0.0.1', () => 'flotilla_scheduler_retries_total 7\n');
    try {
      const response = await fetch(metrics.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(METRICS_CONTENT_TYPE);
      expect(await response.text()).toBe('flotilla_scheduler_retries_total 7\n');
      expect((await fetch(metrics.url.replace('/metrics', '/nope'))).status).toBe(404);
      expect((await fetch(metrics.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await metrics.close();
    }
  });
});
