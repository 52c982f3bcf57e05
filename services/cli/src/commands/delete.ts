import { ApiError, ApiUnreachableError } from '@flotilla/client';
import type { ManifestSet } from '../manifests.ts';
import { formatError } from '../render/errors.ts';
import { DEFAULT_NAMESPACE, type CommandContext } from './context.ts';
import { parseTargets, qualifiedKind, type ResourceKind } from './resource-types.ts';

export interface DeleteCommandOptions {
  namespace?: string;
  /** --grace-period; undefined is the pod's own terminationGracePeriodSeconds. */
  gracePeriod?: number;
  force?: boolean;
  ignoreNotFound?: boolean;
  all?: boolean;
  selector?: string;
}

const FORCE_WARNING =
  'Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.';

interface Victim {
  kind: ResourceKind;
  name: string;
  namespace: string;
  /** For -f: `error when deleting "file"`. */
  source?: string;
}

/** kubectl's grace rules: 0 without --force means 1; --force alone means 0. */
export function effectiveGracePeriod(options: Pick<DeleteCommandOptions, 'gracePeriod' | 'force'>): number | undefined {
  let grace = options.gracePeriod;
  if (grace !== undefined && grace < 0) grace = undefined;
  if (grace === 0 && !options.force) grace = 1;
  if (options.force && grace === undefined) grace = 0;
  return grace;
}

export async function runDelete(args: readonly string[], manifests: ManifestSet | undefined, options: DeleteCommandOptions, ctx: CommandContext): Promise<number> {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  let failed = false;
  const victims: Victim[] = [];

  if (manifests) {
    if (args.length > 0) {
      ctx.io.err('error: resources and -f cannot be given together\n');
      return 1;
    }
    for (const error of manifests.errors) {
      ctx.io.err(`error: ${error}\n`);
      failed = true;
    }
    for (const { object, source } of manifests.documents) {
      const metadata = (typeof object['metadata'] === 'object' && object['metadata'] !== null ? object['metadata'] : {}) as Record<string, unknown>;
      const name = typeof metadata['name'] === 'string' ? metadata['name'] : '';
      const kind = object['kind'] === 'Pod' ? 'pod' : object['kind'] === 'Node' ? 'node' : object['kind'] === 'ReplicaSet' ? 'replicaset' : undefined;
      if (!kind || !name) {
        ctx.io.err(`error: cannot delete ${JSON.stringify(object['kind'] ?? '')} ${JSON.stringify(name)} from ${JSON.stringify(source)}: Flotilla deletes named Pods, Nodes and ReplicaSets\n`);
        failed = true;
        continue;
      }
      const given = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : undefined;
      victims.push({ kind, name, namespace: options.namespace ?? given ?? DEFAULT_NAMESPACE, source });
    }
  } else {
    const targets = parseTargets(args);
    if (typeof targets === 'string') {
      ctx.io.err(`error: ${targets.replace('to get', 'to delete')}\n`);
      return 1;
    }
    for (const target of targets) {
      if (target.kind === 'event') {
        ctx.io.err('error: Flotilla events cannot be deleted\n');
        return 1;
      }
      if (target.names.length > 0) {
        if (options.all || options.selector) {
          ctx.io.err('error: names cannot be provided when a selector is specified\n');
          return 1;
        }
        for (const name of target.names) victims.push({ kind: target.kind, name, namespace });
        continue;
      }
      if (!options.all && !options.selector) {
        ctx.io.err('error: resource(s) were provided, but no name was specified\n');
        return 1;
      }
      try {
        const items =
          target.kind === 'pod'
            ? (await ctx.client.listPods(namespace, { labelSelector: options.selector })).body.items
            : target.kind === 'replicaset'
              ? (await ctx.client.listReplicaSets(namespace, { labelSelector: options.selector })).body.items
              : (await ctx.client.listNodes({ labelSelector: options.selector })).body.items;
        if (items.length === 0) ctx.io.err(target.kind === 'node' ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`);
        for (const item of items) victims.push({ kind: target.kind, name: item.metadata.name, namespace });
      } catch (error) {
        ctx.io.err(formatError(error));
        return 1;
      }
    }
  }

  const grace = effectiveGracePeriod(options);
  const forced = options.force === true && grace === 0;
  if (forced && victims.some((v) => v.kind === 'pod')) ctx.io.err(`Warning: ${FORCE_WARNING}\n`);
  for (const victim of victims) {
    try {
      const result =
        victim.kind === 'pod'
          ? await ctx.client.deletePod(victim.namespace, victim.name, { gracePeriodSeconds: grace })
          : victim.kind === 'replicaset'
            ? await ctx.client.deleteReplicaSet(victim.namespace, victim.name)
            : await ctx.client.deleteNode(victim.name);
      ctx.warn(result.warnings);
      ctx.io.out(`${qualifiedKind(victim.kind)} ${JSON.stringify(victim.name)} ${forced && victim.kind === 'pod' ? 'force deleted' : 'deleted'}\n`);
    } catch (error) {
      if (error instanceof ApiError) {
        ctx.warn(error.warnings);
        if (error.reason === 'NotFound' && options.ignoreNotFound) continue;
      }
      const action = victim.source ? `error when deleting ${JSON.stringify(victim.source)}` : undefined;
      ctx.io.err(formatError(error, { action, name: victim.name }));
      failed = true;
      if (error instanceof ApiUnreachableError) return 1;
    }
  }
  return failed ? 1 : 0;
}

