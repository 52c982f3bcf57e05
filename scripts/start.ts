// `npm start`: a local Flotilla cluster on this machine. nats-server (JetStream, store under the data
// folder) or the server at NATS_URL, then the API, the scheduler, the controller (node lifecycle and
// ReplicaSets) and a node agent hosting FLOTILLA_NODES nodes (simulated, or with
// FLOTILLA_RUNTIME=process running real processes), each a separate process. Ctrl-C stops them all.
import { resolve } from 'node:path';
import { LocalCluster } from '@flotilla/launcher';
import { NatsServerNotFoundError } from '@flotilla/testkit';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return value;
}

const dataDir = resolve(process.env.FLOTILLA_DATA_DIR ?? '.data');
const apiPort = intFromEnv('FLOTILLA_API_PORT', 7070);
const nodes = intFromEnv('FLOTILLA_NODES', 3);
const verbose = process.env.FLOTILLA_VERBOSE === '1';
const runtime = process.env.FLOTILLA_RUNTIME || 'sim';
if (runtime !== 'sim' && runtime !== 'process') {
  process.stderr.write(`FLOTILLA_RUNTIME must be sim or process, got ${JSON.stringify(runtime)}\n`);
  process.exit(2);
}

const cluster = new LocalCluster({
  dataDir,
  apiPort,
  fixedApiPort: true,
  nodes,
  runtime,
  ...(process.env.NATS_URL ? { natsUrl: process.env.NATS_URL } : {}),
  nodeAgentArgs: (process.env.FLOTILLA_NODE_AGENT_ARGS ?? '').split(' ').filter(Boolean),
  controllerArgs: (process.env.FLOTILLA_CONTROLLER_ARGS ?? '').split(' ').filter(Boolean),
  ...(verbose ? { echo: process.stdout } : {}),
});

/** Milliseconds from the environment as seconds for the banner. */
function seconds(raw: string | undefined, fallbackMs: number): number {
  const ms = raw === undefined || raw === '' ? fallbackMs : Number(raw);
  return Number.isFinite(ms) ? ms / 1000 : fallbackMs / 1000;
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nstopping the cluster...\n');
  await cluster.stop();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  await cluster.start();
} catch (error) {
  if (error instanceof NatsServerNotFoundError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`could not start the cluster: ${(error as Error).message}\n${cluster.tails()}\n`);
  }
  await cluster.stop().catch(() => undefined);
  process.exit(1);
}

process.stdout.write(`
Flotilla is running.
  API        ${cluster.apiUrl}   (FLOTILLA_API_PORT)
  NATS       ${cluster.natsUrl}${cluster.nats ? `   store: ${cluster.nats.storeDir}` : ''}
  nodes      ${nodes} ${runtime === 'process' ? 'nodes on the process runtime (real processes)' : 'simulated nodes'} in one node agent (FLOTILLA_NODES, FLOTILLA_RUNTIME)${
  runtime === 'process' ? `\n  pod state  ${dataDir}/node-agent   (sandboxes, container state and logs)` : ''
}
  controller node lifecycle and ReplicaSets: a node goes NotReady ${seconds(process.env.FLOTILLA_NODE_MONITOR_GRACE_MS, 50_000)} s after its last lease renewal (FLOTILLA_NODE_MONITOR_GRACE_MS),
             its pods are evicted ${process.env.FLOTILLA_DEFAULT_UNREACHABLE_TOLERATION_SECONDS || '300'} s after that unless they say otherwise (FLOTILLA_DEFAULT_UNREACHABLE_TOLERATION_SECONDS)
  logs       ${dataDir}/logs/*.log   (FLOTILLA_VERBOSE=1 prints them here)

Try, in another terminal:${cluster.apiUrl === 'http://127.0.0.1:7070' ? '' : `\n  export FLOTILLA_SERVER=${cluster.apiUrl}`}
  npx flotilla apply -f examples/
  npx flotilla get pods -o wide
  npx flotilla describe pod web
  npx flotilla get nodes
  NATS_URL=${cluster.natsUrl} npm run node-agent -- --name node-${nodes + 1}   # one more node, in its own process

Ctrl-C stops the cluster; its event log stays in ${dataDir} for the next start.
`);

// A service that dies takes the cluster down loudly rather than leaving a half-working system.
for (const service of cluster.services.values()) {
  void service.exited().then((code) => {
    if (stopping) return;
    process.stderr.write(`\n${service.spec.id} exited (code ${code}). Its last output:\n${service.tail()}\n`);
    void shutdown(1);
  });
}
