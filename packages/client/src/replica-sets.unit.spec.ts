// The issue-5 calls against a tiny in-process server: paths, methods, bodies and content types.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FlotillaClient } from './index.ts';

interface Seen {
  method?: string;
  url?: string;
  type?: string;
  body?: unknown;
}

let server: Server | undefined;

async function recording(answer: (seen: Seen) => { code: number; body: unknown }): Promise<{ client: FlotillaClient; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const entry: Seen = { method: req.method, url: req.url, type: req.headers['content-type'], ...(body ? { body: JSON.parse(body) as unknown } : {}) };
      seen.push(entry);
      const { code, body: out } = answer(entry);
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { client: new FlotillaClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }), seen };
}

afterEach(async () => {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = undefined;
});

const ok = { code: 200, body: {} };

describe('FlotillaClient: ReplicaSets, scale, cordon, eviction', () => {
  it('sends each ReplicaSet call to its apps/v1 path', async () => {
    const { client, seen } = await recording(() => ok);
    await client.createReplicaSet('team-a', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web' } });
    await client.getReplicaSet('team-a', 'web');
    await client.listReplicaSets('team-a', { labelSelector: 'app=web' });
    await client.listReplicaSets();
    await client.deleteReplicaSet('team-a', 'web');
    await client.getScale('team-a', 'web');
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /apis/apps/v1/namespaces/team-a/replicasets',
      'GET /apis/apps/v1/namespaces/team-a/replicasets/web',
      'GET /apis/apps/v1/namespaces/team-a/replicasets?labelSelector=app%3Dweb',
      'GET /apis/apps/v1/replicasets',
      'DELETE /apis/apps/v1/namespaces/team-a/replicasets/web',
      'GET /apis/apps/v1/namespaces/team-a/replicasets/web/scale',
    ]);
    expect(seen[0]).toMatchObject({ type: 'application/json', body: { kind: 'ReplicaSet' } });
  });

  it('scales with a PUT of an autoscaling/v1 Scale, with the resourceVersion precondition when given', async () => {
    const { client, seen } = await recording(() => ({ code: 200, body: { kind: 'Scale', spec: { replicas: 4 } } }));
    const result = await client.scaleReplicaSet('default', 'web', 4, { resourceVersion: '17' });
    expect(result.body.spec.replicas).toBe(4);
    expect(seen[0]).toEqual({
      method: 'PUT',
      url: '/apis/apps/v1/namespaces/default/replicasets/web/scale',
      type: 'application/json',
      body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'default', resourceVersion: '17' }, spec: { replicas: 4 } },
    });
  });

  it('patches with a JSON merge patch: replicas, cordon and uncordon', async () => {
    const { client, seen } = await recording(() => ok);
    await client.patchReplicaSet('default', 'web', { spec: { replicas: 2 } });
    await client.cordonNode('node-1');
    await client.uncordonNode('node-1');
    expect(seen).toEqual([
      { method: 'PATCH', url: '/apis/apps/v1/namespaces/default/replicasets/web', type: 'application/merge-patch+json', body: { spec: { replicas: 2 } } },
      { method: 'PATCH', url: '/api/v1/nodes/node-1', type: 'application/merge-patch+json', body: { spec: { unschedulable: true } } },
      { method: 'PATCH', url: '/api/v1/nodes/node-1', type: 'application/merge-patch+json', body: { spec: { unschedulable: null } } },
    ]);
  });

  it('evicts with a policy/v1 Eviction, deleteOptions only when given', async () => {
    const { client, seen } = await recording(() => ({ code: 201, body: { kind: 'Status', status: 'Success', code: 201 } }));
    const result = await client.evictPod('default', 'web');
    expect(result.status).toBe(201);
    await client.evictPod('default', 'web', { gracePeriodSeconds: 5, uid: 'u1' });
    expect(seen.map((s) => s.body)).toEqual([
      { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web', namespace: 'default' } },
      { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web', namespace: 'default' }, deleteOptions: { gracePeriodSeconds: 5, preconditions: { uid: 'u1' } } },
    ]);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/v1/namespaces/default/pods/web/eviction' });
  });

  it('watches ReplicaSets on their list path', async () => {
    let url = '';
    server = createServer((req, res) => {
      url = req.url ?? '';
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`id: 3\ndata: ${JSON.stringify({ type: 'ADDED', object: { kind: 'ReplicaSet', metadata: { name: 'web' } } })}\n\n`);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const client = new FlotillaClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const controller = new AbortController();
    for await (const event of client.watchReplicaSets('default', { signal: controller.signal, resourceVersion: '2' })) {
      expect(event).toEqual({ type: 'ADDED', object: { kind: 'ReplicaSet', metadata: { name: 'web' } }, resourceVersion: '3' });
      controller.abort();
    }
    expect(url).toBe('/apis/apps/v1/namespaces/default/replicasets?watch=true&resourceVersion=2');
  });
});
