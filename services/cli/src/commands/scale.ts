import { ApiError, ApiUnreachableError } from '@flotilla/client';
import { formatError } from '../render/errors.ts';
import { DEFAULT_NAMESPACE, type CommandContext } from './context.ts';
import { parseTargets, qualifiedKind } from './resource-types.ts';

export interface ScaleCommandOptions {
  namespace?: string;
  replicas?: number;
  /** Precondition: scale only if the current spec.replicas is this. */
  currentReplicas?: number;
  /** Precondition: scale only if the ReplicaSet is still at this resourceVersion. */
  resourceVersion?: string;
}

/** `flotilla scale rs NAME --replicas N` / `scale replicaset/NAME ...`: kubectl's wording and preconditions. */
export async function runScale(args: readonly string[], options: ScaleCommandOptions, ctx: CommandContext): Promise<number> {
  if (options.replicas === undefined || options.replicas < 0) {
    ctx.io.err('error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n');
    return 1;
  }
  const targets = parseTargets(args);
  if (typeof targets === 'string') {
    ctx.io.err(`error: ${targets.replace('to get', 'to scale')}\n`);
    return 1;
  }
  const other = targets.find((t) => t.kind !== 'replicaset');
  if (other) {
    ctx.io.err(`error: cannot scale ${other.kind}s: Flotilla scales replicasets (flotilla scale rs NAME --replicas N)\n`);
    return 1;
  }
  const names = targets.flatMap((t) => t.names);
  if (names.length === 0) {
    ctx.io.err('error: resource(s) were provided, but no name was specified\n');
    return 1;
  }
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  let failed = false;
  for (const name of names) {
    try {
      let resourceVersion = options.resourceVersion;
      if (options.currentReplicas !== undefined) {
        const current = (await ctx.client.getScale(namespace, name)).body;
        if (current.spec.replicas !== options.currentReplicas) {
          ctx.io.err(`error: Expected replicas to be ${options.currentReplicas}, was ${current.spec.replicas}\n`);
          failed = true;
          continue;
        }
        // The check and the change see the same version, or the change is refused (409).
        resourceVersion ??= current.metadata.resourceVersion;
      }
      const result = await ctx.client.scaleReplicaSet(namespace, name, options.replicas, resourceVersion !== undefined ? { resourceVersion } : {});
      ctx.warn(result.warnings);
      ctx.io.out(`${qualifiedKind('replicaset')}/${name} scaled\n`);
    } catch (error) {
      if (error instanceof ApiError) ctx.warn(error.warnings);
      ctx.io.err(formatError(error, { kind: 'ReplicaSet', name }));
      failed = true;
      if (error instanceof ApiUnreachableError) return 1;
    }
  }
  return failed ? 1 : 0;
}
