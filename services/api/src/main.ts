import { JetStreamEventLog } from '@flotilla/eventlog';
import { connectNodeRpc, requestContainerLogs } from '@flotilla/node-rpc';
import { ConfigError, LiveProjection, createLogger, intSetting, natsServers, onShutdown, parseFlags } from '@flotilla/service-kit';
import { DEFAULT_TOLERATION_SECONDS } from '@flotilla/model';
import { DEFAULT_SNAPSHOT_EVERY, SnapshotWriter, openSnapshots, takeSnapshotsFlag } from '@flotilla/snapshots';
import { buildApiServer } from './server.ts';
import { SnapshotFoldBase } from './time-travel.ts';

// Wiring only: connect to the log, fold it, serve HTTP.
async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const port = intSetting('--port / FLOTILLA_API_PORT', flags.get('port') ?? process.env.FLOTILLA_API_PORT, 7070);
  const host = flags.get('host') ?? process.env.FLOTILLA_API_HOST ?? '127.0.0.1';
  const tolerationSeconds = (flag: string, env: string) => intSetting(`--${flag} / ${env}`, flags.get(flag) ?? process.env[env], DEFAULT_TOLERATION_SECONDS);
  const defaultNotReadyTolerationSeconds = tolerationSeconds('default-not-ready-toleration-seconds', 'FLOTILLA_DEFAULT_NOT_READY_TOLERATION_SECONDS');
  const defaultUnreachableTolerationSeconds = tolerationSeconds('default-unreachable-toleration-seconds', 'FLOTILLA_DEFAULT_UNREACHABLE_TOLERATION_SECONDS');
  // Snapshots of the fold (bucket flotilla-snapshots): --snapshots off turns reading and writing off;
  // --snapshot-every N (0: off) is how often this API writes one.
  const snapshotsOn = takeSnapshotsFlag(flags);
  const snapshotEvery = intSetting('--snapshot-every / FLOTILLA_SNAPSHOT_EVERY', flags.get('snapshot-every') ?? process.env.FLOTILLA_SNAPSHOT_EVERY, DEFAULT_SNAPSHOT_EVERY);
  const logger = createLogger('api');
  const log = await JetStreamEventLog.connect({ servers: natsServers(flags), name: 'flotilla-api' });
  const snapshots = snapshotsOn ? await openSnapshots({ servers: natsServers(flags), name: 'flotilla-api-snapshots', logger }) : undefined;
  const projection = new LiveProjection(log, {}, snapshots ? { snapshots: snapshots.store, logger } : {});
  const snapshotWriter = snapshots && snapshotEvery > 0 ? new SnapshotWriter(snapshots.store, { every: snapshotEvery, stream: log.streamName, logger }) : undefined;
  await snapshotWriter?.init();
  snapshotWriter?.attach(projection);
  await projection.start();
  // Container logs come from the node agents over core NATS, on a connection of their own.
  const rpc = await connectNodeRpc({ servers: natsServers(flags), name: 'flotilla-api-node-rpc' });
  const app = await buildApiServer({
    log,
    projection,
    logger,
    timeTravelBases: snapshots ? [new SnapshotFoldBase(snapshots.store, log, { logger })] : [],
    containerLogs: (node, request, options) => requestContainerLogs(rpc, node, request, options),
    defaultNotReadyTolerationSeconds,
    defaultUnreachableTolerationSeconds,
  });
  await app.listen({ port, host });
  logger.info('api listening', { url: `http://${host}:${port}`, appliedSeq: projection.state.seq });
  onShutdown(logger, async () => {
    await app.close();
    await projection.stop();
    await snapshotWriter?.idle();
    await snapshots?.close();
    await rpc.drain().catch(() => rpc.close());
    await log.close();
  });
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`flotilla api: ${message}\n`);
  process.exit(1);
});
