import type { FastifyRequest } from 'fastify';
import { ApiError } from '../api-status.ts';

// PATCH as Flotilla takes it: a JSON merge patch or a strategic merge patch (kubectl's default) of the
// few fields that may change after a create. Both are plain objects whose leaves are the new values.

const PATCH_TYPES = new Set(['application/merge-patch+json', 'application/strategic-merge-patch+json']);

/** The patch object of a PATCH request; other content types answer 415, a non-object 400. */
export function mergePatchBody(request: FastifyRequest): Record<string, unknown> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!PATCH_TYPES.has(type)) {
    throw new ApiError(
      'UnsupportedMediaType',
      `the body of a PATCH must be a merge patch: send Content-Type application/merge-patch+json or application/strategic-merge-patch+json${type ? ` (got ${type})` : ''}`,
    );
  }
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError('BadRequest', 'a merge patch must be a JSON object');
  return body as Record<string, unknown>;
}

/** Every leaf the patch sets, as `spec.replicas` paths (objects are walked, an empty one changes nothing). */
export function patchLeaves(patch: Record<string, unknown>, prefix = ''): Array<{ path: string; value: unknown }> {
  const out: Array<{ path: string; value: unknown }> = [];
  for (const [key, value] of Object.entries(patch)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) out.push(...patchLeaves(value as Record<string, unknown>, path));
    else out.push({ path, value });
  }
  return out;
}

/**
 * Splits a patch's leaves into the one it may change and the rest. Leaves that restate the object
 * as it is (apiVersion, kind, name, namespace, uid, resourceVersion as a precondition) are allowed.
 */
export function checkPatch(
  patch: Record<string, unknown>,
  allowed: string,
  identity: Record<string, string | undefined>,
  describe: { kind: string; resource: string; name: string },
): { value: unknown; present: boolean; resourceVersion?: string } {
  let value: unknown;
  let present = false;
  let resourceVersion: string | undefined;
  const forbidden: string[] = [];
  for (const leaf of patchLeaves(patch)) {
    if (leaf.path === allowed) {
      value = leaf.value;
      present = true;
    } else if (leaf.path === 'metadata.resourceVersion' && (typeof leaf.value === 'string' || typeof leaf.value === 'number')) {
      resourceVersion = String(leaf.value);
    } else if (leaf.path in identity && leaf.value === identity[leaf.path]) {
      // Restates what the object is.
    } else {
      forbidden.push(leaf.path);
    }
  }
  if (forbidden.length > 0) {
    const message = `Forbidden: only ${allowed} can be changed`;
    throw new ApiError('Invalid', `${describe.kind} ${JSON.stringify(describe.name)} is invalid: ${forbidden.map((path) => `${path}: ${message}`).join(', ')}`, {
      name: describe.name,
      kind: describe.resource,
      causes: forbidden.map((field) => ({ field, message, reason: 'FieldValueForbidden' })),
    });
  }
  return { value, present, ...(resourceVersion !== undefined ? { resourceVersion } : {}) };
}

/** 409 Conflict when a precondition's resourceVersion is not the object's current one, as Kubernetes answers. */
export function checkResourceVersion(given: string | undefined, current: number, describe: { kind: string; resource: string; name: string }): void {
  if (given === undefined || given === '' || given === String(current)) return;
  throw new ApiError(
    'Conflict',
    `Operation cannot be fulfilled on ${describe.resource} ${JSON.stringify(describe.name)}: the object has been modified; please apply your changes to the latest version and try again`,
    { name: describe.name, kind: describe.resource },
  );
}
