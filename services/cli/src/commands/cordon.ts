import { ApiError, ApiUnreachableError } from '@flotilla/client';
import { formatError } from '../render/errors.ts';
import type { CommandContext } from './context.ts';

export interface CordonOptions {
  selector?: string;
}

/**
 * `flotilla cordon NODE...` / `uncordon`: sets spec.unschedulable, printing kubectl's
 * `node/NAME cordoned` or `node/NAME already cordoned`.
 */
export async function runCordon(names: readonly string[], unschedulable: boolean, options: CordonOptions, ctx: CommandContext): Promise<number> {
  const verb = unschedulable ? 'cordoned' : 'uncordoned';
  let targets = [...names];
  if (options.selector !== undefined) {
    if (targets.length > 0) {
      ctx.io.err('error: cannot specify both a node name and a --selector option\n');
      return 1;
    }
    try {
      targets = (await ctx.client.listNodes({ labelSelector: options.selector })).body.items.map((n) => n.metadata.name);
    } catch (error) {
      ctx.io.err(formatError(error));
      return 1;
    }
    if (targets.length === 0) {
      ctx.io.err('No resources found\n');
      return 0;
    }
  }
  if (targets.length === 0) {
    ctx.io.err(`error: USAGE: flotilla ${unschedulable ? 'cordon' : 'uncordon'} NODE [flags]\n`);
    return 1;
  }
  let failed = false;
  for (const name of targets) {
    const outcome = await setUnschedulable(name, unschedulable, ctx);
    if (outcome === 'failed') {
      failed = true;
      continue;
    }
    if (outcome === 'unreachable') return 1;
    ctx.io.out(`node/${name} ${outcome === 'unchanged' ? `already ${verb}` : verb}\n`);
  }
  return failed ? 1 : 0;
}

/** Reads the node and patches it when needed; errors are printed here. */
export async function setUnschedulable(name: string, unschedulable: boolean, ctx: CommandContext): Promise<'changed' | 'unchanged' | 'failed' | 'unreachable'> {
  try {
    const node = (await ctx.client.getNode(name)).body;
    if ((node.spec?.unschedulable ?? false) === unschedulable) return 'unchanged';
    const result = unschedulable ? await ctx.client.cordonNode(name) : await ctx.client.uncordonNode(name);
    ctx.warn(result.warnings);
    return 'changed';
  } catch (error) {
    if (error instanceof ApiError) ctx.warn(error.warnings);
    ctx.io.err(formatError(error, { kind: 'Node', name }));
    return error instanceof ApiUnreachableError ? 'unreachable' : 'failed';
  }
}
