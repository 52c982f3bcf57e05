import { ApiError, FlotillaClient } from '@flotilla/client';
import type { KubeEvent, ListMeta, WatchEvent } from '@flotilla/client';
import type { Node, Pod, ReplicaSet } from '@flotilla/model';
import { formatError, isFatal } from '../render/errors.ts';
import {
  eventHeader,
  eventRow,
  nodeHeader,
  nodeRow,
  podHeader,
  podRow,
  renderTable,
  replicaSetHeader,
  replicaSetRow,
  StreamingTable,
  type TableOptions,
} from '../render/get-table.ts';
import { parseOutputFormat, printNames, printObjects, toJson, toYaml, type OutputFormat } from '../render/output.ts';
import { DEFAULT_NAMESPACE, type CommandContext } from './context.ts';
import { parseTargets, qualifiedKind, type ResourceKind, type Target } from './resource-types.ts';

export interface GetOptions {
  namespace?: string;
  allNamespaces?: boolean;
  output?: string;
  selector?: string;
  fieldSelector?: string;
  showLabels?: boolean;
  watch?: boolean;
  /** Time travel: list as of this resourceVersion (sequence) or RFC 3339 time. */
  at?: string;
}

type AnyObject = Pod | Node | KubeEvent | ReplicaSet;

interface Fetched {
  kind: ResourceKind;
  objects: AnyObject[];
  /** Names were given (get pod a b): -o json of one prints the object itself. */
  byName: boolean;
  list?: ListMeta;
}

export async function runGet(args: readonly string[], options: GetOptions, ctx: CommandContext): Promise<number> {
  const format = parseOutputFormat(options.output);
  if (!format) {
    ctx.io.err(`error: unable to match a printer suitable for the output format ${JSON.stringify(options.output)}, allowed formats are: json,name,wide,yaml\n`);
    return 1;
  }
  const targets = parseTargets(args);
  if (typeof targets === 'string') {
    ctx.io.err(`error: ${targets}\n`);
    return 1;
  }
  if (options.watch && (targets.length !== 1 || targets[0]!.names.length > 1)) {
    ctx.io.err('error: you may only specify a single resource type (and at most one name) with --watch\n');
    return 1;
  }
  if (options.at !== undefined && options.watch) {
    ctx.io.err('error: --at shows the past and --watch follows the present: use one of them\n');
    return 1;
  }
  if (options.at !== undefined && targets.some((t) => t.kind === 'event')) {
    ctx.io.err('error: --at is not supported for events (use flotilla history for the past of an object)\n');
    return 1;
  }
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  let failed = false;
  const fetched: Fetched[] = [];
  for (const target of targets) {
    const result = await fetchTarget(target, namespace, options, ctx);
    if (result.failed) failed = true;
    if (result.fatal) return 1;
    fetched.push(result.fetched);
  }

  const tableOptions: TableOptions = {
    now: ctx.now(),
    wide: format === 'wide',
    allNamespaces: options.allNamespaces === true,
    showLabels: options.showLabels === true,
  };
  const total = fetched.reduce((n, f) => n + f.objects.length, 0);
  if (format === 'json' || format === 'yaml') {
    const single = fetched.length === 1 && fetched[0]!.byName && fetched[0]!.objects.length === 1 && targets[0]!.names.length === 1;
    if (total > 0 || !fetched.every((f) => f.byName)) ctx.io.out(printObjects(format, fetched.flatMap((f) => f.objects), single));
  } else if (format === 'name') {
    for (const f of fetched) ctx.io.out(printNames(qualifiedKind(f.kind), f.objects.map((o) => o.metadata.name)));
  } else {
    const tables = fetched.filter((f) => f.objects.length > 0).map((f) => renderTable(buildTable(f.kind, f.objects, tableOptions)));
    ctx.io.out(tables.join('\n'));
    if (total === 0 && !failed && !options.watch) ctx.io.err(emptyMessage(targets, namespace, options));
  }

  if (options.watch) {
    const target = targets[0]!;
    const watched = await watchTarget(target, fetched[0]!, namespace, options, format, tableOptions, ctx);
    if (!watched) failed = true;
  }
  return failed ? 1 : 0;
}

function emptyMessage(targets: readonly Target[], namespace: string, options: GetOptions): string {
  const namespaced = targets.some((t) => t.kind !== 'node');
  if (!namespaced || options.allNamespaces) return 'No resources found\n';
  return `No resources found in ${namespace} namespace.\n`;
}

function buildTable(kind: ResourceKind, objects: readonly AnyObject[], options: TableOptions): { header: string[]; rows: string[][] } {
  switch (kind) {
    case 'pod':
      return { header: podHeader(options), rows: (objects as Pod[]).map((o) => podRow(o, options)) };
    case 'node':
      return { header: nodeHeader(options), rows: (objects as Node[]).map((o) => nodeRow(o, options)) };
    case 'event':
      return { header: eventHeader(options), rows: (objects as KubeEvent[]).map((o) => eventRow(o, options)) };
    case 'replicaset':
      return { header: replicaSetHeader(options), rows: (objects as ReplicaSet[]).map((o) => replicaSetRow(o, options)) };
  }
}

function rowOf(kind: ResourceKind, object: AnyObject, options: TableOptions): string[] {
  return buildTable(kind, [object], options).rows[0]!;
}

async function fetchTarget(target: Target, namespace: string, options: GetOptions, ctx: CommandContext): Promise<{ fetched: Fetched; failed: boolean; fatal: boolean }> {
  const ns = options.allNamespaces ? undefined : namespace;
  const fetched: Fetched = { kind: target.kind, objects: [], byName: target.names.length > 0 };
  let failed = false;
  const fail = (error: unknown): boolean => {
    if (error instanceof ApiError) ctx.warn(error.warnings);
    ctx.io.err(formatError(error));
    failed = true;
    return isFatal(error);
  };
  try {
    if (target.names.length === 0) {
      const list =
        target.kind === 'pod'
          ? await ctx.client.listPods(ns, { labelSelector: options.selector, fieldSelector: options.fieldSelector, at: options.at })
          : target.kind === 'node'
            ? await ctx.client.listNodes({ labelSelector: options.selector, fieldSelector: options.fieldSelector, at: options.at })
            : target.kind === 'replicaset'
              ? await ctx.client.listReplicaSets(ns, { labelSelector: options.selector, fieldSelector: options.fieldSelector, at: options.at })
              : await ctx.client.listEvents(ns, { fieldSelector: options.fieldSelector });
      ctx.warn(list.warnings);
      fetched.objects = list.body.items;
      fetched.list = list.body.metadata;
      return { fetched, failed, fatal: false };
    }
    let events: KubeEvent[] | undefined;
    for (const name of target.names) {
      try {
        if (target.kind === 'pod') {
          const result = await ctx.client.getPod(namespace, name, { at: options.at });
          ctx.warn(result.warnings);
          fetched.objects.push(result.body);
        } else if (target.kind === 'node') {
          const result = await ctx.client.getNode(name, { at: options.at });
          ctx.warn(result.warnings);
          fetched.objects.push(result.body);
        } else if (target.kind === 'replicaset') {
          const result = await ctx.client.getReplicaSet(namespace, name, { at: options.at });
          ctx.warn(result.warnings);
          fetched.objects.push(result.body);
        } else {
          // The API has no single-event endpoint: find it in the namespace's list.
          events ??= (await ctx.client.listEvents(namespace)).body.items;
          const event = events.find((e) => e.metadata.name === name);
          if (event) fetched.objects.push(event);
          else fail(new ApiError({ status: 404, body: { kind: 'Status', reason: 'NotFound', message: `events ${JSON.stringify(name)} not found`, code: 404 }, method: 'GET', path: '' }));
        }
      } catch (error) {
        if (fail(error)) return { fetched, failed, fatal: true };
      }
    }
  } catch (error) {
    return { fetched, failed: true, fatal: fail(error) };
  }
  return { fetched, failed, fatal: false };
}

function watchPath(kind: ResourceKind, namespace: string | undefined): string {
  if (kind === 'node') return '/api/v1/nodes';
  if (kind === 'replicaset') return FlotillaClient.replicaSetsPath(namespace);
  const resource = kind === 'pod' ? 'pods' : 'events';
  return namespace === undefined ? `/api/v1/${resource}` : `/api/v1/namespaces/${encodeURIComponent(namespace)}/${resource}`;
}

/** `get -w`: the table above, then one row per change until Ctrl-C. */
async function watchTarget(target: Target, fetched: Fetched, namespace: string, options: GetOptions, format: OutputFormat, tableOptions: TableOptions, ctx: CommandContext): Promise<boolean> {
  const name = target.names[0];
  const fieldTerms = [options.fieldSelector, name && target.kind !== 'event' ? `metadata.name=${name}` : undefined].filter(Boolean);
  const table = buildTable(target.kind, fetched.objects, tableOptions);
  const stream = new StreamingTable(table);
  let headerPrinted = fetched.objects.length > 0;
  try {
    const events = ctx.client.watch<AnyObject>(watchPath(target.kind, options.allNamespaces ? undefined : namespace), {
      resourceVersion: fetched.list?.resourceVersion ?? '0',
      signal: ctx.signal,
      query: {
        labelSelector: target.kind === 'event' ? undefined : options.selector,
        fieldSelector: fieldTerms.length > 0 ? fieldTerms.join(',') : undefined,
      },
    });
    for await (const event of events as AsyncIterable<WatchEvent<AnyObject>>) {
      if (event.type !== 'ADDED' && event.type !== 'MODIFIED' && event.type !== 'DELETED') continue;
      const object = event.object;
      if (name && object.metadata.name !== name) continue;
      if (format === 'json') ctx.io.out(toJson(object));
      else if (format === 'yaml') ctx.io.out(`---\n${toYaml(object)}`);
      else if (format === 'name') ctx.io.out(printNames(qualifiedKind(target.kind), [object.metadata.name]));
      else {
        const options = { ...tableOptions, now: ctx.now() };
        if (!headerPrinted) {
          ctx.io.out(stream.line(table.header));
          headerPrinted = true;
        }
        ctx.io.out(stream.line(rowOf(target.kind, object, options)));
      }
    }
    return true;
  } catch (error) {
    ctx.io.err(formatError(error));
    return false;
  }
}
