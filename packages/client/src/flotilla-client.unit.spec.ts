// The client's HTTP behaviour against a tiny in-process node:http server: status mapping, warnings,
// timeouts, unreachable servers and SSE watches (split chunks, resumption from the last id).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, ApiTimeoutError, ApiUnreachableError, FlotillaClient, resolveServer } from './index.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server | undefined;

async function serve(handler: Handler): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = undefined;
});

function json(res: ServerResponse, code: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
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

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', uid: 'u1', creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { containers: [{ name: 'c' }] } };

describe('FlotillaClient requests', () => {
  it('creates a pod and returns the body with every Warning header', async () => {
    let seen: { method?: string; url?: string; type?: string; body?: string } = {};
    const base = await serve((req, res, body) => {
      seen = { method: req.method, url: req.url, type: req.headers['content-type'], body };
      json(res, 201, pod, { Warning: ['299 - "spec.containers[0].imagePullPolicy: accepted but not acted on by Flotilla"', '299 - "second, with a comma"'] });
    });
    const client = new FlotillaClient({ server: base });
    const result = await client.createPod('team-a', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'c' }] } });
    expect(seen).toMatchObject({ method: 'POST', url: '/api/v1/namespaces/team-a/pods', type: 'application/json' });
    expect(JSON.parse(seen.body ?? '')).toMatchObject({ metadata: { name: 'web' } });
    expect(result.status).toBe(201);
    expect(result.body.metadata.uid).toBe('u1');
    expect(result.warnings).toEqual(['spec.containers[0].imagePullPolicy: accepted but not acted on by Flotilla', 'second, with a comma']);
  });

  it('maps a NotFound Status to ApiError', async () => {
    const base = await serve((_req, res) => json(res, 404, status(404, 'NotFound', 'pods "x" not found', { name: 'x', kind: 'pods' })));
    const error = await new FlotillaClient({ server: base }).getPod('default', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ name: 'ApiError', status: 404, reason: 'NotFound', message: 'pods "x" not found', causes: [] });
  });

  it('carries the causes and warnings of an Invalid answer', async () => {
    const causes = [{ field: 'spec.containers[1].resources.requests.cpu', message: 'invalid quantity "1.5.5"', reason: 'FieldValueInvalid' }];
    const base = await serve((_req, res) =>
      json(res, 400, status(400, 'Invalid', 'Pod "web" is invalid: ...', { name: 'web', kind: 'pods', causes }), { Warning: '299 - "w"' }),
    );
    const error = (await new FlotillaClient({ server: base }).createPod('default', {}).catch((e: unknown) => e)) as ApiError;
    expect(error.reason).toBe('Invalid');
    expect(error.status).toBe(400);
    expect(error.causes).toEqual(causes);
    expect(error.warnings).toEqual(['w']);
  });

  it.each([
    [409, 'AlreadyExists'],
    [410, 'Gone'],
    [413, 'RequestEntityTooLarge'],
    [503, 'ServiceUnavailable'],
    [504, 'Timeout'],
  ])('keeps the reason of a %i Status', async (code, reason) => {
    const base = await serve((_req, res) => json(res, code, status(code, reason, `m${code}`)));
    const error = (await new FlotillaClient({ server: base }).listNodes().catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({ status: code, reason, message: `m${code}` });
  });

  it('derives a reason from the HTTP code when the body is not a Status', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    });
    const error = (await new FlotillaClient({ server: base }).listPods('default').catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.reason).toBe('InternalError');
    expect(error.message).toBe('the server answered GET /api/v1/namespaces/default/pods with HTTP 502: <html>bad gateway</html>');
  });

  it('sends list, delete and event filters as query parameters', async () => {
    const urls: string[] = [];
    const base = await serve((req, res) => {
      urls.push(`${req.method} ${req.url}`);
      json(res, 200, { kind: 'List', items: [] });
    });
    const client = new FlotillaClient({ server: `${base}/` });
    await client.listPods(undefined, { labelSelector: 'app=web,tier!=db' });
    await client.listPods('ns 1');
    await client.deletePod('default', 'web', { gracePeriodSeconds: 0 });
    await client.deletePod('default', 'web');
    await client.listEvents('default', { involvedObjectName: 'web', kind: 'Pod' });
    await client.listEvents();
    await client.deleteNode('n1');
    await client.readyz();
    expect(urls).toEqual([
      'GET /api/v1/pods?labelSelector=app%3Dweb%2Ctier%21%3Ddb',
      'GET /api/v1/namespaces/ns%201/pods',
      'DELETE /api/v1/namespaces/default/pods/web?gracePeriodSeconds=0',
      'DELETE /api/v1/namespaces/default/pods/web',
      'GET /api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb%2CinvolvedObject.kind%3DPod',
      'GET /api/v1/events',
      'DELETE /api/v1/nodes/n1',
      'GET /readyz',
    ]);
  });

  it('says how to start the cluster when nothing listens', async () => {
    const base = await serve(() => undefined);
    server!.close();
    server = undefined;
    const error = (await new FlotillaClient({ server: base }).listPods('default').catch((e: unknown) => e)) as ApiUnreachableError;
    expect(error).toBeInstanceOf(ApiUnreachableError);
    expect(error.message).toBe(
      `cannot reach the Flotilla API at ${base}: connect ECONNREFUSED ${base.slice('http://'.length)}. Is the cluster running? Start it with \`npm start\`, or point --server / FLOTILLA_SERVER at it.`,
    );
    expect(error.outcomeUnknown).toBe(false);
    expect(error.cause).toBeDefined();
  });

  it('times out a write with an unknown outcome', async () => {
    const base = await serve(() => undefined); // never answers
    const client = new FlotillaClient({ server: base, timeoutMs: 100 });
    const error = (await client.createPod('default', pod).catch((e: unknown) => e)) as ApiTimeoutError;
    expect(error).toBeInstanceOf(ApiTimeoutError);
    expect(error.outcomeUnknown).toBe(true);
    expect(error.message).toContain('within 100ms for POST /api/v1/namespaces/default/pods; the outcome is unknown');
    const read = (await client.getPod('default', 'web').catch((e: unknown) => e)) as ApiTimeoutError;
    expect(read.outcomeUnknown).toBe(false);
    expect(read.message).not.toContain('outcome');
  });

  it('rethrows the caller abort instead of a timeout', async () => {
    const base = await serve(() => undefined);
    const controller = new AbortController();
    const pending = new FlotillaClient({ server: base }).request('GET', '/livez', { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort(new Error('stop'));
    expect(await pending).toMatchObject({ message: 'stop' });
  });
});

describe('FlotillaClient.watch', () => {
  function sse(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
  }

  it('parses events written in awkward chunks', async () => {
    const base = await serve((req, res) => {
      sse(res);
      const text =
        ': ping\n\nid: 5\ndata: {"type":"ADDED","object":{"metadata":{"name":"a"}}}\n\nid: 6\r\ndata: {"type":"MODIFIED",\r\ndata: "object":{"metadata":{"name":"a"}}}\r\n\r\n';
      // One byte at a time, so every line and message is split somewhere.
      let i = 0;
      const timer = setInterval(() => {
        if (i >= text.length) {
          clearInterval(timer);
          return;
        }
        res.write(text[i++]);
      }, 0);
      res.on('close', () => clearInterval(timer));
    });
    const controller = new AbortController();
    const got: Array<{ type: string; rv: string | undefined }> = [];
    for await (const event of new FlotillaClient({ server: base }).watch('/api/v1/pods', { signal: controller.signal })) {
      got.push({ type: event.type, rv: event.resourceVersion });
      if (got.length === 2) controller.abort();
    }
    expect(got).toEqual([
      { type: 'ADDED', rv: '5' },
      { type: 'MODIFIED', rv: '6' },
    ]);
  });

  it('resumes from the last id after the connection drops', async () => {
    const requests: string[] = [];
    const base = await serve((req, res) => {
      requests.push(req.url ?? '');
      sse(res);
      if (requests.length === 1) {
        res.write('id: 10\ndata: {"type":"ADDED","object":{"n":1}}\n\n');
        res.write('id: 11\ndata: {"type":"MODIFIED","object":{"n":2}}\n\n');
        // A half-written message, then the connection dies.
        res.write('id: 12\ndata: {"type":"MOD');
        setTimeout(() => res.destroy(), 20);
      } else {
        res.write('id: 12\ndata: {"type":"DELETED","object":{"n":3}}\n\n');
      }
    });
    const controller = new AbortController();
    const got: unknown[] = [];
    const client = new FlotillaClient({ server: base });
    for await (const event of client.watch('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb', { signal: controller.signal, reconnectDelayMs: 10 })) {
      got.push(event.object);
      if (got.length === 3) controller.abort();
    }
    expect(got).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(requests).toEqual([
      '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb&watch=true',
      '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb&watch=true&resourceVersion=11',
    ]);
  });

  it('reopens a stream that went silent', async () => {
    const requests: string[] = [];
    const base = await serve((req, res) => {
      requests.push(req.url ?? '');
      sse(res);
      if (requests.length === 1) res.write('id: 3\ndata: {"type":"ADDED","object":1}\n\n');
      else res.write('id: 4\ndata: {"type":"ADDED","object":2}\n\n');
    });
    const controller = new AbortController();
    const got: unknown[] = [];
    for await (const event of new FlotillaClient({ server: base }).watch('/api/v1/nodes', { signal: controller.signal, idleTimeoutMs: 100, reconnectDelayMs: 10 })) {
      got.push(event.object);
      if (got.length === 2) controller.abort();
    }
    expect(got).toEqual([1, 2]);
    expect(requests[1]).toBe('/api/v1/nodes?watch=true&resourceVersion=3');
  });

  it('throws Gone when the version is too old', async () => {
    const base = await serve((_req, res) => json(res, 410, status(410, 'Gone', 'too old resource version: 1 (50)')));
    const iterate = async () => {
      for await (const _event of new FlotillaClient({ server: base }).watch('/api/v1/pods', { resourceVersion: '1' })) {
        // no events expected
      }
    };
    await expect(iterate()).rejects.toMatchObject({ name: 'ApiError', reason: 'Gone', status: 410 });
  });

  it('throws at once when the first connection cannot be made', async () => {
    const base = await serve(() => undefined);
    server!.close();
    server = undefined;
    const iterate = async () => {
      for await (const _event of new FlotillaClient({ server: base }).watch('/api/v1/pods')) {
        // nothing
      }
    };
    await expect(iterate()).rejects.toBeInstanceOf(ApiUnreachableError);
  });

  it('stops quietly when the consumer breaks out of the loop', async () => {
    let closed = false;
    const base = await serve((req, res) => {
      sse(res);
      res.write('id: 1\ndata: {"type":"ADDED","object":1}\n\n');
      res.on('close', () => (closed = true));
    });
    for await (const _event of new FlotillaClient({ server: base }).watch('/api/v1/pods')) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(true);
  });
});

describe('resolveServer', () => {
  it('prefers the flag, then FLOTILLA_SERVER, then the default', () => {
    expect(resolveServer('http://a:1/', { FLOTILLA_SERVER: 'http://b:2' })).toBe('http://a:1');
    expect(resolveServer(undefined, { FLOTILLA_SERVER: 'http://b:2' })).toBe('http://b:2');
    expect(resolveServer(undefined, {})).toBe('http://127.0.0.1:7070');
    expect(resolveServer('localhost:7070', {})).toBe('http://localhost:7070');
  });
});
