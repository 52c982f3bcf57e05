import type { FastifyInstance, FastifyReply } from 'fastify';
import { v4 as uuidv4 } from 'uuid';
import { formatFieldError, podForCreate, validatePod, withDefaultTolerations, type Pod, type PodManifest, type ServerFields } from '@flotilla/model';
import type { PodRecord, StateChange } from '@flotilla/state';
import { ApiError, alreadyExists, notFound } from '../api-status.ts';
import type { ApiContext } from '../server.ts';
import { fieldFilter, isWatch, labelFilter, type ListQuery } from './query.ts';
import { parseResourceVersion, serveWatch } from './watch.ts';
import { stateForQuery } from '../time-travel.ts';

const POD_FIELDS: Record<string, (pod: Pod) => string | undefined> = {
  'metadata.name': (pod) => pod.metadata.name,
  'metadata.namespace': (pod) => pod.metadata.namespace,
  'spec.nodeName': (pod) => pod.spec.nodeName,
  'status.phase': (pod) => pod.status?.phase,
};

// Kubernetes' generateName alphabet: no vowels (no words), no confusable characters.
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(): string {
  let out = '';
  for (let i = 0; i < 5; i++) out += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
  return out;
}

/**
 * Validates a Pod manifest for a namespace as a create does (400 Invalid with every field's problem,
 * 400 BadRequest for a namespace mismatch) and puts its warnings on the reply. Create and plan share it.
 */
export function validatedPodManifest(body: unknown, namespace: string, reply: FastifyReply): PodManifest {
  const result = validatePod(body);
  warningHeaders(reply, result.warnings);
  if (!result.ok) {
    const name = nameOf(body);
    throw new ApiError('Invalid', `Pod "${name}" is invalid: ${result.errors.map(formatFieldError).join(', ')}`, {
      name,
      kind: 'pods',
      causes: result.errors.map((error) => ({ field: error.path, message: error.message, reason: 'FieldValueInvalid' })),
    });
  }
  const manifest = result.value;
  if (manifest.metadata.namespace !== undefined && manifest.metadata.namespace !== namespace) {
    throw new ApiError('BadRequest', `the namespace of the provided object (${manifest.metadata.namespace}) does not match the namespace sent on the request (${namespace})`);
  }
  return manifest;
}

/**
 * The pod a create stores: defaults, then admission as kube-apiserver's DefaultTolerationSeconds
 * plugin does it (pods stay bound to a not-ready or unreachable node this long). Create and plan share it.
 */
export function admittedPod(ctx: ApiContext, manifest: PodManifest, server: ServerFields): Pod {
  const pod = podForCreate(manifest, server);
  return { ...pod, spec: withDefaultTolerations(pod.spec, ctx.defaultTolerationSeconds) };
}

export function warningHeaders(reply: FastifyReply, warnings: readonly string[]): void {
  if (warnings.length === 0) return;
  void reply.header('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
}

export function registerPodRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { projection } = ctx;

  const listPods = async (namespace: string | undefined, query: ListQuery, reply: FastifyReply, request: Parameters<typeof serveWatch>[0]) => {
    const byLabels = labelFilter(query.labelSelector);
    const byFields = fieldFilter(query.fieldSelector, POD_FIELDS);
    const selected = (pod: Pod): boolean =>
      (namespace === undefined || pod.metadata.namespace === namespace) && byLabels(pod.metadata.labels) && byFields(pod);
    if (isWatch(query)) {
      await serveWatch(
        request,
        reply,
        ctx,
        {
          accepts: (change: StateChange) => change.kind === 'Pod' && selected(change.object),
          initial: () => [...projection.state.pods.values()].filter((r) => selected(r.pod)).map((r) => ({ seq: r.resourceVersion, object: r.pod })),
        },
        query.resourceVersion,
      );
      return reply;
    }
    parseResourceVersion(query.resourceVersion);
    const state = await stateForQuery(ctx, query);
    const items = [...state.pods.values()].map((r) => r.pod).filter(selected);
    items.sort((a, b) => a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name));
    return { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: String(state.seq) }, items };
  };

  app.get<{ Querystring: ListQuery }>('/api/v1/pods', (request, reply) => listPods(undefined, request.query, reply, request));
  app.get<{ Params: { ns: string }; Querystring: ListQuery }>('/api/v1/namespaces/:ns/pods', (request, reply) =>
    listPods(request.params.ns, request.query, reply, request),
  );

  app.get<{ Params: { ns: string; name: string }; Querystring: ListQuery }>('/api/v1/namespaces/:ns/pods/:name', async (request) => {
    const state = await stateForQuery(ctx, request.query);
    const record = state.pods.get(`${request.params.ns}/${request.params.name}`);
    if (!record) throw notFound('pods', request.params.name);
    return record.pod;
  });

  app.post<{ Params: { ns: string } }>('/api/v1/namespaces/:ns/pods', async (request, reply) => {
    const namespace = request.params.ns;
    const manifest = validatedPodManifest(request.body, namespace, reply);
    const pod = admittedPod(ctx, manifest, {
      uid: uuidv4(),
      now: ctx.now().toISOString(),
      namespace,
      generatedSuffix: randomSuffix(),
    });
    const key = `${namespace}/${pod.metadata.name}`;
    if (projection.state.pods.has(key)) throw alreadyExists('pods', pod.metadata.name);
    await ctx.writer.append({ type: 'PodCreated', data: { pod } });
    const stored = projection.state.pods.get(key);
    // The fold is the judge: a concurrent create of the same name on another replica may have won.
    if (!stored || stored.pod.metadata.uid !== pod.metadata.uid) throw alreadyExists('pods', pod.metadata.name);
    return reply.code(201).send(stored.pod);
  });

  app.delete<{ Params: { ns: string; name: string }; Querystring: ListQuery }>('/api/v1/namespaces/:ns/pods/:name', async (request) => {
    const record = findPod(ctx, request.params.ns, request.params.name);
    const grace = parseGracePeriod(request.query.gracePeriodSeconds, record.pod.spec.terminationGracePeriodSeconds ?? 30);
    return deletePod(ctx, record, grace);
  });
}

/** Why a deletion happens when it is not a plain user delete (the Eviction API). */
export interface DeletionCause {
  reason: string;
  message: string;
}

/**
 * A pod's deletion as the DELETE route does it (and the Eviction API, with its cause): a pod nothing
 * runs (never bound, or stopped) or a grace of 0 is gone at once; a running pod gets the grace period
 * to stop on its node. Answers the pod as it is afterwards.
 */
export async function deletePod(ctx: ApiContext, record: PodRecord, grace: number, cause?: DeletionCause): Promise<Pod> {
  const { namespace, name, uid } = record.pod.metadata;
  const key = `${namespace}/${name}`;
  const requested = (gracePeriodSeconds: number) => ({
    type: 'PodDeletionRequested' as const,
    data: { namespace, name, uid, gracePeriodSeconds, ...(cause ? { reason: cause.reason, message: cause.message } : {}) },
  });
  // With a cause the grace is part of the message id: a retried eviction is stored once, a later
  // one with a shorter grace is not taken for it.
  const discriminator = cause ? { discriminator: String(grace) } : {};
  if (record.nodeName === undefined || record.released || grace === 0) {
    // Nothing runs it (never bound, or already stopped), or the user forces it: gone at once.
    // A node still running a force-deleted pod stops it when it sees the deletion.
    if (grace === 0 && record.nodeName !== undefined && !record.deletion) await ctx.writer.append(requested(0), discriminator);
    const last = ctx.projection.state.pods.get(key)?.pod ?? record.pod;
    await ctx.writer.append({ type: 'PodDeleted', data: { namespace, name, uid, reason: grace === 0 ? 'ForceDeleted' : 'Deleted' } });
    return last;
  }
  // A second plain delete changes nothing; an eviction still marks the pod (DisruptionTarget).
  if (!record.deletion || cause) await ctx.writer.append(requested(grace), discriminator);
  return ctx.projection.state.pods.get(key)?.pod ?? record.pod;
}

export function findPod(ctx: ApiContext, namespace: string, name: string): PodRecord {
  const record = ctx.projection.state.pods.get(`${namespace}/${name}`);
  if (!record) throw notFound('pods', name);
  return record;
}

export function parseGracePeriod(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ApiError('BadRequest', `gracePeriodSeconds: invalid value ${JSON.stringify(raw)}: must be a non-negative integer`);
  }
  return value;
}

function nameOf(body: unknown): string {
  if (typeof body === 'object' && body !== null) {
    const metadata = (body as { metadata?: unknown }).metadata;
    if (typeof metadata === 'object' && metadata !== null) {
      const name = (metadata as { name?: unknown }).name;
      if (typeof name === 'string') return name;
    }
  }
  return '';
}
