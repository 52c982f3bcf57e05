import { JetStreamEventLog } from '@flotilla/eventlog';
import { openSnapshots, takeSnapshotsFlag } from '@flotilla/snapshots';
import { ConfigError, LiveProjection, createLogger, instrumentAppends, onShutdown, parseFlags } from '@flotilla/service-kit';
import { parseSchedulerConfig } from './config.ts';
import { SchedulerMetrics, startMetricsServer } from './metrics.ts';
import { SchedulerLoop } from './scheduler-loop.ts';

// Flags: --nats URL, --name REPLICA, --config FILE (profiles, YAML or JSON; see config.ts),
// --metrics-port N (0: off) and --metrics-host HOST for GET /metrics, --binds-in-flight N (bindings
// appended and not yet acknowledged; default 256).
async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  // --snapshots off / FLOTILLA_SNAPSHOTS=off: replay the whole log instead of starting from a snapshot.
  const snapshotsOn = takeSnapshotsFlag(flags);
  const config = parseSchedulerConfig(flags);
  const logger = createLogger('scheduler', { replica: config.name });
  const log = await JetStreamEventLog.connect({ servers: config.nats, name: `flotilla-${config.name}` });
  const snapshots = snapshotsOn ? await openSnapshots({ servers: config.nats, name: `flotilla-${config.name}-snapshots`, logger }) : undefined;
  const projection = new LiveProjection(log, {}, snapshots ? { snapshots: snapshots.store, logger } : {});
  const profiles = config.profiles.map((p) => p.schedulerName);
  const observed: SchedulerMetrics | undefined =
    config.metricsPort > 0
      ? new SchedulerMetrics({ replica: config.name, profiles, read: () => ({ stats: loop.stats, queue: loop.queueStats() }), log, projection })
      : undefined;
  const loop: SchedulerLoop = new SchedulerLoop({
    log: observed?.observeAppend ? instrumentAppends(log, observed.observeAppend) : log,
    projection,
    profiles: config.profiles,
    logger,
    source: config.name,
    bindsInFlight: config.bindsInFlight,
    ...(observed ? { onAttempt: observed.observeAttempt } : {}),
  });
  await projection.start();
  // Only start-up reads snapshots.
  await snapshots?.close();
  // After the start: bindings replayed from history are not timed.
  if (observed) projection.onApplied((record, changes) => observed.onApplied(record, changes, performance.now()));
  loop.start();
  const metrics = observed ? await startMetricsServer(config.metricsPort, config.metricsHost, () => observed.render()) : undefined;
  logger.info('scheduler started', {
    appliedSeq: projection.state.seq,
    queue: loop.queueStats(),
    profiles,
    ...(config.configFile ? { config: config.configFile } : {}),
    ...(metrics ? { metrics: metrics.url } : {}),
  });
  onShutdown(logger, async () => {
    await metrics?.close();
    await loop.stop();
    await projection.stop();
    await log.close();
  });
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`flotilla scheduler: ${message}\n`);
  process.exit(1);
});
