import type { FastifyInstance } from 'fastify';
import { v4 as uuidv4 } from 'uuid';
import { formatFieldError, nodeForRegister, validateNode, type Node } from '@flotilla/model';
import type { StateChange } from '@flotilla/state';
import { ApiError, alreadyExists, notFound } from '../api-status.ts';
import type { ApiContext } from '../server.ts';
import { fieldFilter, isWatch, labelFilter, type ListQuery } from './query.ts';
import { checkPatch, checkResourceVersion, mergePatchBody } from './patch.ts';
import { warningHeaders } from './pods.ts';
import { parseResourceVersion, serveWatch } from './watch.ts';
import { stateForQuery } from '../time-travel.ts';

const NODE_FIELDS: Record<string, (node: Node) => string | undefined> = {
  'metadata.name': (node) => node.metadata.name,
  'spec.unschedulable': (node) => String(node.spec.unschedulable ?? false),
};

export function registerNodeRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { projection } = ctx;

  app.get<{ Querystring: ListQuery }>('/api/v1/nodes', async (request, reply) => {
    const byLabels = labelFilter(request.query.labelSelector);
    const byFields = fieldFilter(request.query.fieldSelector, NODE_FIELDS);
    const selected = (node: Node): boolean => byLabels(node.metadata.labels) && byFields(node);
    if (isWatch(request.query)) {
      await serveWatch(
        request,
        reply,
        ctx,
        {
          accepts: (change: StateChange) => change.kind === 'Node' && selected(change.object),
          initial: () => [...projection.state.nodes.values()].filter((r) => selected(r.node)).map((r) => ({ seq: r.resourceVersion, object: r.node })),
        },
        request.query.resourceVersion,
      );
      return reply;
    }
    parseResourceVersion(request.query.resourceVersion);
    const state = await stateForQuery(ctx, request.query);
    const items = [...state.nodes.values()].map((r) => r.node).filter(selected);
    items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name, undefined, { numeric: true }));
    return { apiVersion: 'v1', kind: 'NodeList', metadata: { resourceVersion: String(state.seq) }, items };
  });

  app.get<{ Params: { name: string }; Querystring: ListQuery }>('/api/v1/nodes/:name', async (request) => {
    const record = (await stateForQuery(ctx, request.query)).nodes.get(request.params.name);
    if (!record) throw notFound('nodes', request.params.name);
    return record.node;
  });

  // A node registered through the API has no agent behind it: the scheduler places pods on it and
  // they stay bound but never start. Useful for scheduler-only studies; node agents register their own.
  app.post('/api/v1/nodes', async (request, reply) => {
    const result = validateNode(request.body);
    warningHeaders(reply, result.warnings);
    if (!result.ok) {
      throw new ApiError('Invalid', `Node is invalid: ${result.errors.map(formatFieldError).join(', ')}`, {
        kind: 'nodes',
        causes: result.errors.map((error) => ({ field: error.path, message: error.message, reason: 'FieldValueInvalid' })),
      });
    }
    const name = result.value.metadata.name;
    if (!name) throw new ApiError('Invalid', 'Node is invalid: metadata.name: required value', { kind: 'nodes', causes: [{ field: 'metadata.name', message: 'required value', reason: 'FieldValueRequired' }] });
    if (projection.state.nodes.has(name)) throw alreadyExists('nodes', name);
    const node = nodeForRegister(result.value, { uid: uuidv4(), now: ctx.now().toISOString() });
    node.status.conditions ??= [{ type: 'Ready', status: 'True', reason: 'Registered', message: 'registered through the API (no node agent)', lastTransitionTime: node.metadata.creationTimestamp }];
    await ctx.writer.append({ type: 'NodeRegistered', data: { node } });
    return reply.code(201).send(projection.state.nodes.get(name)?.node ?? node);
  });

  // cordon / uncordon: a merge patch of spec.unschedulable, the only node field a patch may change.
  app.patch<{ Params: { name: string } }>('/api/v1/nodes/:name', async (request) => {
    const name = request.params.name;
    const patch = mergePatchBody(request);
    const record = projection.state.nodes.get(name);
    if (!record) throw notFound('nodes', name);
    const describe = { kind: 'Node', resource: 'nodes', name };
    const { value, present, resourceVersion } = checkPatch(patch, 'spec.unschedulable', { apiVersion: 'v1', kind: 'Node', 'metadata.name': name, 'metadata.uid': record.node.metadata.uid }, describe);
    checkResourceVersion(resourceVersion, record.resourceVersion, describe);
    if (!present) return record.node;
    if (value !== null && typeof value !== 'boolean') {
      const message = `Invalid value: ${JSON.stringify(value)}: must be a boolean`;
      throw new ApiError('Invalid', `Node ${JSON.stringify(name)} is invalid: spec.unschedulable: ${message}`, {
        name,
        kind: 'nodes',
        causes: [{ field: 'spec.unschedulable', message, reason: 'FieldValueInvalid' }],
      });
    }
    const unschedulable = value === true;
    if ((record.node.spec.unschedulable ?? false) === unschedulable) return record.node;
    // The node's version is part of the message id: cordon, uncordon, cordon are three facts, a retry is one.
    await ctx.writer.append({ type: 'NodeUpdated', data: { name, unschedulable } }, { discriminator: `unschedulable=${unschedulable}@${record.resourceVersion}` });
    return projection.state.nodes.get(name)?.node ?? record.node;
  });

  app.delete<{ Params: { name: string } }>('/api/v1/nodes/:name', async (request) => {
    const record = projection.state.nodes.get(request.params.name);
    if (!record) throw notFound('nodes', request.params.name);
    await ctx.writer.append({ type: 'NodeRemoved', data: { name: request.params.name, reason: 'Deleted' } });
    return record.node;
  });
}
