// OpenAPI 3.1 for the API, built from the zod schemas the routes validate with (packages/model),
// so the document cannot drift from validation. `GET /docs/json` serves it and `GET /docs` a small
// page that renders it in the browser with no CDN and no build step.
//
// Every route Fastify registers is collected by an onRoute hook; a route missing from OPERATIONS
// still appears (as "undocumented"), and the spec fails until it is described here.
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { z } from 'zod';
import {
  ContainerSchema,
  NodeSchema,
  ObjectMetaSchema,
  PodSchema,
  PodSpecSchema,
  PodStatusSchema,
  PodTemplateSpecSchema,
  ReplicaSetSchema,
  ScaleSchema,
} from '@flotilla/model';

export const UNDOCUMENTED = 'undocumented';

type JsonSchema = Record<string, unknown>;
type QueryName = keyof typeof QUERY;
type Body = 'Pod' | 'Node' | 'ReplicaSet' | 'Scale' | 'Eviction' | 'MergePatch';

interface OperationSpec {
  summary: string;
  tag: string;
  query?: readonly QueryName[];
  body?: Body;
  /** A components/schemas name, or a media type other than JSON. */
  response: string | { mediaType: string; description: string };
  /** 201 for creates; 200 otherwise. */
  created?: boolean;
  /** `?watch=true` turns the list into an SSE stream. */
  watch?: boolean;
}

const LIST_QUERY = ['labelSelector', 'fieldSelector', 'watch', 'resourceVersion', 'at'] as const;
const GET_QUERY = ['at'] as const;

const QUERY = {
  labelSelector: { description: 'Label selector, e.g. `app=web,tier!=db`.', schema: { type: 'string' } },
  fieldSelector: { description: 'Field selector, `key=value` / `key!=value` pairs (e.g. `spec.nodeName=n1`, `status.phase=Pending`).', schema: { type: 'string' } },
  watch: { description: '`true` streams ADDED/MODIFIED/DELETED changes as server-sent events instead of answering a list.', schema: { type: 'string', enum: ['true', '1', 'false'] } },
  resourceVersion: { description: 'For a watch: resume after this sequence (from a list or an earlier event).', schema: { type: 'string' } },
  at: { description: 'Time travel: the object(s) as they were at this log sequence or RFC 3339 time (not with watch).', schema: { type: 'string' } },
  gracePeriodSeconds: { description: 'Seconds the pod gets to stop before it is killed; 0 deletes at once.', schema: { type: 'integer', minimum: 0 } },
  propagationPolicy: { description: '`Background` (default) or `Foreground` delete the pods too; `Orphan` leaves them.', schema: { type: 'string', enum: ['Background', 'Foreground', 'Orphan'] } },
  container: { description: 'Container name; required when the pod has more than one.', schema: { type: 'string' } },
  follow: { description: 'Keep the stream open and follow new output.', schema: { type: 'boolean' } },
  previous: { description: 'The previous (terminated) instance of the container.', schema: { type: 'boolean' } },
  timestamps: { description: 'Prefix each line with its RFC 3339 time.', schema: { type: 'boolean' } },
  tailLines: { description: 'Only the last N lines.', schema: { type: 'integer', minimum: 0 } },
  limitBytes: { description: 'Stop after this many bytes.', schema: { type: 'integer', minimum: 1 } },
  sinceSeconds: { description: 'Only lines newer than this many seconds.', schema: { type: 'integer', minimum: 1 } },
  sinceTime: { description: 'Only lines at or after this RFC 3339 time.', schema: { type: 'string', format: 'date-time' } },
  maxVerdicts: { description: 'How many per-node verdicts the plan lists.', schema: { type: 'integer', minimum: 0 } },
  from: { description: 'Earlier side: a log sequence or an RFC 3339 time.', schema: { type: 'string' } },
  to: { description: 'Later side: a log sequence or an RFC 3339 time.', schema: { type: 'string' } },
} satisfies Record<string, { description: string; schema: JsonSchema }>;

const PODS = '/api/v1/namespaces/:ns/pods';
const RS = '/apis/apps/v1/namespaces/:ns/replicasets';

/** Keyed by `METHOD path` with Fastify's `:param` syntax, as the routes register them. */
const OPERATIONS: Record<string, OperationSpec> = {
  'GET /livez': { summary: 'Liveness: the process answers', tag: 'health', response: 'Health' },
  'GET /readyz': { summary: 'Readiness: connected to the event log (503 when not)', tag: 'health', response: 'Health' },
  'GET /version': { summary: 'Server version', tag: 'health', response: 'Version' },
  'GET /metrics': { summary: 'Prometheus metrics', tag: 'health', response: { mediaType: 'text/plain', description: 'Prometheus text exposition format 0.0.4' } },
  'GET /docs': { summary: 'This document, rendered for people', tag: 'docs', response: { mediaType: 'text/html', description: 'An HTML page' } },
  'GET /docs/json': { summary: 'This OpenAPI document', tag: 'docs', response: 'OpenApiDocument' },
  'GET /ui': { summary: 'The web dashboard (nodes, pods, pending pods, pod pages)', tag: 'docs', response: { mediaType: 'text/html', description: 'An HTML page' } },
  'GET /ui/:file': { summary: "The dashboard's static files (index.html, app.js, style.css)", tag: 'docs', response: { mediaType: 'text/plain', description: 'HTML, JavaScript or CSS' } },

  'GET /api/v1/pods': { summary: 'List (or watch) pods in all namespaces', tag: 'pods', query: LIST_QUERY, response: 'PodList', watch: true },
  [`GET ${PODS}`]: { summary: 'List (or watch) pods in a namespace', tag: 'pods', query: LIST_QUERY, response: 'PodList', watch: true },
  [`POST ${PODS}`]: { summary: 'Create a pod (JSON or YAML)', tag: 'pods', body: 'Pod', response: 'Pod', created: true },
  [`GET ${PODS}/:name`]: { summary: 'Read a pod', tag: 'pods', query: GET_QUERY, response: 'Pod' },
  [`DELETE ${PODS}/:name`]: { summary: 'Delete a pod gracefully', tag: 'pods', query: ['gracePeriodSeconds'], response: 'Pod' },
  [`GET ${PODS}/:name/log`]: {
    summary: "Read (or follow) a container's log",
    tag: 'pods',
    query: ['container', 'follow', 'previous', 'timestamps', 'tailLines', 'limitBytes', 'sinceSeconds', 'sinceTime'],
    response: { mediaType: 'text/plain', description: 'The log lines' },
  },
  [`POST ${PODS}/:name/eviction`]: { summary: 'Evict a pod (policy/v1 Eviction)', tag: 'pods', body: 'Eviction', response: 'Status', created: true },
  [`GET ${PODS}/:name/scheduling`]: { summary: "The scheduler's last decision for a pod, per node and plugin", tag: 'scheduling', response: 'PodScheduling' },
  [`POST ${PODS}/plan`]: { summary: 'Dry-run: where would this pod go, and why not elsewhere', tag: 'scheduling', query: ['maxVerdicts'], body: 'Pod', response: 'SchedulingPlan' },
  [`GET ${PODS}/:name/history`]: { summary: 'Every event of a pod, with sequence, time and writer', tag: 'time travel', response: 'History' },

  'GET /api/v1/nodes': { summary: 'List (or watch) nodes', tag: 'nodes', query: LIST_QUERY, response: 'NodeList', watch: true },
  'POST /api/v1/nodes': { summary: 'Register a node', tag: 'nodes', body: 'Node', response: 'Node', created: true },
  'GET /api/v1/nodes/:name': { summary: 'Read a node', tag: 'nodes', query: GET_QUERY, response: 'Node' },
  'PATCH /api/v1/nodes/:name': { summary: 'Merge-patch a node (cordon: spec.unschedulable, labels, taints)', tag: 'nodes', body: 'MergePatch', response: 'Node' },
  'DELETE /api/v1/nodes/:name': { summary: 'Delete a node', tag: 'nodes', response: 'Node' },
  'GET /api/v1/nodes/:name/history': { summary: 'Every event of a node', tag: 'time travel', response: 'History' },

  'GET /apis/apps/v1/replicasets': { summary: 'List (or watch) replica sets in all namespaces', tag: 'replicasets', query: LIST_QUERY, response: 'ReplicaSetList', watch: true },
  [`GET ${RS}`]: { summary: 'List (or watch) replica sets in a namespace', tag: 'replicasets', query: LIST_QUERY, response: 'ReplicaSetList', watch: true },
  [`POST ${RS}`]: { summary: 'Create a replica set', tag: 'replicasets', body: 'ReplicaSet', response: 'ReplicaSet', created: true },
  [`GET ${RS}/:name`]: { summary: 'Read a replica set', tag: 'replicasets', query: GET_QUERY, response: 'ReplicaSet' },
  [`PATCH ${RS}/:name`]: { summary: 'Merge-patch a replica set', tag: 'replicasets', body: 'MergePatch', response: 'ReplicaSet' },
  [`DELETE ${RS}/:name`]: { summary: 'Delete a replica set', tag: 'replicasets', query: ['propagationPolicy'], response: 'ReplicaSet' },
  [`GET ${RS}/:name/scale`]: { summary: 'Read the scale subresource', tag: 'replicasets', response: 'Scale' },
  [`PUT ${RS}/:name/scale`]: { summary: 'Set the number of replicas', tag: 'replicasets', body: 'Scale', response: 'Scale' },
  [`PATCH ${RS}/:name/scale`]: { summary: 'Merge-patch the number of replicas', tag: 'replicasets', body: 'MergePatch', response: 'Scale' },
  [`GET ${RS}/:name/history`]: { summary: 'Every event of a replica set', tag: 'time travel', response: 'History' },

  'GET /api/v1/events': { summary: 'List (or watch) events in all namespaces', tag: 'events', query: ['fieldSelector', 'watch', 'resourceVersion'], response: 'EventList', watch: true },
  'GET /api/v1/namespaces/:ns/events': { summary: 'List (or watch) events in a namespace', tag: 'events', query: ['fieldSelector', 'watch', 'resourceVersion'], response: 'EventList', watch: true },
  'GET /api/v1/diff': { summary: 'What changed between two points of the log', tag: 'time travel', query: ['from', 'to'], response: 'ClusterDiff' },
};

const MODEL_SCHEMAS = {
  Pod: PodSchema,
  PodSpec: PodSpecSchema,
  PodStatus: PodStatusSchema,
  Container: ContainerSchema,
  Node: NodeSchema,
  ReplicaSet: ReplicaSetSchema,
  PodTemplateSpec: PodTemplateSpecSchema,
  Scale: ScaleSchema,
  ObjectMeta: ObjectMetaSchema,
} as const;

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const listOf = (kind: string, item: string): JsonSchema => ({
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'items'],
  properties: {
    apiVersion: { type: 'string' },
    kind: { const: kind },
    metadata: { type: 'object', properties: { resourceVersion: { type: 'string', description: 'The log sequence this list reflects.' } } },
    items: { type: 'array', items: ref(item) },
  },
});
const looseObject = (description: string, required: string[], properties: Record<string, JsonSchema>): JsonSchema => ({ type: 'object', description, required, properties });

// Response shapes that are not manifests: written here, after the route handlers and @flotilla/client's types.
const HAND_WRITTEN: Record<string, JsonSchema> = {
  Status: looseObject('An error (or an eviction accepted), as a Kubernetes Status. `reason` is the stable code clients switch on.', ['kind', 'status', 'reason', 'code', 'message'], {
    apiVersion: { const: 'v1' },
    kind: { const: 'Status' },
    status: { type: 'string', enum: ['Success', 'Failure'] },
    message: { type: 'string' },
    reason: {
      type: 'string',
      enum: ['BadRequest', 'Invalid', 'NotFound', 'AlreadyExists', 'Conflict', 'Gone', 'RequestEntityTooLarge', 'UnsupportedMediaType', 'MethodNotAllowed', 'ServiceUnavailable', 'Timeout', 'InternalError'],
    },
    code: { type: 'integer' },
    details: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        kind: { type: 'string' },
        retryAfterSeconds: { type: 'integer' },
        causes: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' }, reason: { type: 'string' } } } },
      },
    },
  }),
  PodList: listOf('PodList', 'Pod'),
  NodeList: listOf('NodeList', 'Node'),
  ReplicaSetList: listOf('ReplicaSetList', 'ReplicaSet'),
  Event: looseObject('A Kubernetes-style Event about an object.', ['metadata', 'involvedObject', 'reason', 'type'], {
    metadata: ref('ObjectMeta'),
    involvedObject: { type: 'object', properties: { kind: { type: 'string' }, name: { type: 'string' }, namespace: { type: 'string' }, uid: { type: 'string' } } },
    reason: { type: 'string' },
    message: { type: 'string' },
    type: { type: 'string', enum: ['Normal', 'Warning'] },
    source: { type: 'object', properties: { component: { type: 'string' }, host: { type: 'string' } } },
    count: { type: 'integer' },
    firstTimestamp: { type: 'string' },
    lastTimestamp: { type: 'string' },
  }),
  EventList: listOf('EventList', 'Event'),
  Eviction: looseObject('policy/v1 Eviction; the pod is named by the path.', [], {
    apiVersion: { type: 'string' },
    kind: { const: 'Eviction' },
    metadata: ref('ObjectMeta'),
    deleteOptions: { type: 'object', properties: { gracePeriodSeconds: { type: 'integer', minimum: 0 } } },
  }),
  MergePatch: { type: 'object', description: 'A JSON merge patch (application/merge-patch+json or application/strategic-merge-patch+json) of the fields the resource lets a patch change.' },
  PodScheduling: looseObject('The scheduler\'s view of one pod: attempts and the last per-node, per-plugin verdicts.', ['kind', 'metadata', 'schedulerName', 'attempts'], {
    kind: { const: 'PodScheduling' },
    metadata: ref('ObjectMeta'),
    schedulerName: { type: 'string' },
    nodeName: { type: 'string' },
    nominatedNodeName: { type: 'string' },
    attempts: { type: 'integer' },
    lastScheduling: { type: 'object' },
  }),
  SchedulingPlan: looseObject('A dry-run placement: the chosen node (if any), a verdict per node and a summary.', ['verdicts', 'summary'], {
    verdicts: { type: 'array', items: { type: 'object' } },
    summary: { type: 'object' },
    preemption: { type: 'object', properties: { nodeName: { type: 'string' }, victims: { type: 'array', items: { type: 'object', properties: { namespace: { type: 'string' }, name: { type: 'string' } } } } } },
  }),
  History: looseObject('Every event of one object, oldest first.', ['kind', 'object', 'uids', 'items'], {
    kind: { const: 'History' },
    metadata: { type: 'object', properties: { resourceVersion: { type: 'string' } } },
    object: { type: 'object', properties: { kind: { type: 'string', enum: ['Pod', 'Node', 'ReplicaSet'] }, name: { type: 'string' }, namespace: { type: 'string' } } },
    uids: { type: 'array', items: { type: 'string' } },
    items: {
      type: 'array',
      items: looseObject('One event.', ['seq', 'time', 'type', 'source'], { seq: { type: 'integer' }, time: { type: 'string' }, type: { type: 'string' }, source: { type: 'string' }, uid: { type: 'string' } }),
    },
  }),
  ClusterDiff: looseObject('Objects added, removed or changed between two points of the log.', ['kind', 'from', 'to', 'changes'], {
    kind: { const: 'ClusterDiff' },
    from: { type: 'object', properties: { at: { type: 'string' }, resourceVersion: { type: 'string' } } },
    to: { type: 'object', properties: { at: { type: 'string' }, resourceVersion: { type: 'string' } } },
    changes: {
      type: 'array',
      items: looseObject('One object.', ['kind', 'name', 'change', 'fields'], {
        kind: { type: 'string', enum: ['Pod', 'Node', 'ReplicaSet'] },
        namespace: { type: 'string' },
        name: { type: 'string' },
        uid: { type: 'string' },
        change: { type: 'string' },
        fields: { type: 'array', items: { type: 'object' } },
      }),
    },
  }),
  Health: { type: 'object', required: ['status'], properties: { status: { type: 'string' }, appliedSeq: { type: 'integer' }, eventLog: { type: 'object' } } },
  Version: { type: 'object', properties: { gitVersion: { type: 'string' }, platform: { type: 'string' } } },
  OpenApiDocument: { type: 'object', required: ['openapi', 'paths'] },
  WatchEvent: looseObject('One server-sent event of a watch (`data:` line, JSON): the change and the object after it.', ['type', 'object'], {
    type: { type: 'string', enum: ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'] },
    object: { type: 'object' },
  }),
};

/** The zod schemas as JSON Schema (2020-12, what OpenAPI 3.1 uses), shared parts by $ref. */
export function modelSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(MODEL_SCHEMAS)) registry.add(schema, { id });
  // Input: what a client may send (defaults optional); stored objects are parsed outputs, which fit it too.
  const { schemas } = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  const out: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
    out[id] = rest;
  }
  return out;
}

export interface RegisteredRoute {
  method: string;
  url: string;
}

/** `/a/:ns/b` → `/a/{ns}/b`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const jsonContent = (schema: JsonSchema) => ({ 'application/json': { schema } });

function operation(method: string, url: string, spec: OperationSpec | undefined): JsonSchema {
  const pathParams = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    description: name === 'ns' ? 'Namespace' : 'Object name',
    schema: { type: 'string' },
  }));
  if (!spec) return { summary: UNDOCUMENTED, tags: [UNDOCUMENTED], parameters: pathParams, responses: { default: { description: 'Not described yet' } } };
  const parameters = [...pathParams, ...(spec.query ?? []).map((name) => ({ name, in: 'query', required: name === 'from' || name === 'to', ...QUERY[name] }))];
  const success =
    typeof spec.response === 'string'
      ? {
          description: 'OK',
          content: {
            ...jsonContent(ref(spec.response)),
            ...(spec.watch ? { 'text/event-stream': { schema: ref('WatchEvent') } } : {}),
          },
        }
      : { description: spec.response.description, content: { [spec.response.mediaType]: { schema: { type: 'string' } } } };
  const op: JsonSchema = {
    operationId: `${method.toLowerCase()}${url.replace(/\/:?([A-Za-z0-9_.]+)/g, (_m, part: string) => part.charAt(0).toUpperCase() + part.slice(1)).replace(/[^A-Za-z0-9]/g, '')}`,
    summary: spec.summary,
    tags: [spec.tag],
    parameters,
    responses: { [spec.created ? '201' : '200']: success, default: { description: 'An error', content: jsonContent(ref('Status')) } },
  };
  if (spec.body) {
    const schema = ref(spec.body);
    op.requestBody = {
      required: true,
      content:
        spec.body === 'MergePatch'
          ? { 'application/merge-patch+json': { schema }, 'application/strategic-merge-patch+json': { schema } }
          : { 'application/json': { schema }, 'application/yaml': { schema } },
    };
  }
  return op;
}

export function buildOpenApiDocument(routes: readonly RegisteredRoute[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const { method, url } of routes) {
    // Fastify adds a HEAD for every GET; it says nothing new.
    if (method === 'HEAD' || method === 'OPTIONS') continue;
    const path = openApiPath(url);
    (paths[path] ??= {})[method.toLowerCase()] = operation(method, url, OPERATIONS[`${method} ${url}`]);
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Flotilla API',
      version: '0.1.0',
      description:
        'Kubernetes-style API of Flotilla, an event-sourced pod scheduler. Writes append events to the log; reads are a fold of it. Errors are Kubernetes Status objects whose `reason` is a stable code.',
    },
    tags: [...new Set(Object.values(OPERATIONS).map((op) => op.tag))].map((name) => ({ name })),
    paths,
    components: { schemas: { ...modelSchemas(), ...HAND_WRITTEN } },
  };
}

/**
 * Registers `/docs` and `/docs/json`. Call before the other routes: the onRoute hook only sees
 * routes registered after it.
 */
export function registerOpenApiRoutes(app: FastifyInstance): void {
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods: readonly HTTPMethods[] = Array.isArray(route.method) ? route.method : [route.method as HTTPMethods];
    for (const method of methods) routes.push({ method: method.toUpperCase(), url: route.url });
  });
  let document: string | undefined;
  // Built on first request: every route is registered by then, and start-up pays nothing.
  app.get('/docs/json', async (_request, reply) => {
    document ??= JSON.stringify(buildOpenApiDocument(routes));
    return reply.type('application/json; charset=utf-8').send(document);
  });
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(DOCS_PAGE));
}

// Renders /docs/json: operations grouped by tag, with their parameters, bodies and responses;
// a schema opens on click. textContent only, so nothing in the document is parsed as HTML.
const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flotilla API</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 2rem;color:#1d2330}
h2{border-bottom:1px solid #ccd;margin-top:2rem;text-transform:capitalize}
details.op{border:1px solid #dde;border-radius:6px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}
.m{display:inline-block;min-width:4.2rem;font:bold 12px monospace;text-align:center;border-radius:4px;padding:2px 4px;color:#fff;margin-right:.5rem}
.get{background:#2f7dd1}.post{background:#2e9d5b}.put{background:#c98a12}.patch{background:#8a55c4}.delete{background:#c8423b}
code,pre{font:12px/1.4 ui-monospace,monospace}pre{background:#f5f6fa;padding:.6rem;overflow:auto;max-height:30rem}
table{border-collapse:collapse;margin:.3rem 0}td,th{border-bottom:1px solid #eee;padding:2px 10px 2px 0;text-align:left;vertical-align:top}
a.ref{cursor:pointer;color:#2f7dd1;text-decoration:underline}
</style></head>
<body><h1>Flotilla API</h1><p id="about"></p><p>Raw document: <a href="/docs/json">/docs/json</a></p><div id="ops">Loading…</div><h2>Schemas</h2><div id="schemas"></div>
<script>
const el = (tag, props = {}, ...children) => { const e = Object.assign(document.createElement(tag), props); e.append(...children); return e; };
const refName = (s) => s && s.$ref ? s.$ref.split('/').pop() : undefined;
const schemaLink = (s) => { const name = refName(s); if (!name) return el('code', { textContent: JSON.stringify(s) });
  return el('a', { className: 'ref', textContent: name, onclick: () => { const d = document.getElementById('schema-' + name); d.open = true; d.scrollIntoView(); } }); };
fetch('/docs/json').then((r) => r.json()).then((doc) => {
  document.getElementById('about').textContent = doc.info.description;
  const byTag = new Map();
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) {
    const tag = (op.tags || ['other'])[0]; if (!byTag.has(tag)) byTag.set(tag, []); byTag.get(tag).push([method, path, op]); }
  const ops = document.getElementById('ops'); ops.textContent = '';
  for (const [tag, list] of byTag) {
    ops.append(el('h2', { textContent: tag }));
    for (const [method, path, op] of list) {
      const body = el('div');
      if (op.parameters && op.parameters.length) {
        const t = el('table', {}, el('tr', {}, el('th', { textContent: 'parameter' }), el('th', { textContent: 'in' }), el('th', { textContent: 'type' }), el('th', { textContent: 'description' })));
        for (const p of op.parameters) t.append(el('tr', {}, el('td', {}, el('code', { textContent: p.name + (p.required ? ' *' : '') })), el('td', { textContent: p.in }),
          el('td', { textContent: (p.schema && (p.schema.enum ? p.schema.enum.join(' | ') : p.schema.type)) || '' }), el('td', { textContent: p.description || '' })));
        body.append(t);
      }
      if (op.requestBody) for (const [type, media] of Object.entries(op.requestBody.content)) body.append(el('div', {}, 'Body (' + type + '): ', schemaLink(media.schema)));
      for (const [code, res] of Object.entries(op.responses || {})) {
        const line = el('div', {}, code + ' ' + res.description);
        for (const [type, media] of Object.entries(res.content || {})) line.append(' — ' + type + ': ', schemaLink(media.schema));
        body.append(line);
      }
      ops.append(el('details', { className: 'op' }, el('summary', {}, el('span', { className: 'm ' + method, textContent: method.toUpperCase() }), el('code', { textContent: path }), ' ' + (op.summary || '')), body));
    }
  }
  const schemas = document.getElementById('schemas');
  for (const [name, schema] of Object.entries(doc.components.schemas))
    schemas.append(el('details', { id: 'schema-' + name }, el('summary', { textContent: name }), el('pre', { textContent: JSON.stringify(schema, null, 2) })));
}).catch((error) => { document.getElementById('ops').textContent = 'Cannot load /docs/json: ' + error; });
</script></body></html>
`;
