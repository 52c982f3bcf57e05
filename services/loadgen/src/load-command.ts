// `flotilla load FILE [--out DIR] [--server URL --nats URL] [--quiet] [--no-limit]`, shared by the CLI and main.ts.
import { loadWorkload, WorkloadError } from './workload.ts';
import { runWorkload, RunAbortedError } from './run-workload.ts';

export const LOAD_USAGE = 'usage: flotilla load FILE [--out DIR] [--server URL --nats URL] [--quiet] [--no-limit] [--timeout SECONDS]';

export interface LoadArgs {
  file: string;
  out?: string;
  server?: string;
  nats?: string;
  quiet: boolean;
  limit: boolean;
  timeoutSeconds?: number;
}

export class LoadUsageError extends Error {
  override readonly name = 'LoadUsageError';
}

export function parseLoadArgs(argv: readonly string[]): LoadArgs {
  const args: LoadArgs = { file: '', quiet: false, limit: true };
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new LoadUsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--out': args.out = value(); break;
      case '--server': args.server = value(); break;
      case '--nats': args.nats = value(); break;
      case '--timeout': {
        const seconds = Number(value());
        if (!Number.isFinite(seconds) || seconds <= 0) throw new LoadUsageError('--timeout expects a positive number of seconds');
        args.timeoutSeconds = seconds;
        break;
      }
      case '--quiet': case '-q': args.quiet = true; break;
      case '--no-limit': args.limit = false; break;
      default:
        if (arg.startsWith('-')) throw new LoadUsageError(`unknown flag ${arg}`);
        files.push(arg);
    }
  }
  if (files.length !== 1) throw new LoadUsageError(files.length === 0 ? 'expected a workload file' : `expected one workload file, got ${files.length}`);
  if ((args.server === undefined) !== (args.nats === undefined)) throw new LoadUsageError('--server and --nats go together (a running cluster needs both)');
  args.file = files[0]!;
  return args;
}

/** Runs the command; resolves to the exit code (0 ok, 1 run failed or a phase timed out, 2 usage, 130 interrupted). */
export async function runLoadCommand(args: LoadArgs, err: (text: string) => void = (t) => process.stderr.write(t)): Promise<number> {
  try {
    const workload = loadWorkload(args.file);
    const result = await runWorkload(workload, {
      quiet: args.quiet,
      measureLimit: args.limit,
      ...(args.out !== undefined ? { out: args.out } : {}),
      ...(args.server !== undefined ? { server: args.server } : {}),
      ...(args.nats !== undefined ? { nats: args.nats } : {}),
      ...(args.timeoutSeconds !== undefined ? { timeoutMs: args.timeoutSeconds * 1000 } : {}),
    });
    return result.loadgen.timedOut ? 1 : 0;
  } catch (error) {
    if (error instanceof WorkloadError) {
      err(`${error.message}\n`);
      return 2;
    }
    if (error instanceof RunAbortedError) {
      err(`flotilla load: ${error.message}\n`);
      return 130;
    }
    err(`flotilla load: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
