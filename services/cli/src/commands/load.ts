// `flotilla load FILE`: runs a workload file (services/loadgen); --server is the global flag.
import { Command, InvalidArgumentError } from 'commander';
import { runLoadCommand } from '@flotilla/loadgen';
import type { Io } from './context.ts';

interface LoadOptions {
  out?: string;
  nats?: string;
  quiet?: boolean;
  limit: boolean;
  timeout?: number;
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return seconds;
}

export function loadCommand(io: Io, run: (code: Promise<number>) => void): Command {
  return new Command('load')
    .description('Run a load workload (bench/workloads/*.yaml) on a local cluster, or on a running one with --server and --nats, and write its report')
    .argument('<file>', 'workload file (YAML)')
    .option('--out <dir>', 'report folder (default bench/reports/<workload>-<time>/)')
    .option('--nats <url>', 'NATS of a running cluster (with the global --server)')
    .option('--quiet', 'no progress and no terminal report')
    .option('--no-limit', 'skip measuring the JetStream append limit')
    .option('--timeout <seconds>', "override the workload's timeoutSeconds", parseSeconds)
    .action((file: string, options: LoadOptions, command: Command) => {
      const server = command.optsWithGlobals<{ server?: string }>().server;
      if ((server === undefined) !== (options.nats === undefined)) {
        io.err('flotilla load: --server and --nats go together (a running cluster needs both)\n');
        run(Promise.resolve(2));
        return;
      }
      run(
        runLoadCommand(
          {
            file,
            quiet: options.quiet ?? false,
            limit: options.limit,
            ...(options.out !== undefined ? { out: options.out } : {}),
            ...(server !== undefined ? { server } : {}),
            ...(options.nats !== undefined ? { nats: options.nats } : {}),
            ...(options.timeout !== undefined ? { timeoutSeconds: options.timeout } : {}),
          },
          (text) => io.err(text),
        ),
      );
    });
}
