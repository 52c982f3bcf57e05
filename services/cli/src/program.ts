// The command tree: commander options wired to the client and the commands (render/*.ts prints).
import { Command, InvalidArgumentError, Option } from 'commander';
import { FlotillaClient, resolveServer } from '@flotilla/client';
import { applyManifests } from './commands/apply.ts';
import { warningPrinter, type CommandContext, type Io } from './commands/context.ts';
import { COMPLETION_SHELLS, completionScript } from './commands/completion.ts';
import { runCordon } from './commands/cordon.ts';
import { runDelete } from './commands/delete.ts';
import { runDescribe } from './commands/describe.ts';
import { diffCommand } from './commands/diff.ts';
import { runDrain, type DrainOptions } from './commands/drain.ts';
import { runExplain, runPlan } from './commands/explain.ts';
import { runGet } from './commands/get.ts';
import { historyCommand } from './commands/history.ts';
import { loadCommand } from './commands/load.ts';
import { runLogs, type LogsOptions } from './commands/logs.ts';
import { recordCommand } from './commands/record.ts';
import { replayCommand } from './commands/replay.ts';
import { runScale, type ScaleCommandOptions } from './commands/scale.ts';
import { simCommand } from './commands/sim.ts';
import { registerTopCommand } from './commands/top.ts';
import { readAll, readManifestSources } from './manifests.ts';
import { formatError } from './render/errors.ts';

export const VERSION = '0.1.0';


interface GlobalOptions {
  server?: string;
  requestTimeout?: number;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `30s`, `1m`, `500ms` or plain seconds, as kubectl's --request-timeout; 0 means no timeout. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected a duration such as 30s, 1m or 500ms');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * unit);
}

function parseInteger(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('expected an integer');
  return Number(value);
}

export interface ProgramOptions {
  /** Ends watches (Ctrl-C). */
  signal?: AbortSignal;
  /** Injected fetch (tests). */
  fetch?: typeof fetch;
  /** Injected clock (tests). */
  now?: () => Date;
  /** Local-time describe output (kubectl's); tests pin UTC. */
  localTime?: boolean;
  readStdin?: () => Promise<string>;
  /** Environment for FLOTILLA_SERVER (tests); defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Throw instead of exiting on usage errors (tests). */
  exitOverride?: boolean;
}

/** Builds the program; each action hands its exit-code promise to `run`. */
export function buildProgram(io: Io, run: (code: Promise<number>) => void, programOptions: ProgramOptions = {}): Command {
  const { signal } = programOptions;
  const readStdin = programOptions.readStdin ?? (() => readAll(process.stdin));
  const program = new Command('flotilla')
    .description('Flotilla: a kubectl-shaped CLI for the Flotilla pod scheduler.')
    .version(VERSION, '--version', 'print the client version')
    .option('-s, --server <url>', 'address of the Flotilla API (default: $FLOTILLA_SERVER or http://127.0.0.1:7070)')
    .addOption(new Option('--request-timeout <duration>', 'how long to wait for one answer (e.g. 30s, 1m; 0 disables)').argParser(parseDuration))
    .showHelpAfterError('(run flotilla --help for usage)')
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) });
  if (programOptions.exitOverride) program.exitOverride();

  const context = (command: Command): CommandContext => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const client = new FlotillaClient({
      server: resolveServer(globals.server, programOptions.env ?? process.env),
      ...(globals.requestTimeout !== undefined ? { timeoutMs: globals.requestTimeout } : {}),
      ...(programOptions.fetch ? { fetch: programOptions.fetch } : {}),
    });
    return { client, io, now: programOptions.now ?? (() => new Date()), localTime: programOptions.localTime ?? true, warn: warningPrinter(io), signal };
  };

  const namespaceOption = (fromManifests = false) =>
    new Option('-n, --namespace <namespace>', fromManifests ? 'namespace (default: the manifest\'s own, else "default")' : 'namespace (default: "default")');

  for (const mode of ['apply', 'create'] as const) {
    program
      .command(mode)
      .description(
        mode === 'apply'
          ? 'Create the pods, replicasets and nodes of manifests; existing identical ones are "unchanged" (a replicaset\'s replicas are applied)'
          : 'Create the pods, replicasets and nodes of manifests; existing ones are an error',
      )
      .requiredOption('-f, --filename <path>', 'a YAML/JSON file (several documents allowed), a folder of them, or - for stdin; repeatable', collect)
      .addOption(namespaceOption(true))
      .action(async (options: { filename: string[]; namespace?: string }, command: Command) => {
        run(
          (async () => {
            const ctx = context(command);
            const manifests = await readManifestSources(options.filename, readStdin);
            return applyManifests(manifests, { mode, namespace: options.namespace }, ctx);
          })(),
        );
      });
  }

  program
    .command('get')
    .description('List pods, nodes, replicasets or events (TYPE: pods|pod|po, nodes|node|no, replicasets|replicaset|rs, events|ev)')
    .argument('<type>', 'resource type, or TYPE/NAME')
    .argument('[names...]', 'names to get')
    .addOption(namespaceOption())
    .option('-A, --all-namespaces', 'list across all namespaces')
    .option('-o, --output <format>', 'wide | json | yaml | name')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
    .option('--field-selector <selector>', 'field selector, e.g. spec.nodeName=node-1')
    .option('--show-labels', 'add a LABELS column')
    .option('-w, --watch', 'after listing, print a row for every change (Ctrl-C to stop)')
    .option('--at <seq|time>', 'the cluster as it was at this resourceVersion (sequence) or RFC 3339 time')
    .action((type: string, names: string[], options: Parameters<typeof runGet>[1], command: Command) => {
      run(runGet([type, ...names], options, context(command)));
    });

  program
    .command('describe')
    .description('Show a pod, node or replicaset in detail, with its events')
    .argument('<type>', 'pods|pod|po, nodes|node|no or replicasets|rs, or TYPE/NAME')
    .argument('[names...]', 'names (all when none)')
    .addOption(namespaceOption())
    .option('-A, --all-namespaces', 'describe across all namespaces')
    .option('-l, --selector <selector>', 'label selector')
    .action((type: string, names: string[], options: Parameters<typeof runDescribe>[1], command: Command) => {
      run(runDescribe([type, ...names], options, context(command)));
    });

  program
    .command('explain')
    .description("Show why a pod went where it did: the last scheduling attempt's per-node, per-plugin scores")
    .argument('<type>', 'pods|pod|po, or pod/NAME')
    .argument('[names...]', 'pod names')
    .addOption(namespaceOption())
    .action((type: string, names: string[], options: { namespace?: string }, command: Command) => {
      run(runExplain([type, ...names], options, context(command)));
    });

  program
    .command('plan')
    .description('Show where pods would be scheduled now, and why, without creating them (exit 2 when one fits nowhere)')
    .requiredOption('-f, --filename <path>', 'a YAML/JSON file of Pod manifests, a folder of them, or - for stdin; repeatable', collect)
    .addOption(namespaceOption(true))
    .action((options: { filename: string[]; namespace?: string }, command: Command) => {
      run(
        (async () => {
          const ctx = context(command);
          const manifests = await readManifestSources(options.filename, readStdin);
          return runPlan(manifests, options, ctx);
        })(),
      );
    });

  program
    .command('delete')
    .description('Delete pods, replicasets (and so their pods) or nodes by name, by selector, or from manifests (-f)')
    .argument('[args...]', 'TYPE NAME... or TYPE/NAME...')
    .option('-f, --filename <path>', 'delete what these manifests name; repeatable', collect)
    .addOption(namespaceOption(true))
    .addOption(new Option('--grace-period <seconds>', 'seconds to let the pod stop (0 with --force: immediately)').argParser(parseInteger))
    .option('--force', 'delete at once, without waiting for the node to stop the pod')
    .option('--ignore-not-found', 'treat "not found" as success')
    .option('--all', 'delete every pod (or replicaset) in the namespace, or every node')
    .option('-l, --selector <selector>', 'delete what matches this label selector')
    .action(
      (
        args: string[],
        options: { filename?: string[]; namespace?: string; gracePeriod?: number; force?: boolean; ignoreNotFound?: boolean; all?: boolean; selector?: string },
        command: Command,
      ) => {
        run(
          (async () => {
            const ctx = context(command);
            const manifests = options.filename ? await readManifestSources(options.filename, readStdin) : undefined;
            if (!manifests && args.length === 0) {
              io.err('error: you must provide one or more resources by argument or filename (-f)\n');
              return 1;
            }
            return runDelete(args, manifests, options, ctx);
          })(),
        );
      },
    );

  program
    .command('scale')
    .description('Set the number of replicas of replicasets (prints replicaset.apps/NAME scaled)')
    .argument('<args...>', 'rs NAME... or replicaset/NAME...')
    .addOption(namespaceOption())
    .addOption(new Option('--replicas <count>', 'the new number of replicas (required, >= 0)').argParser(parseInteger))
    .addOption(new Option('--current-replicas <count>', 'precondition: scale only if the current replicas are this').argParser(parseInteger))
    .option('--resource-version <version>', 'precondition: scale only if the resourceVersion still is this')
    .action((args: string[], options: ScaleCommandOptions, command: Command) => {
      run(runScale(args, options, context(command)));
    });

  for (const verb of ['cordon', 'uncordon'] as const) {
    program
      .command(verb)
      .description(verb === 'cordon' ? 'Mark nodes unschedulable: their pods stay, new pods go elsewhere' : 'Mark nodes schedulable again')
      .argument('[nodes...]', 'node names')
      .option('-l, --selector <selector>', 'the nodes matching this label selector')
      // Nodes have no namespace; accepted (and ignored) as kubectl does.
      .addOption(namespaceOption().hideHelp())
      .action((nodes: string[], options: { selector?: string }, command: Command) => {
        run(runCordon(nodes, verb === 'cordon', options, context(command)));
      });
  }

  program
    .command('drain')
    .description('Cordon a node, then evict its pods through the Eviction API and wait until they are gone')
    .argument('<node>', 'node name')
    .option('--force', 'also evict pods that declare no controller (nothing recreates them)')
    .addOption(new Option('--grace-period <seconds>', 'seconds each pod gets to stop; negative: the pod\'s own').argParser(parseInteger).default(-1))
    .addOption(new Option('--timeout <duration>', 'give up after this long (e.g. 60s, 5m); 0 waits for ever').argParser(parseDuration).default(0))
    .option('--ignore-daemonsets', 'skip DaemonSet-managed pods instead of refusing')
    .option('--delete-emptydir-data', 'also evict pods with emptyDir volumes (their data is lost)')
    .option('--disable-eviction', 'delete the pods instead of evicting them')
    .addOption(namespaceOption().hideHelp())
    .action((node: string, options: DrainOptions, command: Command) => {
      run(runDrain(node, options, context(command)));
    });

  program
    .command('logs')
    .description("Print a container's log (-f follows it until the container stops or Ctrl-C)")
    .argument('<pod>', 'POD or pod/NAME')
    .argument('[container]', 'the container (same as -c)')
    .addOption(namespaceOption())
    .option('-c, --container <name>', 'the container; default: the kubectl.kubernetes.io/default-container annotation, else the first')
    .option('-f, --follow', 'keep printing new output')
    .addOption(new Option('--tail <lines>', 'only the last N lines; -1 prints all').argParser(parseInteger))
    .option('-p, --previous', 'the previous instance of the container (after a restart)')
    .option('--timestamps', 'prefix each line with its RFC 3339 time')
    .addOption(new Option('--limit-bytes <bytes>', 'stop after this many bytes').argParser(parseInteger))
    .addOption(new Option('--since <duration>', 'only lines newer than this, e.g. 10s, 5m, 1h').argParser(parseDuration))
    .option('--since-time <time>', 'only lines at or after this RFC 3339 time')
    .action((pod: string, container: string | undefined, options: LogsOptions, command: Command) => {
      run(runLogs(container === undefined ? [pod] : [pod, container], options, context(command)));
    });

  historyCommand(program, run, context);
  diffCommand(program, run, context);
  registerTopCommand(program, run, context);
  program
    .command('completion')
    .description('Print a shell completion script: source <(flotilla completion bash)')
    .argument('<shell>', `the shell: ${COMPLETION_SHELLS.join(' or ')}`)
    .action((shell: string) => {
      const script = completionScript(program, shell);
      if (script === undefined) {
        io.err(`error: unsupported shell ${JSON.stringify(shell)}; supported: ${COMPLETION_SHELLS.join(', ')}\n`);
        run(Promise.resolve(1));
        return;
      }
      io.out(script);
      run(Promise.resolve(0));
    });
  program.addCommand(loadCommand(io, run));
  program.addCommand(recordCommand(io, run, programOptions));
  program.addCommand(replayCommand(io, run));
  program.addCommand(simCommand(io, run, signal ? { signal } : {}));

  program
    .command('version')
    .description('Print the client and server versions')
    .action((_options: unknown, command: Command) => {
      run(
        (async () => {
          const ctx = context(command);
          io.out(`Client Version: flotilla-${VERSION}\n`);
          try {
            const result = await ctx.client.request<{ gitVersion?: string }>('GET', '/version');
            io.out(`Server Version: ${result.body.gitVersion ?? 'unknown'}\n`);
            return 0;
          } catch (error) {
            io.err(formatError(error));
            return 1;
          }
        })(),
      );
    });

  return program;
}
