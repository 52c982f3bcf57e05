// `flotilla top nodes [NAME]`: per node, the CPU and memory its pods request against its allocatable,
// in kubectl top's layout (there is no usage to measure; see render/top.ts).
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ApiError } from '@flotilla/client';
import type { Node } from '@flotilla/model';
import { formatError } from '../render/errors.ts';
import { TOP_NODES_NOTE, TOP_SORT_KEYS, nodeRequests, sortNodeRequests, topNodesTable, type TopSortBy } from '../render/top.ts';
import type { CommandContext } from './context.ts';

export interface TopNodesOptions {
  selector?: string;
  sortBy?: TopSortBy;
  headers?: boolean;
}

export async function runTopNodes(name: string | undefined, options: TopNodesOptions, ctx: CommandContext): Promise<number> {
  let nodes: Node[];
  try {
    if (name !== undefined) {
      const result = await ctx.client.getNode(name);
      ctx.warn(result.warnings);
      nodes = [result.body];
    } else {
      const result = await ctx.client.listNodes(options.selector !== undefined ? { labelSelector: options.selector } : {});
      ctx.warn(result.warnings);
      nodes = result.body.items;
    }
    if (nodes.length === 0) {
      ctx.io.err('No resources found\n');
      return 0;
    }
    const pods = await ctx.client.listPods(undefined);
    ctx.warn(pods.warnings);
    const rows = sortNodeRequests(nodeRequests(nodes, pods.body.items), options.sortBy);
    const noHeaders = options.headers === false;
    if (!noHeaders) ctx.io.err(TOP_NODES_NOTE);
    ctx.io.out(topNodesTable(rows, { noHeaders }));
    return 0;
  } catch (error) {
    if (error instanceof ApiError) ctx.warn(error.warnings);
    ctx.io.err(formatError(error));
    return 1;
  }
}

function parseSortBy(value: string): TopSortBy {
  if (!(TOP_SORT_KEYS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of: ${TOP_SORT_KEYS.join(', ')}`);
  return value as TopSortBy;
}

/** Adds `top` under `program` (created there, so it inherits the program's output and exit settings). */
export function registerTopCommand(program: Command, run: (code: Promise<number>) => void, context: (command: Command) => CommandContext): Command {
  const top = program.command('top').description('Show the CPU and memory requested on nodes, against what they can allocate');
  top
    .command('nodes')
    .aliases(['node', 'no'])
    .description('Per node: CPU and memory requested by its pods, and the share of its allocatable (not measured usage)')
    .argument('[name]', 'one node')
    .option('-l, --selector <selector>', 'label selector, e.g. zone=a')
    .addOption(new Option('--sort-by <resource>', 'cpu or memory: largest first (default: by name)').argParser(parseSortBy))
    .option('--no-headers', "don't print headers")
    .action((name: string | undefined, options: TopNodesOptions, command: Command) => {
      run(runTopNodes(name, options, context(command)));
    });
  return top;
}
