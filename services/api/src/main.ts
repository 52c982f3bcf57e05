import { JetStreamEventLog } from '@flotilla/eventlog';
import { connectNodeRpc, requestContainerLogs } from '@flotilla/node-rpc';
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
  // Container logs come from the node agents over core NATS, on a connection of their own.
  const rpc = await connectNodeRpc({ servers: natsServers(flags), name: 'flotilla-api-node-rpc' });
  const app = await buildApiServer({ log, projection, logger, containerLogs: (node, request, options) => requestContainerLogs(rpc, node, request, options) });
  await app.listen({ port, host });
  logger.info('api listening', { url: `http://${host}:${port}`, appliedSeq: projection.state.seq });
  onShutdown(logger, async () => {
    await app.close();
    await projection.stop();
    await rpc.drain().catch(() => rpc.close());
    await log.close();
  });
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`flotilla api: ${message}\n`);
  process.exit(1);
});
