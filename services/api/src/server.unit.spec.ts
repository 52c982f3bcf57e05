import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { MemoryEventLog } from '@flotilla/eventlog';
import { LiveProjection, createLogger } from '@flotilla/service-kit';
import { buildApiServer } from './server.ts';

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m' } } }], ...extra },
});

const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { capacity: { cpu: '4', memory: '8Gi' } } });

describe('API service (in-memory event log)', () => {
  let log: MemoryEventLog;
  let projection: LiveProjection;
  let app: FastifyInstance;

  beforeEach(async () => {
    log = new MemoryEventLog();
    projection = new LiveProjection(log);
    await projection.start();
    app = await buildApiServer({ log, projection, logger: createLogger('api-test', {}, 'error'), watchRingSize: 4, writeTimeoutMs: 1000 });
  });

  afterEach(async () => {
    await app.close();
    await projection.stop();
    await log.close();
  });

  it('creates a pod, answers with server fields after its own fold applied it', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: pod('web') });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.metadata).toMatchObject({ name: 'web', namespace: 'default', resourceVersion: '1' });
    expect(body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.spec).toMatchObject({ restartPolicy: 'Always', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30 });
    expect(body.status.phase).toBe('Pending');
    const got = await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/web' });
    expect(got.json().metadata.uid).toBe(body.metadata.uid);
  });

  it('ignores server-owned fields on create and names unused Kubernetes fields in Warning headers', async () => {
    const manifest = pod('copied');
    Object.assign(manifest.metadata, { uid: 'not-mine', resourceVersion: '999' });
    Object.assign(manifest, { status: { phase: 'Running', podIP: '1.2.3.4' } });
    Object.assign(manifest.spec, { dnsPolicy: 'ClusterFirst' });
    const response = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: manifest });
    expect(response.statusCode).toBe(201);
    expect(response.json().metadata.uid).not.toBe('not-mine');
    expect(response.json().status.phase).toBe('Pending');
    expect(response.json().status.podIP).toBeUndefined();
    expect(response.headers.warning).toContain('299 - "spec.dnsPolicy: accepted but not acted on by Flotilla"');
  });

  it('accepts YAML bodies', async () => {
    const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: from-yaml\nspec:\n  containers:\n  - name: c\n    image: x\n';
    const response = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: yaml, headers: { 'content-type': 'application/yaml' } });
    expect(response.statusCode).toBe(201);
  });

  it('answers bad input with Status objects naming the problem', async () => {
    const invalid = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: { ...pod('x'), spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '1.5.5' } } }] } } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 400, details: { causes: [{ field: 'spec.containers[0].resources.requests.cpu', message: 'invalid quantity "1.5.5"' }] } });

    const notJson = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: '{"apiVersion":', headers: { 'content-type': 'application/json' } });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().message).toMatch(/not valid JSON/);

    const wrongNs = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: { ...pod('x'), metadata: { name: 'x', namespace: 'other' } } });
    expect(wrongNs.statusCode).toBe(400);
    expect(wrongNs.json().message).toContain('does not match the namespace sent on the request');

    const badSelector = await app.inject({ method: 'GET', url: '/api/v1/pods?labelSelector=%3Dx' });
    expect(badSelector.statusCode).toBe(400);
    const unknownField = await app.inject({ method: 'GET', url: '/api/v1/pods?fieldSelector=spec.bogus%3Dx' });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json().message).toContain('field label not supported: spec.bogus');

    const noRoute = await app.inject({ method: 'GET', url: '/api/v1/widgets' });
    expect(noRoute.statusCode).toBe(404);
    expect(noRoute.json().kind).toBe('Status');

    const tooBig = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: { ...pod('big'), metadata: { name: 'big', annotations: { a: 'x'.repeat(4 * 1024 * 1024) } } } });
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().reason).toBe('RequestEntityTooLarge');
    expect((await app.inject({ method: 'GET', url: '/api/v1/pods' })).json().items).toHaveLength(0);
  });

  it('refuses a second pod with a live name (409) and keeps the first', async () => {
    const first = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: pod('one') });
    const second = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: pod('one') });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ reason: 'AlreadyExists', details: { name: 'one', kind: 'pods' } });
    const stored = await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/one' });
    expect(stored.json().metadata.uid).toBe(first.json().metadata.uid);
  });

  it('lets the fold decide a create race between two API replicas', async () => {
    const other = await buildApiServer({ log, projection: await startedProjection(log), logger: createLogger('api-b', {}, 'error') });
    const [a, b] = await Promise.all([
      app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: pod('race') }),
      other.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: pod('race') }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
    const winner = a.statusCode === 201 ? a : b;
    expect((await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/race' })).json().metadata.uid).toBe(winner.json().metadata.uid);
    await other.close();
  });

  it('answers 503 without writing while the event log is unreachable, and /readyz says so', async () => {
    log.simulateOutage(true);
    const response = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: pod('offline') });
    expect(response.statusCode).toBe(503);
    expect(response.json().reason).toBe('ServiceUnavailable');
    expect(response.headers['retry-after']).toBe('1');
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    log.simulateOutage(false);
    expect(await log.lastSequence()).toBe(0);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('deletes a pod that never got a node at once, and a bound one gracefully', async () => {
    await app.inject({ method: 'POST', url: '/api/v1/nodes', payload: node('node-1') });
    await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: pod('pending') });
    const gone = await app.inject({ method: 'DELETE', url: '/api/v1/namespaces/default/pods/pending' });
    expect(gone.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/pending' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/namespaces/default/pods/pending' })).statusCode).toBe(404);

    const created = (await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: pod('bound') })).json();
    await log.append({
      subject: 'flotilla.ev.pod.default.bound',
      msgId: 'bind-1',
      event: { id: 'e1', type: 'PodBound', schemaVersion: 1, time: new Date().toISOString(), source: 'test', data: { namespace: 'default', name: 'bound', uid: created.metadata.uid, nodeName: 'node-1', schedulerName: 'default-scheduler', attempt: 1 } },
    });
    await projection.waitFor(await log.lastSequence(), 1000);
    const deleting = await app.inject({ method: 'DELETE', url: '/api/v1/namespaces/default/pods/bound?gracePeriodSeconds=5' });
    expect(deleting.statusCode).toBe(200);
    expect(deleting.json().metadata.deletionTimestamp).toBeDefined();
    expect(deleting.json().metadata.deletionGracePeriodSeconds).toBe(5);
    // Still there until its node reports it stopped.
    expect((await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/bound' })).statusCode).toBe(200);
    const bad = await app.inject({ method: 'DELETE', url: '/api/v1/namespaces/default/pods/bound?gracePeriodSeconds=-1' });
    expect(bad.statusCode).toBe(400);
  });

  it('lists with label and field selectors and a list resourceVersion', async () => {
    await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: pod('a') });
    await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: { ...pod('b'), metadata: { name: 'b', labels: { app: 'db' } } } });
    await app.inject({ method: 'POST', url: '/api/v1/namespaces/other/pods', payload: pod('c') });
    const web = (await app.inject({ method: 'GET', url: '/api/v1/pods?labelSelector=app%3Dweb' })).json();
    expect(web.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(['a', 'c']);
    expect(web.metadata.resourceVersion).toBe('3');
    const ns = (await app.inject({ method: 'GET', url: '/api/v1/namespaces/other/pods' })).json();
    expect(ns.items).toHaveLength(1);
    const byName = (await app.inject({ method: 'GET', url: '/api/v1/pods?fieldSelector=metadata.name%3Db' })).json();
    expect(byName.items).toHaveLength(1);
  });

  describe('watch', () => {
    let base: string;
    beforeEach(async () => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });

    async function readEvents(url: string, count: number): Promise<Array<{ id?: number; type: string; name: string }>> {
      const controller = new AbortController();
      const response = await fetch(url, { signal: controller.signal });
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      const events: Array<{ id?: number; type: string; name: string }> = [];
      while (events.length < count) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: (\d+)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data) {
            const parsed = JSON.parse(data) as { type: string; object: { metadata: { name: string } } };
            events.push({ ...(id ? { id: Number(id) } : {}), type: parsed.type, name: parsed.object.metadata.name });
          } else if (id) {
            events.push({ id: Number(id), type: 'SNAPSHOT', name: '' });
          }
        }
      }
      controller.abort();
      return events;
    }

    it('starts with the current objects, then streams changes in order', async () => {
      await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: pod('w1') });
      const stream = readEvents(`${base}/api/v1/namespaces/default/pods?watch=true`, 4);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: pod('w2') });
      await app.inject({ method: 'DELETE', url: '/api/v1/namespaces/default/pods/w1' });
      expect(await stream).toEqual([
        { type: 'ADDED', name: 'w1' },
        { id: 1, type: 'SNAPSHOT', name: '' },
        { id: 2, type: 'ADDED', name: 'w2' },
        { id: 3, type: 'DELETED', name: 'w1' },
      ]);
    });

    it('resumes from any resourceVersion, also older than the in-memory ring (refolds the log)', async () => {
      for (let i = 1; i <= 8; i++) await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: pod(`r${i}`) });
      // The ring holds 4 changes; resuming from 2 must read the log again and miss nothing.
      const resumed = await readEvents(`${base}/api/v1/namespaces/default/pods?watch=true&resourceVersion=2`, 6);
      expect(resumed.map((e) => e.id)).toEqual([3, 4, 5, 6, 7, 8]);
      expect(resumed.every((e) => e.type === 'ADDED')).toBe(true);
      const recent = await readEvents(`${base}/api/v1/namespaces/default/pods?watch=true&resourceVersion=6`, 2);
      expect(recent.map((e) => e.name)).toEqual(['r7', 'r8']);
    });

    it('rejects a malformed resourceVersion', async () => {
      const response = await fetch(`${base}/api/v1/pods?watch=true&resourceVersion=abc`);
      expect(response.status).toBe(400);
    });
  });
});

async function startedProjection(log: MemoryEventLog): Promise<LiveProjection> {
  const projection = new LiveProjection(log);
  await projection.start();
  return projection;
}
