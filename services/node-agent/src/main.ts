import { JetStreamEventLog } from '@flotilla/eventlog';
import { SimRuntime } from '@flotilla/runtime';
import { ConfigError, LiveProjection, createLogger, onShutdown, parseFlags } from '@flotilla/service-kit';
import { parseAgentConfig } from './config.ts';
import { NodeAgent } from './node-agent.ts';
import { LogReporter } from './reporter.ts';

// Wiring only: connect to the log, fold it, register the hosted nodes, run their pods on the sim runtime.
async function main(): Promise<void> {
  const config = parseAgentConfig(parseFlags(process.argv.slice(2)));
  const logger = createLogger('node-agent');
  const first = config.nodes[0]?.name ?? 'node';
  const log = await JetStreamEventLog.connect({ servers: config.nats, name: `flotilla-node-agent-${first}` });
  const projection = new LiveProjection(log);
  const runtime = new SimRuntime({ timings: config.sim, seed: config.seed });
  const reporter = new LogReporter(log, { logger });
  const agent = new NodeAgent({ projection, reporter, runtime, nodes: config.nodes, logger, crashLoop: config.crashLoop });
  await projection.start();
  const registered = await agent.start();
  for (const node of registered) logger.info('node registered', { ...node });
  logger.info('node agent running', { nodes: config.nodes.length, runtime: runtime.mode, appliedSeq: projection.state.seq });
  onShutdown(logger, async () => {
    // Like a kubelet restart: stop writing, leave the pods running; a new agent adopts them.
    agent.stop();
    reporter.close();
    await projection.stop();
    await log.close();
  });
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`flotilla node-agent: ${message}\n`);
  process.exit(1);
});
