import { ApiError } from '@flotilla/client';
import type { ManifestSet } from '../manifests.ts';
import { formatError } from '../render/errors.ts';
import { explainPod, planOutput } from '../render/scheduling.ts';
import { DEFAULT_NAMESPACE, type CommandContext } from './context.ts';
import { parseTargets } from './resource-types.ts';

/** Exit code of `flotilla plan` when the pod fits nowhere: a placement problem, not a usage or API error. */
export const EXIT_NO_NODE_FITS = 2;

/** `flotilla explain pod NAME...`: the last scheduling attempt's per-node, per-plugin table. */
export async function runExplain(args: readonly string[], options: { namespace?: string }, ctx: CommandContext): Promise<number> {
  const targets = parseTargets(args);
  if (typeof targets === 'string') {
    ctx.io.err(`error: ${targets}\n`);
    return 1;
  }
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const outputs: string[] = [];
  let failed = false;
  for (const target of targets) {
    if (target.kind !== 'pod') {
      ctx.io.err('error: explain supports pods: flotilla explain pod NAME\n');
      failed = true;
      continue;
    }
    if (target.names.length === 0) {
      ctx.io.err('error: explain needs a pod name: flotilla explain pod NAME\n');
      failed = true;
      continue;
    }
    for (const name of target.names) {
      try {
        const result = await ctx.client.getScheduling(namespace, name);
        ctx.warn(result.warnings);
        outputs.push(explainPod(result.body));
      } catch (error) {
        if (error instanceof ApiError) ctx.warn(error.warnings);
        ctx.io.err(formatError(error));
        failed = true;
      }
    }
  }
  if (outputs.length > 0) ctx.io.out(outputs.join('\n'));
  return failed ? 1 : 0;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * `flotilla plan -f pod.yaml`: where each pod would go and why, without creating it. Exit 0 when every
 * pod fits somewhere, 2 when one fits nowhere, 1 for bad input or API errors.
 */
export async function runPlan(set: ManifestSet, options: { namespace?: string }, ctx: CommandContext): Promise<number> {
  let failed = false;
  let unplaceable = false;
  for (const error of set.errors) {
    ctx.io.err(`error: ${error}\n`);
    failed = true;
  }
  if (set.documents.length === 0 && set.errors.length === 0) {
    ctx.io.err('error: no objects passed to plan\n');
    return 1;
  }
  const outputs: string[] = [];
  for (const { object, source } of set.documents) {
    const kind = str(object['kind']);
    const metadata = typeof object['metadata'] === 'object' && object['metadata'] !== null ? (object['metadata'] as Record<string, unknown>) : {};
    const name = str(metadata['name']) ?? str(metadata['generateName']) ?? '';
    if (kind !== 'Pod') {
      ctx.io.err(`error: ${source}: plan takes Pod manifests, not ${JSON.stringify(kind ?? '')}\n`);
      failed = true;
      continue;
    }
    const given = str(metadata['namespace']);
    if (options.namespace && given && given !== options.namespace) {
      ctx.io.err(`error: the namespace from the provided object ${JSON.stringify(given)} does not match the namespace ${JSON.stringify(options.namespace)}. You must pass '--namespace=${given}' to perform this operation.\n`);
      failed = true;
      continue;
    }
    try {
      const result = await ctx.client.planPod(options.namespace ?? given ?? DEFAULT_NAMESPACE, object);
      ctx.warn(result.warnings);
      outputs.push(planOutput(name, result.body));
      if (!result.body.feasible) unplaceable = true;
    } catch (error) {
      if (error instanceof ApiError) ctx.warn(error.warnings);
      ctx.io.err(formatError(error, { action: `error when planning ${JSON.stringify(source)}`, kind: 'Pod', name }));
      failed = true;
    }
  }
  if (outputs.length > 0) ctx.io.out(outputs.join('\n'));
  if (failed) return 1;
  return unplaceable ? EXIT_NO_NODE_FITS : 0;
}
