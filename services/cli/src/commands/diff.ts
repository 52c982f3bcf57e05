// `flotilla diff --from A --to B`: what changed in the cluster between two points of the log.
import type { Command } from 'commander';
import { ApiError } from '@flotilla/client';
import { diffText } from '../render/diff.ts';
import { formatError } from '../render/errors.ts';
import { toJson, toYaml } from '../render/output.ts';
import type { CommandContext } from './context.ts';

export interface DiffOptions {
  from: string;
  to: string;
  output?: string;
}

export async function runDiff(options: DiffOptions, ctx: CommandContext): Promise<number> {
  if (options.output !== undefined && options.output !== 'json' && options.output !== 'yaml') {
    ctx.io.err(`error: unable to match a printer suitable for the output format ${JSON.stringify(options.output)}, allowed formats are: json,yaml\n`);
    return 1;
  }
  try {
    const result = await ctx.client.diff(options.from, options.to);
    ctx.warn(result.warnings);
    if (options.output === 'json') ctx.io.out(toJson(result.body));
    else if (options.output === 'yaml') ctx.io.out(toYaml(result.body));
    else ctx.io.out(diffText(result.body));
    return 0;
  } catch (error) {
    if (error instanceof ApiError) ctx.warn(error.warnings);
    ctx.io.err(formatError(error));
    return 1;
  }
}

/** Adds the command to `program` (so it inherits the program's output and exit settings). */
export function diffCommand(program: Command, run: (code: Promise<number>) => void, context: (command: Command) => CommandContext): Command {
  return program
    .command('diff')
    .description('List the pods, nodes and replicasets added, removed or changed between two points of the log')
    .requiredOption('--from <seq|time>', 'the earlier point: a resourceVersion (sequence) or an RFC 3339 time')
    .requiredOption('--to <seq|time>', 'the later point: a resourceVersion (sequence) or an RFC 3339 time')
    .option('-o, --output <format>', 'json | yaml')
    .action((options: DiffOptions, command: Command) => {
      run(runDiff(options, context(command)));
    });
}
