import { ApiError, ApiUnreachableError } from '@flotilla/client';
import type { ApiResponse } from '@flotilla/client';
import type { ManifestDocument, ManifestSet } from '../manifests.ts';
import { formatError } from '../render/errors.ts';
import { givenFieldDifferences, type FieldDifference } from '../spec-compare.ts';
import { DEFAULT_NAMESPACE, type CommandContext } from './context.ts';

export interface ApplyOptions {
  /** `apply` treats an identical existing object as unchanged; `create` reports it as an error. */
  mode: 'apply' | 'create';
  /** -n; otherwise each document's metadata.namespace, otherwise default. */
  namespace?: string;
}

/** Thrown to stop at the first unreachable-API error: every further document would fail the same way. */
class StopAll extends Error {}

/** Creates every document in order, keeps going past failures; returns the exit code. */
export async function applyManifests(set: ManifestSet, options: ApplyOptions, ctx: CommandContext): Promise<number> {
  let failed = false;
  for (const error of set.errors) {
    ctx.io.err(`error: ${error}\n`);
    failed = true;
  }
  if (set.documents.length === 0 && set.errors.length === 0) {
    ctx.io.err('error: no objects passed to ' + options.mode + '\n');
    return 1;
  }
  for (const document of set.documents) {
    try {
      if (!(await applyDocument(document, options, ctx))) failed = true;
    } catch (error) {
      if (error instanceof StopAll) return 1;
      throw error;
    }
  }
  return failed ? 1 : 0;
}

function metadataOf(object: Record<string, unknown>): Record<string, unknown> {
  const metadata = object['metadata'];
  return typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata) ? (metadata as Record<string, unknown>) : {};
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

async function applyDocument(document: ManifestDocument, options: ApplyOptions, ctx: CommandContext): Promise<boolean> {
  const { object, source } = document;
  const kind = str(object['kind']);
  if (!kind) {
    ctx.io.err(`error: error validating ${JSON.stringify(source)}: error validating data: kind not set\n`);
    return false;
  }
  const metadata = metadataOf(object);
  const name = str(metadata['name']);
  if (options.mode === 'apply' && !name && str(metadata['generateName'])) {
    ctx.io.err(`error: from ${source}: cannot use generate name with apply\n`);
    return false;
  }
  const apiVersion = str(object['apiVersion']);
  if (kind === 'ReplicaSet' && apiVersion !== 'apps/v1') {
    ctx.io.err(
      `error: resource mapping not found for name: ${JSON.stringify(name ?? '')} from ${JSON.stringify(source)}: no matches for kind "ReplicaSet" in version ${JSON.stringify(apiVersion ?? '')}; ensure the apiVersion is apps/v1\n`,
    );
    return false;
  }
  if (kind === 'Pod' || kind === 'ReplicaSet') {
    const given = str(metadata['namespace']);
    if (options.namespace && given && given !== options.namespace) {
      ctx.io.err(
        `error: the namespace from the provided object ${JSON.stringify(given)} does not match the namespace ${JSON.stringify(options.namespace)}. You must pass '--namespace=${given}' to perform this operation.\n`,
      );
      return false;
    }
    const namespace = options.namespace ?? given ?? DEFAULT_NAMESPACE;
    if (kind === 'ReplicaSet') {
      return create(
        { kind: 'replicaset.apps', Kind: 'ReplicaSet', name, source, namespace },
        () => ctx.client.createReplicaSet(namespace, object),
        async (existingName) => applyExistingReplicaSet(existingName, namespace, object, ctx),
        options,
        ctx,
      );
    }
    return create(
      { kind: 'pod', Kind: 'Pod', name, source, namespace },
      () => ctx.client.createPod(namespace, object),
      async (existingName) => compareExisting('pod', existingName, namespace, object, (await ctx.client.getPod(namespace, existingName)).body, ctx),
      options,
      ctx,
    );
  }
  if (kind === 'Node') {
    return create(
      { kind: 'node', Kind: 'Node', name, source },
      () => ctx.client.createNode(object),
      async (existingName) => compareExisting('node', existingName, undefined, object, (await ctx.client.getNode(existingName)).body, ctx),
      options,
      ctx,
    );
  }
  ctx.io.err(
    `error: resource mapping not found for name: ${JSON.stringify(name ?? '')} from ${JSON.stringify(source)}: no matches for kind ${JSON.stringify(kind)}; Flotilla knows Pod, Node, ReplicaSet (apps/v1) and List\n`,
  );
  return false;
}

interface Subject {
  /** As kubectl prints it: `pod`, `node`, `replicaset.apps`. */
  kind: string;
  Kind: 'Pod' | 'Node' | 'ReplicaSet';
  name: string | undefined;
  source: string;
  namespace?: string;
}

async function create(
  subject: Subject,
  send: () => Promise<ApiResponse<{ metadata: { name: string } }>>,
  onExisting: (name: string) => Promise<boolean>,
  options: ApplyOptions,
  ctx: CommandContext,
): Promise<boolean> {
  try {
    const result = await send();
    ctx.warn(result.warnings);
    ctx.io.out(`${subject.kind}/${result.body.metadata.name} created\n`);
    return true;
  } catch (error) {
    if (error instanceof ApiError) ctx.warn(error.warnings);
    if (error instanceof ApiError && error.reason === 'AlreadyExists' && options.mode === 'apply') {
      const name = error.details?.name || subject.name || '';
      try {
        return await onExisting(name);
      } catch (inner) {
        if (inner instanceof StopAll) throw inner;
        return report(inner, subject, 'retrieving current configuration of', ctx);
      }
    }
    return report(error, subject, 'creating', ctx);
  }
}

function report(error: unknown, subject: Subject, verb: string, ctx: CommandContext): boolean {
  ctx.io.err(formatError(error, { action: `error when ${verb} ${JSON.stringify(subject.source)}`, kind: subject.Kind, name: subject.name }));
  if (error instanceof ApiUnreachableError) throw new StopAll();
  return false;
}

interface Stored {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
  status?: unknown;
}

/** `apply` of an object that exists: unchanged when every field the manifest sets is what is stored. */
function compareExisting(kind: 'pod' | 'node', name: string, namespace: string | undefined, manifest: Record<string, unknown>, stored: Stored, ctx: CommandContext): boolean {
  const metadata = metadataOf(manifest);
  const specDiffs = givenFieldDifferences(manifest['spec'], stored.spec, 'spec');
  if (kind === 'node') {
    const status = manifest['status'];
    if (typeof status === 'object' && status !== null) {
      const { capacity, allocatable } = status as Record<string, unknown>;
      const storedStatus = (stored.status ?? {}) as Record<string, unknown>;
      specDiffs.push(...givenFieldDifferences(capacity, storedStatus['capacity'], 'status.capacity'));
      specDiffs.push(...givenFieldDifferences(allocatable, storedStatus['allocatable'], 'status.allocatable'));
    }
  }
  const metaDiffs = [
    ...givenFieldDifferences(metadata['labels'], stored.metadata.labels, 'metadata.labels'),
    ...givenFieldDifferences(metadata['annotations'], stored.metadata.annotations, 'metadata.annotations'),
  ];
  if (specDiffs.length === 0 && metaDiffs.length === 0) {
    ctx.io.out(`${kind}/${name} unchanged\n`);
    return true;
  }
  const nsFlag = namespace && namespace !== DEFAULT_NAMESPACE ? ` -n ${namespace}` : '';
  const remedy = `delete it first (flotilla delete ${kind} ${name}${nsFlag})`;
  const what = specDiffs.length > 0 ? (kind === 'pod' ? "a pod's spec cannot change once created" : 'a node cannot change once registered through the API') : `a ${kind}'s labels and annotations cannot change once created in Flotilla`;
  ctx.io.err(`${kind}/${name}: ${what}; ${remedy}\n${describeDifferences([...specDiffs, ...metaDiffs])}`);
  return false;
}

/**
 * `apply` of a ReplicaSet that exists: unchanged when every given field matches; a new spec.replicas
 * alone is applied (a scale, "configured"); any other change is refused, as for pods.
 */
async function applyExistingReplicaSet(name: string, namespace: string, manifest: Record<string, unknown>, ctx: CommandContext): Promise<boolean> {
  const stored = (await ctx.client.getReplicaSet(namespace, name)).body;
  const metadata = metadataOf(manifest);
  const diffs = [
    ...givenFieldDifferences(manifest['spec'], stored.spec, 'spec'),
    ...givenFieldDifferences(metadata['labels'], stored.metadata.labels, 'metadata.labels'),
    ...givenFieldDifferences(metadata['annotations'], stored.metadata.annotations, 'metadata.annotations'),
  ];
  const others = diffs.filter((d) => d.path !== 'spec.replicas');
  if (others.length > 0) {
    const nsFlag = namespace !== DEFAULT_NAMESPACE ? ` -n ${namespace}` : '';
    ctx.io.err(
      `replicaset.apps/${name}: only spec.replicas of a ReplicaSet can change once created (or use flotilla scale rs ${name}${nsFlag} --replicas N); ` +
        `delete it first (flotilla delete rs ${name}${nsFlag})\n${describeDifferences(others)}`,
    );
    return false;
  }
  if (diffs.length === 0) {
    ctx.io.out(`replicaset.apps/${name} unchanged\n`);
    return true;
  }
  try {
    const result = await ctx.client.patchReplicaSet(namespace, name, { spec: { replicas: (manifest['spec'] as Record<string, unknown>)['replicas'] } });
    ctx.warn(result.warnings);
  } catch (error) {
    if (error instanceof ApiError) ctx.warn(error.warnings);
    ctx.io.err(formatError(error, { action: `error when applying patch to replicaset.apps/${name}`, kind: 'ReplicaSet', name }));
    if (error instanceof ApiUnreachableError) throw new StopAll();
    return false;
  }
  ctx.io.out(`replicaset.apps/${name} configured\n`);
  return true;
}

const MAX_SHOWN = 5;

function describeDifferences(diffs: readonly FieldDifference[]): string {
  const show = (value: unknown): string => {
    if (value === undefined) return '<unset>';
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  };
  const lines = diffs.slice(0, MAX_SHOWN).map((d) => `  ${d.path}: ${show(d.given)} (stored: ${show(d.stored)})\n`);
  if (diffs.length > MAX_SHOWN) lines.push(`  ... and ${diffs.length - MAX_SHOWN} more\n`);
  return lines.join('');
}
