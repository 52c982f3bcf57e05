import { JetStreamEventLog } from '@flotilla/eventlog';
import { LeaseStore, connectLeases } from '@flotilla/leases';
import { openSnapshots, takeSnapshotsFlag } from '@flotilla/snapshots';
import { ConfigError, LiveProjection, createLogger, instrumentAppends, onShutdown, parseFlags } from '@flotilla/service-kit';
import { parseControllerConfig } from './config.ts';
import { ControllerLoop } from './controller-loop.ts';
import { createControllerMetrics, startMetricsServer, type ControllerMetrics } from './metrics.ts';

// The controller service: the node lifecycle controller (leases -> unreachable -> NoExecute taint ->
// evictions) and the ReplicaSet controller, over the fold. Flags (or environment, see config.ts):
// --nats URL, --name REPLICA, --node-monitor-grace-ms, --node-startup-grace-ms, --eviction-rate,
// --default-unreachable-toleration-seconds, --default-not-ready-toleration-seconds, --sync-period-ms,
// --metrics-port N (0: off), --metrics-host HOST.

/** After the lease connection comes back, the watch catches up before any node is judged again. */
const LEASE_RECONNECT_HOLD_MS = 1_000;

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  // --snapshots off / FLOTILLA_SNAPSHOTS=off: replay the whole log instead of starting from a snapshot.
  const snapshotsOn = takeSnapshotsFlag(flags);
  const config = parseControllerConfig(flags);
  const logger = createLogger('controller', { replica: config.name });
  const log = await JetStreamEventLog.connect({ servers: config.nats, name: `flotilla-${config.name}` });
  const snapshots = snapshotsOn ? await openSnapshots({ servers: config.nats, name: `flotilla-${config.name}-snapshots`, logger }) : undefined;
  const projection = new LiveProjection(log, {}, snapshots ? { snapshots: snapshots.store, logger } : {});
  // Leases ride a connection of their own: a renewal never waits behind a burst of appends.
  const leaseConnection = await connectLeases({ servers: config.nats, name: `flotilla-${config.name}-leases` });
  const leases = await LeaseStore.open(leaseConnection);
  let leasesTrustedFrom = 0;
  const observed: ControllerMetrics | undefined =
    config.metricsPort > 0
      ? createControllerMetrics({ replica: config.name, read: () => ({ stats: loop.stats, state: projection.state, inFlight: loop.inFlight }), log, projection })
      : undefined;
  const loop: ControllerLoop = new ControllerLoop({
    log: observed?.observeAppend ? instrumentAppends(log, observed.observeAppend) : log,
    projection,
    logger,
    leases,
    leasesHealthy: () => Date.now() >= leasesTrustedFrom,
    source: config.name,
    syncPeriodMs: config.syncPeriodMs,
    nodeMonitorGraceMs: config.nodeMonitorGraceMs,
    nodeStartupGraceMs: config.nodeStartupGraceMs,
    evictionRate: config.evictionRate,
    defaultNotReadyTolerationSeconds: config.defaultNotReadyTolerationSeconds,
    defaultUnreachableTolerationSeconds: config.defaultUnreachableTolerationSeconds,
  });
  void (async () => {
    for await (const status of leaseConnection.status()) {
      if (status.type === 'disconnect') {
        leasesTrustedFrom = Number.POSITIVE_INFINITY;
        logger.warn('lease connection lost: no node is judged until it is back');
      } else if (status.type === 'reconnect') {
        leasesTrustedFrom = Date.now() + LEASE_RECONNECT_HOLD_MS;
        // Nobody could renew, or be seen renewing, meanwhile: a full grace period from now for every node.
        loop.leaseFeedRestored();
        logger.info('lease connection back: every node gets a full grace period from now');
      }
    }
  })();
  await projection.start();
  // Only start-up reads snapshots.
  await snapshots?.close();
  loop.start();
  const metrics = observed ? await startMetricsServer(config.metricsPort, config.metricsHost, () => observed.render()) : undefined;
  logger.info('controller started', {
    appliedSeq: projection.state.seq,
    replicaSets: projection.state.replicaSets.size,
    nodes: projection.state.nodes.size,
    nodeMonitorGraceMs: config.nodeMonitorGraceMs,
    nodeStartupGraceMs: config.nodeStartupGraceMs,
    evictionRate: config.evictionRate,
    syncPeriodMs: config.syncPeriodMs,
    ...(metrics ? { metrics: metrics.url } : {}),
  });
  onShutdown(logger, async () => {
    await metrics?.close();
    await loop.stop();
    await projection.stop();
    await leaseConnection.close();
    await log.close();
  });
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`flotilla controller: ${message}\n`);
  process.exit(1);
});
