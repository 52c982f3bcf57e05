// `flotilla history pod|node|rs NAME`: every event the log holds about the object.
import { Option, type Command } from 'commander';
import { ApiError, type ApiResponse, type ObjectHistory } from '@flotilla/client';
import { formatError } from '../render/errors.ts';
import { historyTable } from '../render/history.ts';
import { toJson, toYaml } from '../render/output.ts';
import { DEFAULT_NAMESPACE, type CommandContext } from './context.ts';
import { resolveKind } from './resource-types.ts';

export interface HistoryOptions {
  namespace?: string;
  output?: string;
}

export async function runHistory(args: readonly string[], options: HistoryOptions, ctx: CommandContext): Promise<number> {
  // `pod web` or `pod/web`.
  const [first, second, ...rest] = args;
  const [type, name] = first?.includes('/') && second === undefined ? [first.slice(0, first.indexOf('/')), first.slice(first.indexOf('/') + 1)] : [first, second];
  const kind = type === undefined ? undefined : resolveKind(type);
  if (!kind || kind === 'event' || !name || rest.length > 0) {
    ctx.io.err('error: expected TYPE NAME (TYPE: pod, node or rs), e.g. flotilla history pod web\n');
    return 1;
  }
  if (options.output !== undefined && options.output !== 'json' && options.output !== 'yaml') {
    ctx.io.err(`error: unable to match a printer suitable for the output format ${JSON.stringify(options.output)}, allowed formats are: json,yaml\n`);
    return 1;
  }
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  let result: ApiResponse<ObjectHistory>;
  try {
    result =
      kind === 'pod' ? await ctx.client.podHistory(namespace, name) : kind === 'node' ? await ctx.client.nodeHistory(name) : await ctx.client.replicaSetHistory(namespace, name);
  } catch (error) {
    if (error instanceof ApiError) ctx.warn(error.warnings);
    ctx.io.err(formatError(error));
    return 1;
  }
  ctx.warn(result.warnings);
  if (options.output === 'json') ctx.io.out(toJson(result.body));
  else if (options.output === 'yaml') ctx.io.out(toYaml(result.body));
  else ctx.io.out(historyTable(result.body));
  return 0;
}

/** Adds the command to `program` (so it inherits the program's output and exit settings). */
export function historyCommand(program: Command, run: (code: Promise<number>) => void, context: (command: Command) => CommandContext): Command {
  return program
    .command('history')
    .description('Print every event of a pod, node or replicaset from the log: sequence, time, writer and what happened')
    .argument('<type>', 'pod|po, node|no or replicaset|rs, or TYPE/NAME')
    .argument('[name]', 'the name (a name reused by a later object shows both, told apart by UID)')
    .addOption(new Option('-n, --namespace <namespace>', 'namespace (default: "default")'))
    .option('-o, --output <format>', 'json | yaml')
    .action((type: string, name: string | undefined, options: HistoryOptions, command: Command) => {
      run(runHistory(name === undefined ? [type] : [type, name], options, context(command)));
    });
}
