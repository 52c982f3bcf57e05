// getScheduling and planPod against a tiny in-process server: paths, bodies, query and errors.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, FlotillaClient } from './index.ts';

let server: Server | undefined;
const seen: Array<{ method?: string; url?: string; body: string }> = [];

async function serve(code: number, answer: unknown): Promise<FlotillaClient> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, body });
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return new FlotillaClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

afterEach(async () => {
  seen.length = 0;
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = undefined;
});

describe('scheduling client methods', () => {
  it('getScheduling reads the pod\'s scheduling record', async () => {
    const record = { apiVersion: 'v1', kind: 'PodScheduling', metadata: { name: 'web.1', namespace: 'team a', uid: 'u', resourceVersion: '7' }, schedulerName: 'default-scheduler', attempts: 1 };
    const client = await serve(200, record);
    const result = await client.getScheduling('team a', 'web.1');
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/v1/namespaces/team%20a/pods/web.1/scheduling' });
    expect(result.body).toEqual(record);
  });

  it('planPod posts the manifest and passes maxVerdicts', async () => {
    const plan = { apiVersion: 'v1', kind: 'PodSchedulingPlan', feasible: true, nodeName: 'n1', verdicts: [], summary: { evaluated: 1, feasible: 1, rejectedBy: {} } };
    const client = await serve(200, plan);
    const manifest = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'c' }] } };
    expect((await client.planPod('default', manifest)).body).toEqual(plan);
    await client.planPod('default', manifest, { maxVerdicts: 'all' });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /api/v1/namespaces/default/pods/plan', 'POST /api/v1/namespaces/default/pods/plan?maxVerdicts=all']);
    expect(JSON.parse(seen[0]!.body)).toEqual(manifest);
  });

  it('a Status answer throws ApiError with its reason', async () => {
    const client = await serve(404, { apiVersion: 'v1', kind: 'Status', status: 'Failure', message: 'pods "nope" not found', reason: 'NotFound', code: 404 });
    const error = await client.getScheduling('default', 'nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(404);
    expect((error as ApiError).reason).toBe('NotFound');
  });
});
