import { JetStreamEventLog } from '@flotilla/eventlog';
import { ConfigError, LiveProjection, createLogger, onShutdown, parseFlags } from '@flotilla/service-kit';
import { parseSchedulerConfig } from './config.ts';
import { renderMetrics, startMetricsServer } from './metrics.ts';
import { SchedulerLoop } from './scheduler-loop.ts';

// Flags: --nats URL, --name REPLICA, --config FILE (profiles, YAML or JSON; see config.ts),
// --metrics-port N (0: off) and --metrics-host HOST for GET /metrics, --binds-in-flight N (bindings
// appended and not yet acknowledged; default 256).
async function main(): Promise<void> {
  const config = parseSchedulerConfig(parseFlags(process.argv.slice(2)));
  const logger = createLogger('scheduler', { replica: config.name });
  const log = await JetStreamEventLog.connect({ servers: config.nats, name: `flotilla-${config.name}` });
  const projection = new LiveProjection(log);
  const loop = new SchedulerLoop({ log, projection, profiles: config.profiles, logger, source: config.name, bindsInFlight: config.bindsInFlight });
  await projection.start();
  loop.start();
  const profiles = config.profiles.map((p) => p.schedulerName);
  const metrics =
    config.metricsPort > 0
      ? await startMetricsServer(config.metricsPort, config.metricsHost, () =>
          renderMetrics({ replica: config.name, profiles, stats: loop.stats, queue: loop.queueStats() }),
        )
      : undefined;
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
