import { JetStreamEventLog } from '@flotilla/eventlog';
import { LeaseStore, connectLeases } from '@flotilla/leases';
import { SimRuntime, type ContainerRuntime } from '@flotilla/runtime';
import { openSnapshots, takeSnapshotsFlag } from '@flotilla/snapshots';
import { ConfigError, LiveProjection, createLogger, instrumentAppends, onShutdown, parseFlags, startMetricsServer, type Logger } from '@flotilla/service-kit';
import { parseAgentConfig, type AgentConfig } from './config.ts';
import { fleetSummary } from './fleet.ts';
import { LeaseRenewer } from './lease-renewer.ts';
import { NodeAgent, type RegisteredNode } from './node-agent.ts';
import { createProcessRuntime, detectNetworkMode } from './process-runtime/index.ts';
import { startLogServer } from './log-server.ts';
import { LogReporter } from './reporter.ts';
import { AgentMetrics, takeMetricsFlags } from './metrics.ts';

// Wiring only: connect to the log, fold it, register the hosted nodes, run their pods on the chosen runtime.
async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const metricsConfig = takeMetricsFlags(flags);
  // --snapshots off / FLOTILLA_SNAPSHOTS=off: replay the whole log instead of starting from a snapshot.
  const snapshotsOn = takeSnapshotsFlag(flags);
  const config = parseAgentConfig(flags);
  const logger = createLogger('node-agent');
  const { runtime, close } = await buildRuntime(config, logger);
  if (config.removePods) {
    await removeAllPods(runtime, config, logger);
    close();
    return;
  }
  const first = config.nodes[0]?.name ?? 'node';
  const log = await JetStreamEventLog.connect({ servers: config.nats, name: `flotilla-node-agent-${first}` });
  const snapshots = snapshotsOn ? await openSnapshots({ servers: config.nats, name: `flotilla-node-agent-${first}-snapshots`, logger }) : undefined;
  const projection = new LiveProjection(log, {}, snapshots ? { snapshots: snapshots.store, logger } : {});
  const metrics = metricsConfig.port > 0 ? new AgentMetrics({ nodeNames: config.nodes.map((node) => node.name), projection, log }) : undefined;
  const reporter = new LogReporter(metrics?.observeAppend ? instrumentAppends(log, metrics.observeAppend) : log, { logger });
  const agent = new NodeAgent({ projection, reporter, runtime, nodes: config.nodes, logger, crashLoop: config.crashLoop });
  // Leases go to a KV bucket over a connection of their own; opened first, so a server without
  // JetStream KV stops the agent before it registers anything.
  const leaseConnection = await connectLeases({ servers: config.nats, name: `flotilla-node-agent-${first}-leases` });
  const leases = await LeaseStore.open(leaseConnection);
  const foldStartedAt = performance.now();
  await projection.start();
  // Only start-up reads snapshots.
  await snapshots?.close();
  projection.onApplied((record, changes) => metrics?.onApplied(record, changes, performance.now()));
  const registrationStartedAt = performance.now();
  logger.info('registering nodes', {
    nodes: config.nodes.length,
    foldedEvents: projection.state.seq,
    foldMs: Math.round(registrationStartedAt - foldStartedAt),
    ...(config.files.fleet !== undefined ? { fleet: config.files.fleet, ...fleetSummary(config.nodes) } : {}),
  });
  const registered = await agent.start();
  logRegistration(logger, registered, performance.now() - registrationStartedAt);
  const renewer = new LeaseRenewer({
    store: leases,
    nodeNames: registered.map((node) => node.name),
    renewIntervalMs: config.lease.renewIntervalMs,
    leaseDurationSeconds: config.lease.durationSeconds,
    logger: logger.child({ component: 'leases' }),
  });
  renewer.start();
  // `GET .../pods/{name}/log` reaches this agent over core NATS (packages/node-rpc).
  const logServer = await startLogServer({
    servers: config.nats,
    connectionName: `flotilla-node-agent-${first}-logs`,
    nodeNames: config.nodes.map((node) => node.name),
    projection,
    runtime,
    logger,
  });
  const metricsServer = metrics ? await startMetricsServer(metricsConfig.port, metricsConfig.host, () => metrics.render()) : undefined;
  logger.info('node agent running', {
    nodes: config.nodes.length,
    runtime: runtime.mode,
    ...runtime.nodeLabels,
    appliedSeq: projection.state.seq,
    leaseRenewMs: config.lease.renewIntervalMs,
    leaseDurationS: config.lease.durationSeconds,
    ...(config.files.stages !== undefined ? { stagesFile: config.files.stages, stages: config.stages.length } : {}),
    ...memoryFigures(),
    ...(metricsServer ? { metrics: metricsServer.url } : {}),
  });
  onShutdown(logger, async () => {
    // Like a kubelet restart: stop writing, leave the pods running; a new agent adopts them. The
    // leases simply stop being renewed: a node that stays away long enough is marked unreachable.
    agent.stop();
    await metricsServer?.close();
    await renewer.stop();
    await leaseConnection.close();
    await logServer.close();
    reporter.close();
    close();
    await projection.stop();
    await log.close();
  });
}

function memoryFigures(): { rssMiB: number; heapUsedMiB: number } {
  const usage = process.memoryUsage();
  return { rssMiB: Math.round(usage.rss / 2 ** 20), heapUsedMiB: Math.round(usage.heapUsed / 2 ** 20) };
}

/** Few nodes: a line each. Thousands: one line with the counts and the rate (`flotilla sim nodes` reads it). */
const NODE_LINES_UP_TO = 20;

function logRegistration(logger: Logger, registered: readonly RegisteredNode[], elapsedMs: number): void {
  if (registered.length <= NODE_LINES_UP_TO) for (const node of registered) logger.info('node registered', { ...node });
  const actions = { registered: 0, 're-registered': 0, unchanged: 0 };
  for (const node of registered) actions[node.action]++;
  logger.info('nodes registered', {
    nodes: registered.length,
    new: actions.registered,
    reRegistered: actions['re-registered'],
    unchanged: actions.unchanged,
    durationMs: Math.round(elapsedMs),
    nodesPerSecond: elapsedMs > 0 ? Math.round((registered.length * 1000) / elapsedMs) : registered.length,
  });
}

/**
 * `--remove-pods`: the local cluster is being torn down, not the agent restarted, so nothing may keep
 * running: every sandbox of the hosted nodes goes (processes, network namespaces, volumes). The log
 * is not touched; a later agent finds the pods' containers gone and restarts them per their policy.
 */
async function removeAllPods(runtime: ContainerRuntime, config: AgentConfig, logger: Logger): Promise<void> {
  const sandboxes = await runtime.listSandboxes(new Set(config.nodes.map((node) => node.name)));
  for (const sandbox of sandboxes) await runtime.removeOrphanSandbox(sandbox);
  logger.info('removed every pod sandbox of the hosted nodes', { removed: sandboxes.length, runtime: runtime.mode });
}

/** The runtime the configuration asks for; `close` stops its background work (containers keep running). */
async function buildRuntime(config: AgentConfig, logger: Logger): Promise<{ runtime: ContainerRuntime; close: () => void }> {
  if (config.runtime === 'sim') {
    return { runtime: new SimRuntime({ timings: config.sim, seed: config.seed, stages: config.stages }), close: () => undefined };
  }
  if (config.podNetwork === 'netns') {
    // Asked for explicitly: fail now, not at every pod's sandbox.
    const detected = await detectNetworkMode();
    if (detected.mode !== 'netns') throw new ConfigError(`--pod-network netns is not possible here: ${detected.reason}`);
  }
  const { runtime, networkModeReason } = await createProcessRuntime({
    stateDir: config.stateDir,
    logger: logger.child({ component: 'process-runtime' }),
    ...(config.podNetwork === 'auto' ? {} : { networkMode: config.podNetwork }),
  });
  const details = { stateDir: config.stateDir, podNetwork: runtime.networkMode, privileged: runtime.privileged, reason: networkModeReason };
  if (runtime.networkMode === 'loopback' && config.podNetwork === 'auto') {
    logger.warn('process runtime without network namespaces: each pod gets a 127.x.y.z address and shares the host network', details);
  } else {
    logger.info('process runtime: containers are real processes', details);
  }
  return { runtime, close: () => runtime.close() };
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`flotilla node-agent: ${message}\n`);
  process.exit(1);
});
