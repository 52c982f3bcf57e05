import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { nodeManifest, startHarness, type Harness } from '../test-harness.ts';

const MERGE = { 'content-type': 'application/merge-patch+json' };

describe('PATCH /api/v1/nodes/{name} (cordon / uncordon)', () => {
  let h: Harness;
  let app: FastifyInstance;

  beforeEach(async () => {
    h = await startHarness();
    app = h.app;
    await app.inject({ method: 'POST', url: '/api/v1/nodes', payload: nodeManifest('node-1') });
  });

  afterEach(async () => {
    await h.close();
  });

  const patch = (body: unknown, headers: Record<string, string> = MERGE, name = 'node-1') =>
    app.inject({ method: 'PATCH', url: `/api/v1/nodes/${name}`, payload: JSON.stringify(body), headers });
  const updates = async () => (await h.records()).filter((r) => r.event.type === 'NodeUpdated').map((r) => r.event.data as { unschedulable?: boolean });

  it('sets and clears spec.unschedulable with NodeUpdated; a no-op writes nothing; cordon twice over time is two facts', async () => {
    const cordoned = await patch({ spec: { unschedulable: true } });
    expect(cordoned.statusCode).toBe(200);
    expect(cordoned.json().spec.unschedulable).toBe(true);
    expect((await patch({ spec: { unschedulable: true } })).statusCode).toBe(200);
    expect(await updates()).toEqual([{ name: 'node-1', unschedulable: true }]);

    // kubectl uncordon sends null (delete the field).
    const uncordoned = await patch({ spec: { unschedulable: null } }, { 'content-type': 'application/strategic-merge-patch+json' });
    expect(uncordoned.json().spec.unschedulable).toBe(false);
    expect((await patch({ spec: { unschedulable: true } })).json().spec.unschedulable).toBe(true);
    expect((await updates()).map((u) => u.unschedulable)).toEqual([true, false, true]);
    const listed = (await app.inject({ method: 'GET', url: '/api/v1/nodes?fieldSelector=spec.unschedulable%3Dtrue' })).json();
    expect(listed.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual(['node-1']);
  });

  it('refuses other fields, non-booleans, other patch types and unknown nodes', async () => {
    const labels = await patch({ metadata: { labels: { zone: 'a' } }, spec: { unschedulable: true } });
    expect(labels.statusCode).toBe(400);
    expect(labels.json()).toMatchObject({ reason: 'Invalid', details: { kind: 'nodes', name: 'node-1', causes: [{ field: 'metadata.labels.zone', reason: 'FieldValueForbidden' }] } });
    expect(labels.json().message).toContain('only spec.unschedulable can be changed');

    const text = await patch({ spec: { unschedulable: 'yes' } });
    expect(text.statusCode).toBe(400);
    expect(text.json().details.causes[0]).toMatchObject({ field: 'spec.unschedulable', message: 'Invalid value: "yes": must be a boolean' });

    const json = await patch({ spec: { unschedulable: true } }, { 'content-type': 'application/json' });
    expect(json.statusCode).toBe(415);
    expect(json.json().reason).toBe('UnsupportedMediaType');

    const missing = await patch({ spec: { unschedulable: true } }, MERGE, 'node-9');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toBe('nodes "node-9" not found');

    const stale = await patch({ metadata: { resourceVersion: '99' }, spec: { unschedulable: true } });
    expect(stale.statusCode).toBe(409);
    expect(await updates()).toEqual([]);
  });
});
