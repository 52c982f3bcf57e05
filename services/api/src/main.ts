import { JetStreamEventLog } from '@flotilla/eventlog';
import { ConfigError, LiveProjection, createLogger, intSetting, natsServers, onShutdown, parseFlags } from '@flotilla/service-kit';
import { buildApiServer } from './server.ts';

// Wiring only: connect to the log, fold it, serve HTTP.
async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const port = intSetting('--port / FLOTILLA_API_PORT', flags.get('port') ?? process.env.FLOTILLA_API_PORT, 7070);
  const host = flags.get('host') ?? process.env.FLOTILLA_API_HOST ?? '127.0.0.1';
  const logger = createLogger('api');
  const log = await JetStreamEventLog.connect({ servers: natsServers(flags), name: 'flotilla-api' });
  const projection = new LiveProjection(log);
  await projection.start();
  const app = await buildApiServer({ log, projection, logger });
  await app.listen({ port, host });
  logger.info('api listening', { url: `http://${host}:${port}`, appliedSeq: projection.state.seq });
  onShutdown(logger, async () => {
    await app.close();
    await projection.stop();
    await log.close();
  });
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`flotilla api: ${message}\n`);
  process.exit(1);
});
