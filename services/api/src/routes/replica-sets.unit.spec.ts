import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { EventLog } from '@flotilla/eventlog';
import { createLogger } from '@flotilla/service-kit';
import { buildApiServer } from '../server.ts';
import { replicaSetManifest, startHarness, type Harness } from '../test-harness.ts';

const RS = '/apis/apps/v1/namespaces/default/replicasets';

describe('ReplicaSet routes', () => {
  let h: Harness;
  let app: FastifyInstance;

  beforeEach(async () => {
    h = await startHarness();
    app = h.app;
  });

  afterEach(async () => {
    await h.close();
  });

  const create = (manifest: unknown, path = RS) => app.inject({ method: 'POST', url: path, payload: manifest as Record<string, unknown> });
  const types = async () => (await h.records()).map((r) => r.event.type);

  it('creates a ReplicaSet with identity, generation 1 and one replica by default, and reads it back', async () => {
    const response = await create(replicaSetManifest('web'));
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'default', generation: 1, resourceVersion: '1' }, spec: { replicas: 1 } });
    expect(body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.spec.template.spec).toMatchObject({ restartPolicy: 'Always', terminationGracePeriodSeconds: 30 });
    const got = await app.inject({ method: 'GET', url: `${RS}/web` });
    expect(got.statusCode).toBe(200);
    expect(got.json().metadata.uid).toBe(body.metadata.uid);
    expect(await types()).toEqual(['ReplicaSetCreated']);
  });

  it('accepts YAML and generateName', async () => {
    const yaml = [
      'apiVersion: apps/v1',
      'kind: ReplicaSet',
      'metadata: {generateName: web-}',
      'spec:',
      '  replicas: 2',
      '  selector: {matchLabels: {app: web}}',
      '  template:',
      '    metadata: {labels: {app: web}}',
      '    spec: {containers: [{name: c, image: nginx}]}',
      '',
    ].join('\n');
    const response = await app.inject({ method: 'POST', url: RS, payload: yaml, headers: { 'content-type': 'application/yaml' } });
    expect(response.statusCode).toBe(201);
    expect(response.json().metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(response.json().spec.replicas).toBe(2);
  });

  it('lists per namespace and across namespaces, with label and field selectors', async () => {
    await create(replicaSetManifest('a', 1));
    await create(replicaSetManifest('b', 1));
    await create(replicaSetManifest('c', 1), '/apis/apps/v1/namespaces/other/replicasets');
    const names = (body: { items: Array<{ metadata: { name: string } }> }) => body.items.map((i) => i.metadata.name);
    const inDefault = (await app.inject({ method: 'GET', url: RS })).json();
    expect(inDefault).toMatchObject({ apiVersion: 'apps/v1', kind: 'ReplicaSetList', metadata: { resourceVersion: '3' } });
    expect(names(inDefault)).toEqual(['a', 'b']);
    expect(names((await app.inject({ method: 'GET', url: '/apis/apps/v1/replicasets' })).json())).toEqual(['a', 'b', 'c']);
    expect(names((await app.inject({ method: 'GET', url: '/apis/apps/v1/replicasets?labelSelector=app%3Dc' })).json())).toEqual(['c']);
    expect(names((await app.inject({ method: 'GET', url: `${RS}?fieldSelector=metadata.name%3Db` })).json())).toEqual(['b']);
    const badField = await app.inject({ method: 'GET', url: `${RS}?fieldSelector=spec.replicas%3D1` });
    expect(badField.statusCode).toBe(400);
    expect(badField.json().message).toContain('field label not supported: spec.replicas');
  });

  it('answers invalid manifests, namespace mismatches, duplicates and unknown names with Status objects', async () => {
    const mismatched = replicaSetManifest('bad');
    mismatched.spec.template.metadata.labels = { app: 'other', tier: 'web' };
    const invalid = await create(mismatched);
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ kind: 'Status', reason: 'Invalid', details: { name: 'bad', kind: 'replicasets.apps' } });
    expect(invalid.json().message).toMatch(/^ReplicaSet\.apps "bad" is invalid: /);
    expect(invalid.json().details.causes).toContainEqual(expect.objectContaining({ field: 'spec.template.metadata.labels' }));

    const negative = await create(replicaSetManifest('neg', -1));
    expect(negative.statusCode).toBe(400);
    expect(negative.json().details.causes).toContainEqual(expect.objectContaining({ field: 'spec.replicas' }));

    const wrongNs = await create({ ...replicaSetManifest('x'), metadata: { name: 'x', namespace: 'other' } });
    expect(wrongNs.statusCode).toBe(400);
    expect(wrongNs.json().message).toContain('does not match the namespace sent on the request');

    expect((await create(replicaSetManifest('dup'))).statusCode).toBe(201);
    const dup = await create(replicaSetManifest('dup'));
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ reason: 'AlreadyExists', message: 'replicasets.apps "dup" already exists', details: { name: 'dup', kind: 'replicasets.apps' } });

    for (const [method, url] of [
      ['GET', `${RS}/nope`],
      ['DELETE', `${RS}/nope`],
      ['GET', `${RS}/nope/scale`],
    ] as const) {
      const missing = await app.inject({ method, url });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ reason: 'NotFound', message: 'replicasets.apps "nope" not found' });
    }
  });

  it('lets the fold decide a create race between two API replicas', async () => {
    const other = await h.replica();
    const [a, b] = await Promise.all([create(replicaSetManifest('race')), other.inject({ method: 'POST', url: RS, payload: replicaSetManifest('race') })]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
  });

  describe('scale', () => {
    beforeEach(async () => {
      await create(replicaSetManifest('web', 3));
    });

    it('reads the Scale subresource', async () => {
      const scale = await app.inject({ method: 'GET', url: `${RS}/web/scale` });
      expect(scale.statusCode).toBe(200);
      expect(scale.json()).toMatchObject({
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name: 'web', namespace: 'default', resourceVersion: '1' },
        spec: { replicas: 3 },
        status: { replicas: 0, selector: 'app=web' },
      });
    });

    it('PUT scale appends ReplicaSetScaled with the next generation; the same count writes nothing', async () => {
      const scaled = await app.inject({ method: 'PUT', url: `${RS}/web/scale`, payload: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web' }, spec: { replicas: 10 } } });
      expect(scaled.statusCode).toBe(200);
      expect(scaled.json().spec.replicas).toBe(10);
      const rs = (await app.inject({ method: 'GET', url: `${RS}/web` })).json();
      expect(rs.spec.replicas).toBe(10);
      expect(rs.metadata.generation).toBe(2);
      const records = await h.records();
      expect(records.at(-1)?.event).toMatchObject({ type: 'ReplicaSetScaled', data: { namespace: 'default', name: 'web', uid: rs.metadata.uid, replicas: 10, generation: 2 } });

      const again = await app.inject({ method: 'PUT', url: `${RS}/web/scale`, payload: { spec: { replicas: 10 } } });
      expect(again.statusCode).toBe(200);
      expect(await types()).toEqual(['ReplicaSetCreated', 'ReplicaSetScaled']);

      const down = await app.inject({ method: 'PUT', url: `${RS}/web/scale`, payload: { spec: { replicas: 0 } } });
      expect(down.json().spec.replicas).toBe(0);
      expect((await app.inject({ method: 'GET', url: `${RS}/web` })).json().metadata.generation).toBe(3);
    });

    it('refuses a negative count, a different name, a bad body and a stale resourceVersion', async () => {
      const negative = await app.inject({ method: 'PUT', url: `${RS}/web/scale`, payload: { spec: { replicas: -1 } } });
      expect(negative.statusCode).toBe(400);
      expect(negative.json()).toMatchObject({ reason: 'Invalid', details: { causes: [{ field: 'spec.replicas', message: 'Invalid value: -1: must be greater than or equal to 0' }] } });

      const otherName = await app.inject({ method: 'PUT', url: `${RS}/web/scale`, payload: { metadata: { name: 'db' }, spec: { replicas: 2 } } });
      expect(otherName.statusCode).toBe(400);
      expect(otherName.json().message).toBe('the name of the object (db) does not match the name on the URL (web)');

      const noSpec = await app.inject({ method: 'PUT', url: `${RS}/web/scale`, payload: { replicas: 2 } });
      expect(noSpec.statusCode).toBe(400);
      expect(noSpec.json().reason).toBe('Invalid');

      const stale = await app.inject({ method: 'PUT', url: `${RS}/web/scale`, payload: { metadata: { resourceVersion: '999' }, spec: { replicas: 2 } } });
      expect(stale.statusCode).toBe(409);
      expect(stale.json()).toMatchObject({ reason: 'Conflict' });
      expect(stale.json().message).toContain('the object has been modified');

      const current = (await app.inject({ method: 'GET', url: `${RS}/web/scale` })).json().metadata.resourceVersion;
      const fresh = await app.inject({ method: 'PUT', url: `${RS}/web/scale`, payload: { metadata: { resourceVersion: current }, spec: { replicas: 2 } } });
      expect(fresh.statusCode).toBe(200);
      expect(await types()).toEqual(['ReplicaSetCreated', 'ReplicaSetScaled']);
    });

    it('merge-patches spec.replicas on the ReplicaSet and on its scale; null is the default (1)', async () => {
      const headers = { 'content-type': 'application/merge-patch+json' };
      const patched = await app.inject({ method: 'PATCH', url: `${RS}/web`, payload: JSON.stringify({ spec: { replicas: 5 } }), headers });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({ kind: 'ReplicaSet', spec: { replicas: 5 }, metadata: { generation: 2 } });

      const strategic = await app.inject({
        method: 'PATCH',
        url: `${RS}/web/scale`,
        payload: JSON.stringify({ spec: { replicas: 7 } }),
        headers: { 'content-type': 'application/strategic-merge-patch+json' },
      });
      expect(strategic.statusCode).toBe(200);
      expect(strategic.json()).toMatchObject({ kind: 'Scale', spec: { replicas: 7 } });

      const reset = await app.inject({ method: 'PATCH', url: `${RS}/web`, payload: JSON.stringify({ spec: { replicas: null } }), headers });
      expect(reset.json().spec.replicas).toBe(1);

      const restated = await app.inject({ method: 'PATCH', url: `${RS}/web`, payload: JSON.stringify({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web' }, spec: { replicas: 1 } }), headers });
      expect(restated.statusCode).toBe(200);
    });

    it('refuses patches of anything but spec.replicas, and non-merge patch types', async () => {
      const headers = { 'content-type': 'application/merge-patch+json' };
      const template = await app.inject({ method: 'PATCH', url: `${RS}/web`, payload: JSON.stringify({ spec: { replicas: 4, template: { spec: { containers: [] } } }, metadata: { labels: { a: 'b' } } }), headers });
      expect(template.statusCode).toBe(400);
      expect(template.json()).toMatchObject({ reason: 'Invalid', details: { kind: 'replicasets.apps', name: 'web' } });
      expect(template.json().details.causes.map((c: { field: string }) => c.field)).toEqual(['spec.template.spec.containers', 'metadata.labels.a']);
      expect(template.json().message).toContain('only spec.replicas can be changed');

      const notNumber = await app.inject({ method: 'PATCH', url: `${RS}/web`, payload: JSON.stringify({ spec: { replicas: 'three' } }), headers });
      expect(notNumber.statusCode).toBe(400);
      expect(notNumber.json().details.causes[0]).toMatchObject({ field: 'spec.replicas', message: 'Invalid value: "three": must be an integer' });

      const plainJson = await app.inject({ method: 'PATCH', url: `${RS}/web`, payload: { spec: { replicas: 2 } } });
      expect(plainJson.statusCode).toBe(415);
      expect(plainJson.json().message).toContain('application/merge-patch+json');
      const jsonPatch = await app.inject({ method: 'PATCH', url: `${RS}/web`, payload: JSON.stringify([{ op: 'replace', path: '/spec/replicas', value: 2 }]), headers: { 'content-type': 'application/json-patch+json' } });
      expect(jsonPatch.statusCode).toBe(415);

      const notObject = await app.inject({ method: 'PATCH', url: `${RS}/web`, payload: '[1]', headers });
      expect(notObject.statusCode).toBe(400);
      expect(await types()).toEqual(['ReplicaSetCreated']);
    });

    it('a scale that loses its generation to another writer answers 409 and changes nothing it claims', async () => {
      // Another replica stores its scale of generation 2 between this one's read and its append: the
      // same message id, so this append is the duplicate, and the stored count is the other's.
      const racing: EventLog = Object.create(h.log) as EventLog;
      racing.append = async (request) => {
        const event = request.event as unknown as { type: string; data: Record<string, unknown> };
        if (event.type === 'ReplicaSetScaled') await h.log.append({ ...request, event: { ...request.event, data: { ...event.data, replicas: 8 } } } as typeof request);
        return h.log.append(request);
      };
      const loser = await buildApiServer({ log: racing, projection: h.projection, logger: createLogger('api-race', {}, 'error'), writeTimeoutMs: 1000 });
      const response = await loser.inject({ method: 'PUT', url: `${RS}/web/scale`, payload: { spec: { replicas: 4 } } });
      await loser.close();
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ reason: 'Conflict', details: { name: 'web', kind: 'replicasets.apps' } });
      expect((await app.inject({ method: 'GET', url: `${RS}/web` })).json().spec.replicas).toBe(8);
      expect(await types()).toEqual(['ReplicaSetCreated', 'ReplicaSetScaled']);
    });
  });

  it('deletes with background propagation and answers a Success Status; other policies are refused', async () => {
    const created = (await create(replicaSetManifest('web', 2))).json();
    const orphan = await app.inject({ method: 'DELETE', url: `${RS}/web?propagationPolicy=Orphan` });
    expect(orphan.statusCode).toBe(400);
    expect(orphan.json().message).toContain('propagationPolicy "Orphan" is not supported');

    const deleted = await app.inject({ method: 'DELETE', url: `${RS}/web` });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toEqual({ apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', details: { name: 'web', group: 'apps', kind: 'replicasets', uid: created.metadata.uid } });
    expect((await h.records()).at(-1)?.event).toMatchObject({ type: 'ReplicaSetDeleted', data: { namespace: 'default', name: 'web', uid: created.metadata.uid } });
    expect((await app.inject({ method: 'GET', url: `${RS}/web` })).statusCode).toBe(404);

    // The name is free again; a new ReplicaSet of that name is another object.
    const again = await create(replicaSetManifest('web', 1));
    expect(again.statusCode).toBe(201);
    expect(again.json().metadata.uid).not.toBe(created.metadata.uid);
  });

  it('watches ReplicaSets: the current ones, then changes', async () => {
    await create(replicaSetManifest('w1', 1));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const controller = new AbortController();
    const response = await fetch(`${base}${RS}?watch=true`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const seen: string[] = [];
    let buffer = '';
    const next = async (count: number) => {
      while (seen.length < count) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!data) continue;
          const event = JSON.parse(data) as { type: string; object: { kind: string; metadata: { name: string }; spec: { replicas: number } } };
          seen.push(`${event.type} ${event.object.kind}/${event.object.metadata.name} ${event.object.spec.replicas}`);
        }
      }
    };
    await next(1);
    await app.inject({ method: 'PUT', url: `${RS}/w1/scale`, payload: { spec: { replicas: 2 } } });
    await app.inject({ method: 'DELETE', url: `${RS}/w1` });
    await next(3);
    controller.abort();
    expect(seen).toEqual(['ADDED ReplicaSet/w1 1', 'MODIFIED ReplicaSet/w1 2', 'DELETED ReplicaSet/w1 2']);
  });
});
