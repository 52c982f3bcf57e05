// An in-memory stand-in for the Flotilla API behind an injected fetch, for the command tests:
// pods, nodes and events with the real API's status codes, Status bodies and Warning headers.
import type { KubeEvent } from '@flotilla/client';
import { formatFieldError, nodeForRegister, podForCreate, validateNode, validatePod } from '@flotilla/model';
import type { Node, Pod } from '@flotilla/model';

export interface FakeApi {
  fetch: typeof fetch;
  pods: Map<string, Pod>;
  nodes: Map<string, Node>;
  events: KubeEvent[];
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

export function fakeApi(now: Date, seed: { pods?: Pod[]; nodes?: Node[]; events?: KubeEvent[] } = {}): FakeApi {
  const pods = new Map((seed.pods ?? []).map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const nodes = new Map((seed.nodes ?? []).map((n) => [n.metadata.name, n]));
  const events = [...(seed.events ?? [])];
  const requests: string[] = [];
  let uid = 0;

  const handle = (method: string, url: URL, body: unknown): { code: number; body: unknown; warnings?: string[] } => {
    const path = url.pathname;
    const list = (kind: string, items: unknown[]) => ({ code: 200, body: { apiVersion: 'v1', kind, metadata: { resourceVersion: '42' }, items } });
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
      if (method === 'GET') return list('PodList', [...pods.values()].filter((p) => (ns === undefined || p.metadata.namespace === ns) && byLabel(p.metadata.labels)));
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
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(path))) {
      const key = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
      const pod = pods.get(key);
      if (!pod) return { code: 404, body: status(404, 'NotFound', `pods "${decodeURIComponent(m[2]!)}" not found`, { name: decodeURIComponent(m[2]!), kind: 'pods' }) };
      if (method === 'DELETE') pods.delete(key);
      return { code: 200, body: pod };
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

  return { fetch: fakeFetch as typeof fetch, pods, nodes, events, requests };
}
