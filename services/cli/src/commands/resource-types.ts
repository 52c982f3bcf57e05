// Resource type names and short names, as `kubectl get`/`delete`/`describe` accept them.

export type ResourceKind = 'pod' | 'node' | 'event' | 'replicaset';

const ALIASES: Record<string, ResourceKind> = {
  pod: 'pod',
  pods: 'pod',
  po: 'pod',
  node: 'node',
  nodes: 'node',
  no: 'node',
  event: 'event',
  events: 'event',
  ev: 'event',
  replicaset: 'replicaset',
  replicasets: 'replicaset',
  rs: 'replicaset',
};

/** How kubectl names a kind in `-o name` and in "created"/"deleted" lines: `pod`, `replicaset.apps`. */
export function qualifiedKind(kind: ResourceKind): string {
  return kind === 'replicaset' ? 'replicaset.apps' : kind;
}

export function resolveKind(name: string): ResourceKind | undefined {
  return ALIASES[name.toLowerCase()] ?? ALIASES[name.toLowerCase().split('.')[0] ?? ''];
}

export interface Target {
  kind: ResourceKind;
  names: string[];
}

/**
 * `TYPE [NAME...]` or `TYPE/NAME...`. Returns the targets in order, or an error message.
 */
export function parseTargets(args: readonly string[]): Target[] | string {
  if (args.length === 0) return 'you must specify the type of resource to get. Valid resource types include: pods, nodes, replicasets, events';
  if (args[0]!.includes('/')) {
    const targets: Target[] = [];
    for (const arg of args) {
      const slash = arg.indexOf('/');
      if (slash === -1) return `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'flotilla get resource/<resource_name>' instead of 'flotilla get resource resource/<resource_name>'`;
      const kind = resolveKind(arg.slice(0, slash));
      if (!kind) return `the server doesn't have a resource type ${JSON.stringify(arg.slice(0, slash))}`;
      const name = arg.slice(slash + 1);
      const last = targets[targets.length - 1];
      if (last && last.kind === kind) last.names.push(name);
      else targets.push({ kind, names: [name] });
    }
    return targets;
  }
  const [type, ...names] = args;
  const kind = resolveKind(type!);
  if (!kind) return `the server doesn't have a resource type ${JSON.stringify(type)}`;
  if (names.some((name) => name.includes('/'))) {
    return `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'flotilla get resource/<resource_name>' instead of 'flotilla get resource resource/<resource_name>'`;
  }
  return [{ kind, names }];
}
