import type { FastifyInstance } from 'fastify';
import { ApiError } from '../api-status.ts';
import type { ApiContext } from '../server.ts';
import { deletePod, findPod } from './pods.ts';

/** PodDeletionRequested's reason for an eviction through the Eviction API (the DisruptionTarget condition's reason). */
export const EVICTION_BY_EVICTION_API = 'EvictionByEvictionAPI';
/** Kubernetes' DisruptionTarget message for it. */
export const EVICTION_MESSAGE = 'Eviction API: evicting';

const EVICTION_API_VERSIONS = new Set(['policy/v1', 'policy/v1beta1']);

interface EvictionRequest {
  name?: string;
  namespace?: string;
  gracePeriodSeconds?: number;
  uid?: string;
}

/**
 * policy/v1 Eviction: `POST /api/v1/namespaces/{ns}/pods/{name}/eviction` deletes the pod gracefully and
 * marks it with the DisruptionTarget condition (EvictionByEvictionAPI), as `kubectl drain` relies on.
 * Flotilla has no PodDisruptionBudgets, so an eviction is never refused with 429.
 */
export function registerEvictionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Params: { ns: string; name: string } }>('/api/v1/namespaces/:ns/pods/:name/eviction', async (request, reply) => {
    const { ns, name } = request.params;
    const eviction = parseEviction(request.body);
    if (eviction.name !== undefined && eviction.name !== name) {
      throw new ApiError('BadRequest', `name in URL does not match name in Eviction object: ${JSON.stringify(name)} != ${JSON.stringify(eviction.name)}`);
    }
    if (eviction.namespace !== undefined && eviction.namespace !== ns) {
      throw new ApiError('BadRequest', `the namespace of the provided object (${eviction.namespace}) does not match the namespace sent on the request (${ns})`);
    }
    const record = findPod(ctx, ns, name);
    if (eviction.uid !== undefined && eviction.uid !== record.pod.metadata.uid) {
      throw new ApiError('Conflict', `Precondition failed: UID in precondition: ${eviction.uid}, UID in object meta: ${record.pod.metadata.uid}`, { name, kind: 'pods' });
    }
    const grace = eviction.gracePeriodSeconds ?? record.pod.spec.terminationGracePeriodSeconds ?? 30;
    await deletePod(ctx, record, grace, { reason: EVICTION_BY_EVICTION_API, message: EVICTION_MESSAGE });
    return reply.code(201).send({ apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 });
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseEviction(body: unknown): EvictionRequest {
  if (!isObject(body)) throw new ApiError('BadRequest', 'request body must be a policy/v1 Eviction object');
  const invalid = (field: string, message: string): ApiError =>
    new ApiError('Invalid', `Eviction is invalid: ${field}: ${message}`, { kind: 'evictions', causes: [{ field, message, reason: 'FieldValueInvalid' }] });
  if (body['kind'] !== undefined && body['kind'] !== 'Eviction') throw invalid('kind', `must be "Eviction", not ${JSON.stringify(body['kind'])}`);
  if (body['apiVersion'] !== undefined && !EVICTION_API_VERSIONS.has(String(body['apiVersion']))) {
    throw invalid('apiVersion', `must be "policy/v1", not ${JSON.stringify(body['apiVersion'])}`);
  }
  const out: EvictionRequest = {};
  const metadata = body['metadata'];
  if (metadata !== undefined && metadata !== null) {
    if (!isObject(metadata)) throw invalid('metadata', 'must be an object');
    if (typeof metadata['name'] === 'string' && metadata['name'] !== '') out.name = metadata['name'];
    if (typeof metadata['namespace'] === 'string' && metadata['namespace'] !== '') out.namespace = metadata['namespace'];
  }
  const options = body['deleteOptions'];
  if (options !== undefined && options !== null) {
    if (!isObject(options)) throw invalid('deleteOptions', 'must be an object');
    const grace = options['gracePeriodSeconds'];
    if (grace !== undefined && grace !== null) {
      if (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0) {
        throw invalid('deleteOptions.gracePeriodSeconds', `invalid value ${JSON.stringify(grace)}: must be a non-negative integer`);
      }
      out.gracePeriodSeconds = grace;
    }
    const dryRun = options['dryRun'];
    if (Array.isArray(dryRun) && dryRun.length > 0) throw invalid('deleteOptions.dryRun', 'dry runs are not supported by Flotilla');
    const preconditions = options['preconditions'];
    if (isObject(preconditions) && typeof preconditions['uid'] === 'string' && preconditions['uid'] !== '') out.uid = preconditions['uid'];
  }
  return out;
}
