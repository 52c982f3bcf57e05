import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { v4 as uuidv4 } from 'uuid';
import { formatLabelSelector, type Scale } from '@flotilla/client';
import { formatFieldError, formatPath, replicaSetForCreate, ScaleSchema, validateReplicaSet, type ReplicaSet, type ReplicaSetManifest } from '@flotilla/model';
import type { ReplicaSetRecord, StateChange } from '@flotilla/state';
import { ApiError, alreadyExists, notFound } from '../api-status.ts';
import type { ApiContext } from '../server.ts';
import { checkPatch, checkResourceVersion, mergePatchBody } from './patch.ts';
import { randomSuffix, warningHeaders } from './pods.ts';
import { fieldFilter, isWatch, labelFilter, type ListQuery } from './query.ts';
import { parseResourceVersion, serveWatch } from './watch.ts';
import { stateForQuery } from '../time-travel.ts';

// apps/v1 ReplicaSets: create, read, list/watch, delete (background propagation: the controller then
// deletes the pods), and scale through the /scale subresource or a merge patch of spec.replicas.
// Everything else about a ReplicaSet is fixed once created, as Flotilla has no updates.

const BASE = '/apis/apps/v1';
const RESOURCE = 'replicasets';
const KIND = 'ReplicaSet.apps';
/** How Status details and messages name the resource: `replicasets.apps "web" not found`. */
const KIND_RESOURCE = `${RESOURCE}.apps`;

const REPLICA_SET_FIELDS: Record<string, (rs: ReplicaSet) => string | undefined> = {
  'metadata.name': (rs) => rs.metadata.name,
  'metadata.namespace': (rs) => rs.metadata.namespace,
};

interface Params {
  ns: string;
  name: string;
}

interface DeleteQuery {
  propagationPolicy?: string;
}

export function registerReplicaSetRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { projection } = ctx;

  const list = async (namespace: string | undefined, query: ListQuery, reply: FastifyReply, request: FastifyRequest) => {
    const byLabels = labelFilter(query.labelSelector);
    const byFields = fieldFilter(query.fieldSelector, REPLICA_SET_FIELDS);
    const selected = (rs: ReplicaSet): boolean => (namespace === undefined || rs.metadata.namespace === namespace) && byLabels(rs.metadata.labels) && byFields(rs);
    if (isWatch(query)) {
      await serveWatch(
        request,
        reply,
        ctx,
        {
          accepts: (change: StateChange) => change.kind === 'ReplicaSet' && selected(change.object),
          initial: () => [...projection.state.replicaSets.values()].filter((r) => selected(r.replicaSet)).map((r) => ({ seq: r.resourceVersion, object: r.replicaSet })),
        },
        query.resourceVersion,
      );
      return reply;
    }
    parseResourceVersion(query.resourceVersion);
    const state = await stateForQuery(ctx, query);
    const items = [...state.replicaSets.values()].map((r) => r.replicaSet).filter(selected);
    items.sort((a, b) => a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name));
    return { apiVersion: 'apps/v1', kind: 'ReplicaSetList', metadata: { resourceVersion: String(state.seq) }, items };
  };

  app.get<{ Querystring: ListQuery }>(`${BASE}/${RESOURCE}`, (request, reply) => list(undefined, request.query, reply, request));
  app.get<{ Params: { ns: string }; Querystring: ListQuery }>(`${BASE}/namespaces/:ns/${RESOURCE}`, (request, reply) => list(request.params.ns, request.query, reply, request));

  app.post<{ Params: { ns: string } }>(`${BASE}/namespaces/:ns/${RESOURCE}`, async (request, reply) => {
    const namespace = request.params.ns;
    const manifest = validatedReplicaSetManifest(request.body, namespace, reply);
    const replicaSet = replicaSetForCreate(manifest, { uid: uuidv4(), now: ctx.now().toISOString(), namespace, generatedSuffix: randomSuffix() });
    const name = replicaSet.metadata.name;
    const key = `${namespace}/${name}`;
    if (projection.state.replicaSets.has(key)) throw alreadyExists(KIND_RESOURCE, name);
    await ctx.writer.append({ type: 'ReplicaSetCreated', data: { replicaSet } });
    const stored = projection.state.replicaSets.get(key);
    // The fold is the judge: a concurrent create of the same name on another replica may have won.
    if (!stored || stored.replicaSet.metadata.uid !== replicaSet.metadata.uid) throw alreadyExists(KIND_RESOURCE, name);
    return reply.code(201).send(stored.replicaSet);
  });

  app.get<{ Params: Params; Querystring: ListQuery }>(`${BASE}/namespaces/:ns/${RESOURCE}/:name`, async (request) => {
    const record = (await stateForQuery(ctx, request.query)).replicaSets.get(`${request.params.ns}/${request.params.name}`);
    if (!record) throw notFound(KIND_RESOURCE, request.params.name);
    return record.replicaSet;
  });

  app.delete<{ Params: Params; Querystring: DeleteQuery }>(`${BASE}/namespaces/:ns/${RESOURCE}/:name`, async (request) => {
    const { ns, name } = request.params;
    const bodyPolicy = typeof request.body === 'object' && request.body !== null ? (request.body as { propagationPolicy?: unknown }).propagationPolicy : undefined;
    const policy = request.query.propagationPolicy || (typeof bodyPolicy === 'string' ? bodyPolicy : undefined) || 'Background';
    if (policy !== 'Background') {
      throw new ApiError(
        'BadRequest',
        `propagationPolicy ${JSON.stringify(policy)} is not supported: Flotilla deletes a ReplicaSet with Background propagation (the controller then deletes its pods)`,
      );
    }
    const record = findReplicaSet(ctx, request.params);
    const uid = record.replicaSet.metadata.uid;
    await ctx.writer.append({ type: 'ReplicaSetDeleted', data: { namespace: ns, name, uid } });
    // As Kubernetes answers a delete that took effect at once (no finalizers).
    return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', details: { name, group: 'apps', kind: RESOURCE, uid } };
  });

  // A merge patch of spec.replicas (`kubectl patch rs NAME --type merge -p '{"spec":{"replicas":3}}'`).
  app.patch<{ Params: Params }>(`${BASE}/namespaces/:ns/${RESOURCE}/:name`, async (request) => {
    const patch = mergePatchBody(request);
    const record = findReplicaSet(ctx, request.params);
    const rs = record.replicaSet;
    const describe = describeOf(request.params.name);
    const identity = { apiVersion: 'apps/v1', kind: 'ReplicaSet', 'metadata.name': rs.metadata.name, 'metadata.namespace': rs.metadata.namespace, 'metadata.uid': rs.metadata.uid };
    const { value, present, resourceVersion } = checkPatch(patch, 'spec.replicas', identity, describe);
    checkResourceVersion(resourceVersion, record.resourceVersion, describe);
    if (!present) return rs;
    return (await scaleTo(ctx, record, replicasValue(value, request.params.name))).replicaSet;
  });

  app.get<{ Params: Params }>(`${BASE}/namespaces/:ns/${RESOURCE}/:name/scale`, (request) => scaleOf(findReplicaSet(ctx, request.params)));

  app.put<{ Params: Params }>(`${BASE}/namespaces/:ns/${RESOURCE}/:name/scale`, async (request) => {
    const { ns, name } = request.params;
    const parsed = ScaleSchema.safeParse(request.body);
    if (!parsed.success) {
      const causes = parsed.error.issues.map((issue) => ({ field: formatPath(issue.path), message: issue.message, reason: 'FieldValueInvalid' }));
      throw new ApiError('Invalid', `Scale.autoscaling ${JSON.stringify(name)} is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, { name, kind: 'scale', causes });
    }
    const scale = parsed.data;
    if (scale.metadata?.name !== undefined && scale.metadata.name !== name) {
      throw new ApiError('BadRequest', `the name of the object (${scale.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (scale.metadata?.namespace !== undefined && scale.metadata.namespace !== ns) {
      throw new ApiError('BadRequest', `the namespace of the provided object (${scale.metadata.namespace}) does not match the namespace sent on the request (${ns})`);
    }
    const record = findReplicaSet(ctx, request.params);
    checkResourceVersion(scale.metadata?.resourceVersion, record.resourceVersion, describeOf(name));
    return scaleOf(await scaleTo(ctx, record, replicasValue(scale.spec.replicas, name)));
  });

  // What `kubectl scale` sends: a merge patch of the Scale.
  app.patch<{ Params: Params }>(`${BASE}/namespaces/:ns/${RESOURCE}/:name/scale`, async (request) => {
    const patch = mergePatchBody(request);
    const record = findReplicaSet(ctx, request.params);
    const rs = record.replicaSet;
    const describe = { kind: 'Scale.autoscaling', resource: 'scale', name: request.params.name };
    const identity = { apiVersion: 'autoscaling/v1', kind: 'Scale', 'metadata.name': rs.metadata.name, 'metadata.namespace': rs.metadata.namespace, 'metadata.uid': rs.metadata.uid };
    const { value, present, resourceVersion } = checkPatch(patch, 'spec.replicas', identity, describe);
    checkResourceVersion(resourceVersion, record.resourceVersion, describeOf(request.params.name));
    if (!present) return scaleOf(record);
    return scaleOf(await scaleTo(ctx, record, replicasValue(value, request.params.name)));
  });
}

function describeOf(name: string): { kind: string; resource: string; name: string } {
  return { kind: KIND, resource: KIND_RESOURCE, name };
}

/**
 * Validates a ReplicaSet manifest for a namespace as a create does (400 Invalid with every field's
 * problem, 400 BadRequest for a namespace mismatch) and puts its warnings on the reply.
 */
function validatedReplicaSetManifest(body: unknown, namespace: string, reply: FastifyReply): ReplicaSetManifest {
  const result = validateReplicaSet(body);
  warningHeaders(reply, result.warnings);
  if (!result.ok) {
    const name = nameOf(body);
    throw new ApiError('Invalid', `${KIND} ${JSON.stringify(name)} is invalid: ${result.errors.map(formatFieldError).join(', ')}`, {
      name,
      kind: KIND_RESOURCE,
      causes: result.errors.map((error) => ({ field: error.path, message: error.message, reason: 'FieldValueInvalid' })),
    });
  }
  const manifest = result.value;
  if (manifest.metadata.namespace !== undefined && manifest.metadata.namespace !== namespace) {
    throw new ApiError('BadRequest', `the namespace of the provided object (${manifest.metadata.namespace}) does not match the namespace sent on the request (${namespace})`);
  }
  return manifest;
}

/** spec.replicas from a Scale or a patch: a non-negative integer; null (a merge patch's delete) is the default, 1. */
function replicasValue(value: unknown, name: string): number {
  if (value === null) return 1;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  const message = typeof value === 'number' && Number.isInteger(value) ? `Invalid value: ${value}: must be greater than or equal to 0` : `Invalid value: ${JSON.stringify(value)}: must be an integer`;
  throw new ApiError('Invalid', `${KIND} ${JSON.stringify(name)} is invalid: spec.replicas: ${message}`, {
    name,
    kind: KIND_RESOURCE,
    causes: [{ field: 'spec.replicas', message, reason: 'FieldValueInvalid' }],
  });
}

/**
 * Appends ReplicaSetScaled (generation + 1) unless the count is already what is asked. Two scales of
 * one generation share a message id, so only the first is stored: the loser answers 409 Conflict.
 */
async function scaleTo(ctx: ApiContext, record: ReplicaSetRecord, replicas: number): Promise<ReplicaSetRecord> {
  const rs = record.replicaSet;
  if (rs.spec.replicas === replicas) return record;
  const { namespace, name, uid } = rs.metadata;
  await ctx.writer.append({ type: 'ReplicaSetScaled', data: { namespace, name, uid, replicas, generation: rs.metadata.generation + 1 } });
  const stored = ctx.projection.state.replicaSets.get(record.key);
  if (!stored || stored.replicaSet.metadata.uid !== uid) throw notFound(KIND_RESOURCE, name);
  if (stored.replicaSet.spec.replicas !== replicas) {
    throw new ApiError('Conflict', `Operation cannot be fulfilled on ${KIND_RESOURCE} ${JSON.stringify(name)}: the object has been modified; please apply your changes to the latest version and try again`, {
      name,
      kind: KIND_RESOURCE,
    });
  }
  return stored;
}

export function scaleOf(record: ReplicaSetRecord): Scale {
  const rs = record.replicaSet;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: rs.metadata.name,
      namespace: rs.metadata.namespace,
      uid: rs.metadata.uid,
      resourceVersion: String(record.resourceVersion),
      creationTimestamp: rs.metadata.creationTimestamp,
    },
    spec: { replicas: rs.spec.replicas },
    status: { replicas: rs.status?.replicas ?? 0, selector: formatLabelSelector(rs.spec.selector) },
  };
}

function findReplicaSet(ctx: ApiContext, params: Params): ReplicaSetRecord {
  const record = ctx.projection.state.replicaSets.get(`${params.ns}/${params.name}`);
  if (!record) throw notFound(KIND_RESOURCE, params.name);
  return record;
}

function nameOf(body: unknown): string {
  const metadata = typeof body === 'object' && body !== null ? (body as { metadata?: unknown }).metadata : undefined;
  const name = typeof metadata === 'object' && metadata !== null ? (metadata as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : '';
}
