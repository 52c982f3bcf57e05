import { JetStreamEventLog } from '@flotilla/eventlog';
import { DEFAULT_PROFILE } from '@flotilla/scheduling';
import { ConfigError, LiveProjection, createLogger, natsServers, onShutdown, parseFlags } from '@flotilla/service-kit';
import { SchedulerLoop } from './scheduler-loop.ts';

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const name = flags.get('name') ?? process.env.FLOTILLA_SCHEDULER_NAME ?? 'scheduler';
  const logger = createLogger('scheduler', { replica: name });
  const log = await JetStreamEventLog.connect({ servers: natsServers(flags), name: `flotilla-${name}` });
  const projection = new LiveProjection(log);
  const loop = new SchedulerLoop({ log, projection, profiles: [DEFAULT_PROFILE], logger, source: name });
  await projection.start();
  loop.start();
  logger.info('scheduler started', { appliedSeq: projection.state.seq, queue: loop.queueStats() });
  onShutdown(logger, async () => {
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
