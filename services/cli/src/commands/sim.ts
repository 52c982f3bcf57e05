// `flotilla sim nodes`: a node agent with the sim runtime hosting many simulated nodes, as its own
// process (services/node-agent/src/main.ts), until Ctrl-C or SIGTERM. Prints how many nodes
// registered and how fast, from the agent's JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Io } from './context.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const AGENT_MAIN = join(REPO_ROOT, 'services', 'node-agent', 'src', 'main.ts');
/** Not `node-N`: the nodes of `npm start` are called that, and two agents must never host one node. */
export const DEFAULT_SIM_NAME_PREFIX = 'sim';

export interface SimNodesOptions {
  count?: number;
  fleet?: string;
  stages?: string;
  nats?: string;
  seed?: number;
  namePrefix?: string;
  verbose?: boolean;
}

/** What the command needs from a child process (a real one, or a fake in tests). */
export type AgentSpawner = (args: string[]) => ChildProcess;

export interface SimCommandOptions {
  /** Ctrl-C: the program's signal (the command also listens for SIGTERM and SIGHUP itself). */
  signal?: AbortSignal;
  spawnAgent?: AgentSpawner;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Handle SIGTERM/SIGHUP of this process (off in tests). */
  handleProcessSignals?: boolean;
}

/** Bad flags for `flotilla sim nodes`. */
export class SimUsageError extends Error {
  override readonly name = 'SimUsageError';
}

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return Number(value);
}

function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number >= 0');
  return Number(value);
}

/** The node agent's flags for these options; paths become absolute (the agent runs from the repository). */
export function simAgentArgs(options: SimNodesOptions, extra: readonly string[], env: Record<string, string | undefined>, cwd: string): string[] {
  if (options.fleet !== undefined && (options.count !== undefined || options.namePrefix !== undefined)) {
    throw new SimUsageError('--fleet describes every node: it cannot be combined with --count or --name-prefix');
  }
  if (options.fleet === undefined && options.count === undefined) throw new SimUsageError('say how many nodes: --count N, or --fleet FILE');
  const args = ['--nats', options.nats ?? env.NATS_URL ?? 'nats://127.0.0.1:4222', '--runtime', 'sim'];
  if (options.fleet !== undefined) args.push('--fleet', resolve(cwd, options.fleet));
  else args.push('--nodes', String(options.count), '--name-prefix', options.namePrefix ?? DEFAULT_SIM_NAME_PREFIX);
  if (options.stages !== undefined) args.push('--stages', resolve(cwd, options.stages));
  if (options.seed !== undefined) args.push('--seed', String(options.seed));
  return [...args, ...extra];
}

function defaultSpawner(env: Record<string, string | undefined>): AgentSpawner {
  return (args) =>
    spawn(process.execPath, ['--import', 'tsx', AGENT_MAIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...env } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: Ctrl-C reaches only this command, which stops the agent once (a second
      // signal would make the agent exit at once, without closing its connections).
      detached: true,
    });
}

const fmt = (value: number, digits = 0): string => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function counts(record: unknown): string {
  if (typeof record !== 'object' || record === null) return '';
  return Object.entries(record as Record<string, number>)
    .map(([key, n]) => `${key} ${fmt(n)}`)
    .join(', ');
}

/** Turns one of the agent's log lines into the command's output. */
function describeLine(line: Record<string, unknown>, io: Io, verbose: boolean): void {
  const msg = line.msg;
  if (msg === 'registering nodes') {
    const fleet = typeof line.fleet === 'string' ? ` from ${line.fleet}` : '';
    io.out(`registering ${fmt(Number(line.nodes))} simulated nodes${fleet} (the log held ${fmt(Number(line.foldedEvents))} events, folded in ${fmt(Number(line.foldMs))} ms)\n`);
    if (line.groups) io.out(`  groups: ${counts(line.groups)}\n`);
    if (line.zones && Object.keys(line.zones).length > 0) io.out(`  zones: ${counts(line.zones)}\n`);
    if (line.instanceTypes && Object.keys(line.instanceTypes).length > 0) io.out(`  instance types: ${counts(line.instanceTypes)}\n`);
    if (typeof line.tainted === 'number' && line.tainted > 0) io.out(`  tainted: ${fmt(line.tainted)}\n`);
  } else if (msg === 'nodes registered') {
    const ms = Number(line.durationMs);
    io.out(
      `${fmt(Number(line.nodes))} nodes registered in ${fmt(ms / 1000, 2)} s (${fmt(Number(line.nodesPerSecond))} nodes/s): ` +
        `${fmt(Number(line.new))} new, ${fmt(Number(line.reRegistered))} re-registered, ${fmt(Number(line.unchanged))} unchanged\n`,
    );
  } else if (msg === 'node agent running') {
    const stages = typeof line.stagesFile === 'string' ? `, stages from ${line.stagesFile}` : '';
    io.out(`running: leases renewed every ${fmt(Number(line.leaseRenewMs) / 1000, 1)} s${stages}. Ctrl-C stops the nodes.\n`);
  } else if (line.level === 'warn' || line.level === 'error') {
    io.err(`${String(line.level)}: ${String(msg)}${line.error ? `: ${JSON.stringify(line.error)}` : ''}\n`);
  } else if (verbose) {
    io.err(`${JSON.stringify(line)}\n`);
  }
}

/** Runs the agent until it exits, or until `signal` aborts (then it is stopped with one SIGTERM). Resolves with the exit code. */
export async function runSimNodes(options: SimNodesOptions, extra: readonly string[], io: Io, commandOptions: SimCommandOptions = {}): Promise<number> {
  const env = commandOptions.env ?? process.env;
  let args: string[];
  try {
    args = simAgentArgs(options, extra, env, commandOptions.cwd ?? process.cwd());
  } catch (error) {
    if (error instanceof SimUsageError) {
      io.err(`flotilla sim nodes: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const child = (commandOptions.spawnAgent ?? defaultSpawner(env))(args);
  const exited = new Promise<number>((done) => {
    child.once('exit', (code, signal) => done(code ?? (signal ? 128 + (signalNumber(signal) ?? 15) : 1)));
    child.once('error', (error) => {
      io.err(`flotilla sim nodes: cannot start the node agent: ${error.message}\n`);
      done(1);
    });
  });
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        io.err(`${text}\n`);
        return;
      }
      describeLine(line, io, options.verbose ?? false);
    });
  }
  // The agent's own errors (a bad fleet file, no NATS) come on stderr, already worded for people.
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (text) => io.err(`${text}\n`));

  let stopping = false;
  const stop = (): void => {
    if (stopping || child.exitCode !== null || child.signalCode !== null) return;
    stopping = true;
    io.err('stopping the simulated nodes...\n');
    child.kill('SIGTERM');
  };
  const processSignals: NodeJS.Signals[] = commandOptions.handleProcessSignals ? ['SIGTERM', 'SIGHUP'] : [];
  for (const name of processSignals) process.on(name, stop);
  // A command that dies without stopping the agent would leave nodes renewing their leases.
  const onExit = (): void => void child.kill('SIGTERM');
  process.on('exit', onExit);
  if (commandOptions.signal?.aborted) stop();
  commandOptions.signal?.addEventListener('abort', stop, { once: true });
  try {
    const code = await exited;
    // Stopped on request: a clean stop is success, whatever signal the agent's exit reports.
    return stopping && (code === 0 || code === 130 || code === 143) ? 0 : code;
  } finally {
    for (const name of processSignals) process.off(name, stop);
    process.off('exit', onExit);
    commandOptions.signal?.removeEventListener('abort', stop);
  }
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Partial<Record<NodeJS.Signals, number>>)[signal];
}

export function simCommand(io: Io, run: (code: Promise<number>) => void, commandOptions: SimCommandOptions = {}): Command {
  const sim = new Command('sim').description('Simulate parts of a cluster on this machine (see: flotilla sim nodes --help)');
  sim
    .command('nodes')
    .description(
      'Host simulated nodes in one node agent (sim runtime) until Ctrl-C: N nodes of one shape, or every node of a fleet file (bench/fleets/*.yaml); ' +
        'pod lifecycles follow a stages file (bench/stages/*.yaml). Extra node-agent flags go after --.',
    )
    .addOption(new Option('--count <n>', 'how many nodes, named <name-prefix>-1..N').argParser(positiveInteger))
    .option('--fleet <file>', 'a fleet file: node groups with capacities, labels, taints, zones and instance types')
    .option('--stages <file>', 'a stages file: delays, outcomes and failures of simulated pods')
    .option('--nats <url>', 'the NATS server of the cluster (default: $NATS_URL or nats://127.0.0.1:4222)')
    .addOption(new Option('--seed <n>', 'seeds every simulated delay and failure (same seed, same lifecycles)').argParser(nonNegativeInteger))
    .option('--name-prefix <prefix>', `node names with --count (default "${DEFAULT_SIM_NAME_PREFIX}")`)
    .option('-v, --verbose', "also print the agent's other log lines")
    .argument('[agent-flags...]', 'more node-agent flags, after -- (e.g. -- --lease-renew-ms 5000)')
    .action((agentFlags: string[], options: SimNodesOptions) => {
      run(runSimNodes(options, agentFlags, io, { handleProcessSignals: true, ...commandOptions }));
    });
  return sim;
}
