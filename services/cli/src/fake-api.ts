// An in-memory stand-in for the Flotilla API behind an injected fetch, for the command tests:
// pods, nodes, replicasets and events with the real API's status codes, Status bodies and Warning
// headers. Evictions and deletes remove a pod at once unless `keepEvicted` holds it (a pod whose node
// is slow to stop it).
import { formatLabelSelector, type KubeEvent } from '@flotilla/client';
import { formatFieldError, nodeForRegister, podForCreate, replicaSetForCreate, validateNode, validatePod, validateReplicaSet } from '@flotilla/model';
import type { Node, Pod, ReplicaSet } from '@flotilla/model';

export interface FakeApi {
  fetch: typeof fetch;
  pods: Map<string, Pod>;
  nodes: Map<string, Node>;
  replicaSets: Map<string, ReplicaSet>;
  events: KubeEvent[];
  /** Pod keys (`ns/name`) an eviction marks as terminating instead of removing. */
  keepEvicted: Set<string>;
  /** Bodies of the evictions asked for, in order. */
  evictions: Array<{ key: string; body: unknown }>;
  /** `METHOD path?query` of every request, in order. */
  requests: string[];
}

const status = (code: number, reason: string, message: string, details?: unknown) => ({
  apiVersion: 'v1',
  kind: 'Status',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  code,
  ...(details ? { details } : {}),
});

export function fakeApi(now: Date, seed: { pods?: Pod[]; nodes?: Node[]; events?: KubeEvent[]; replicaSets?: ReplicaSet[] } = {}): FakeApi {
  const pods = new Map((seed.pods ?? []).map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const nodes = new Map((seed.nodes ?? []).map((n) => [n.metadata.name, n]));
  const replicaSets = new Map((seed.replicaSets ?? []).map((rs) => [`${rs.metadata.namespace}/${rs.metadata.name}`, rs]));
  const events = [...(seed.events ?? [])];
  const requests: string[] = [];
  const keepEvicted = new Set<string>();
  const evictions: Array<{ key: string; body: unknown }> = [];
  let uid = 0;
  let version = 100;

  const handle = (method: string, url: URL, body: unknown): { code: number; body: unknown; warnings?: string[] } => {
    const path = url.pathname;
    const list = (kind: string, items: unknown[]) => ({ code: 200, body: { apiVersion: kind === 'ReplicaSetList' ? 'apps/v1' : 'v1', kind, metadata: { resourceVersion: '42' }, items } });
    const fieldTerms = Object.fromEntries((url.searchParams.get('fieldSelector') ?? '').split(',').filter(Boolean).map((t) => t.split('=') as [string, string]));
    const labelSelector = url.searchParams.get('labelSelector');
    const byLabel = (labels: Record<string, string> | undefined) => {
      if (!labelSelector) return true;
      return labelSelector.split(',').every((term) => {
        const [k, v] = term.split('=');
        return labels?.[k!] === v;
      });
    };
    let m: RegExpExecArray | null;
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(path)) || path === '/api/v1/pods') {
      const ns = m ? decodeURIComponent(m[1]!) : undefined;
      if (method === 'GET') {
        const onNode = fieldTerms['spec.nodeName'];
        return list('PodList', [...pods.values()].filter((p) => (ns === undefined || p.metadata.namespace === ns) && byLabel(p.metadata.labels) && (onNode === undefined || p.spec.nodeName === onNode)));
      }
      if (method === 'POST' && ns) {
        const result = validatePod(body);
        if (!result.ok) {
          const name = ((body as { metadata?: { name?: string } }).metadata?.name ?? '') as string;
          return {
            code: 400,
            warnings: result.warnings,
            body: status(400, 'Invalid', `Pod "${name}" is invalid: ${result.errors.map(formatFieldError).join(', ')}`, {
              name,
              kind: 'pods',
              causes: result.errors.map((e) => ({ field: e.path, message: e.message, reason: 'FieldValueInvalid' })),
            }),
          };
        }
        if (result.value.metadata.namespace && result.value.metadata.namespace !== ns) {
          return { code: 400, body: status(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request') };
        }
        const pod = podForCreate(result.value, { uid: `uid-${++uid}`, now: now.toISOString(), namespace: ns, generatedSuffix: 'x7k2q' });
        const key = `${ns}/${pod.metadata.name}`;
        if (pods.has(key)) return { code: 409, warnings: result.warnings, body: status(409, 'AlreadyExists', `pods "${pod.metadata.name}" already exists`, { name: pod.metadata.name, kind: 'pods' }) };
        pods.set(key, pod);
        return { code: 201, body: pod, warnings: result.warnings };
      }
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(path)) && method === 'POST') {
      const key = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
      const pod = pods.get(key);
      if (!pod) return { code: 404, body: status(404, 'NotFound', `pods "${decodeURIComponent(m[2]!)}" not found`, { name: decodeURIComponent(m[2]!), kind: 'pods' }) };
      evictions.push({ key, body });
      if (keepEvicted.has(key)) pods.set(key, { ...pod, metadata: { ...pod.metadata, deletionTimestamp: now.toISOString() } });
      else pods.delete(key);
      return { code: 201, body: { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 } };
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(path))) {
      const key = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
      const pod = pods.get(key);
      if (!pod) return { code: 404, body: status(404, 'NotFound', `pods "${decodeURIComponent(m[2]!)}" not found`, { name: decodeURIComponent(m[2]!), kind: 'pods' }) };
      if (method === 'DELETE') pods.delete(key);
      return { code: 200, body: pod };
    }
    if ((m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/replicasets$/.exec(path)) || path === '/apis/apps/v1/replicasets') {
      const ns = m ? decodeURIComponent(m[1]!) : undefined;
      if (method === 'GET') return list('ReplicaSetList', [...replicaSets.values()].filter((rs) => (ns === undefined || rs.metadata.namespace === ns) && byLabel(rs.metadata.labels)));
      if (method === 'POST' && ns) {
        const result = validateReplicaSet(body);
        if (!result.ok) {
          const name = ((body as { metadata?: { name?: string } }).metadata?.name ?? '') as string;
          return {
            code: 400,
            warnings: result.warnings,
            body: status(400, 'Invalid', `ReplicaSet.apps "${name}" is invalid: ${result.errors.map(formatFieldError).join(', ')}`, {
              name,
              kind: 'replicasets.apps',
              causes: result.errors.map((e) => ({ field: e.path, message: e.message, reason: 'FieldValueInvalid' })),
            }),
          };
        }
        const rs = replicaSetForCreate(result.value, { uid: `uid-${++uid}`, now: now.toISOString(), namespace: ns, generatedSuffix: 'x7k2q' });
        const key = `${ns}/${rs.metadata.name}`;
        if (replicaSets.has(key)) {
          return { code: 409, warnings: result.warnings, body: status(409, 'AlreadyExists', `replicasets.apps "${rs.metadata.name}" already exists`, { name: rs.metadata.name, kind: 'replicasets.apps' }) };
        }
        rs.metadata.resourceVersion = String(++version);
        replicaSets.set(key, rs);
        return { code: 201, body: rs, warnings: result.warnings };
      }
    }
    if ((m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/replicasets\/([^/]+)(\/scale)?$/.exec(path))) {
      const name = decodeURIComponent(m[2]!);
      const key = `${decodeURIComponent(m[1]!)}/${name}`;
      const rs = replicaSets.get(key);
      if (!rs) return { code: 404, body: status(404, 'NotFound', `replicasets.apps "${name}" not found`, { name, kind: 'replicasets.apps' }) };
      const scaleOf = (r: ReplicaSet) => ({
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name: r.metadata.name, namespace: r.metadata.namespace, uid: r.metadata.uid, resourceVersion: r.metadata.resourceVersion, creationTimestamp: r.metadata.creationTimestamp },
        spec: { replicas: r.spec.replicas },
        status: { replicas: r.status?.replicas ?? 0, selector: formatLabelSelector(r.spec.selector) },
      });
      const setReplicas = (replicas: number): ReplicaSet => {
        const next = { ...rs, metadata: { ...rs.metadata, generation: rs.metadata.generation + 1, resourceVersion: String(++version) }, spec: { ...rs.spec, replicas } };
        replicaSets.set(key, next);
        return next;
      };
      const scaleSubresource = m[3] !== undefined;
      if (method === 'DELETE' && !scaleSubresource) {
        replicaSets.delete(key);
        return { code: 200, body: { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', details: { name, group: 'apps', kind: 'replicasets', uid: rs.metadata.uid } } };
      }
      if (method === 'PUT' && scaleSubresource) {
        const scale = body as { metadata?: { resourceVersion?: string }; spec: { replicas: number } };
        if (scale.metadata?.resourceVersion !== undefined && scale.metadata.resourceVersion !== rs.metadata.resourceVersion) {
          return { code: 409, body: status(409, 'Conflict', `Operation cannot be fulfilled on replicasets.apps "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, kind: 'replicasets.apps' }) };
        }
        if (scale.spec.replicas < 0) {
          const message = `Invalid value: ${scale.spec.replicas}: must be greater than or equal to 0`;
          return { code: 400, body: status(400, 'Invalid', `ReplicaSet.apps "${name}" is invalid: spec.replicas: ${message}`, { name, kind: 'replicasets.apps', causes: [{ field: 'spec.replicas', message }] }) };
        }
        return { code: 200, body: scaleOf(setReplicas(scale.spec.replicas)) };
      }
      if (method === 'PATCH' && !scaleSubresource) {
        const patch = body as { spec?: { replicas?: number } };
        return { code: 200, body: setReplicas(patch.spec?.replicas ?? rs.spec.replicas) };
      }
      return { code: 200, body: scaleSubresource ? scaleOf(rs) : rs };
    }
    if (path === '/api/v1/nodes') {
      if (method === 'GET') return list('NodeList', [...nodes.values()].filter((n) => byLabel(n.metadata.labels)));
      const result = validateNode(body);
      if (!result.ok) return { code: 400, body: status(400, 'Invalid', 'Node is invalid', { kind: 'nodes', causes: result.errors.map((e) => ({ field: e.path, message: e.message })) }) };
      const name = result.value.metadata.name ?? '';
      if (nodes.has(name)) return { code: 409, body: status(409, 'AlreadyExists', `nodes "${name}" already exists`, { name, kind: 'nodes' }) };
      const node = nodeForRegister(result.value, { uid: `uid-${++uid}`, now: now.toISOString() });
      nodes.set(name, node);
      return { code: 201, body: node, warnings: result.warnings };
    }
    if ((m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path))) {
      const name = decodeURIComponent(m[1]!);
      const node = nodes.get(name);
      if (!node) return { code: 404, body: status(404, 'NotFound', `nodes "${name}" not found`, { name, kind: 'nodes' }) };
      if (method === 'DELETE') nodes.delete(name);
      if (method === 'PATCH') {
        const unschedulable = (body as { spec?: { unschedulable?: boolean | null } }).spec?.unschedulable === true;
        const next = { ...node, spec: { ...node.spec, unschedulable } };
        nodes.set(name, next);
        return { code: 200, body: next };
      }
      return { code: 200, body: node };
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(path)) || path === '/api/v1/events') {
      const ns = m ? decodeURIComponent(m[1]!) : undefined;
      const terms = Object.fromEntries((url.searchParams.get('fieldSelector') ?? '').split(',').filter(Boolean).map((t) => t.split('=') as [string, string]));
      return list(
        'EventList',
        events.filter(
          (e) =>
            (ns === undefined || e.metadata.namespace === ns) &&
            (terms['involvedObject.name'] === undefined || e.involvedObject.name === terms['involvedObject.name']) &&
            (terms['involvedObject.kind'] === undefined || e.involvedObject.kind === terms['involvedObject.kind']),
        ),
      );
    }
    return { code: 404, body: status(404, 'NotFound', `the server could not find the requested resource (${method} ${path})`) };
  };

  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = init?.method ?? 'GET';
    requests.push(`${method} ${url.pathname}${url.search}`);
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    const answer = handle(method, url, body);
    const headers = new Headers({ 'content-type': 'application/json' });
    for (const warning of answer.warnings ?? []) headers.append('warning', `299 - ${JSON.stringify(warning)}`);
    return new Response(JSON.stringify(answer.body), { status: answer.code, headers });
  };

  return { fetch: fakeFetch as typeof fetch, pods, nodes, replicaSets, events, requests, keepEvicted, evictions };
}
