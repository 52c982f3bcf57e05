import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { nodeManifest, podManifest, startHarness, type Harness } from '../test-harness.ts';

const PODS = '/api/v1/namespaces/default/pods';
const eviction = (name: string, deleteOptions?: Record<string, unknown>) => ({
  apiVersion: 'policy/v1',
  kind: 'Eviction',
  metadata: { name, namespace: 'default' },
  ...(deleteOptions ? { deleteOptions } : {}),
});

describe('Eviction API (POST .../pods/{name}/eviction)', () => {
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

  /** Creates a pod and binds it to node-1, as the scheduler would. */
  async function boundPod(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const created = (await app.inject({ method: 'POST', url: PODS, payload: podManifest(name, extra) })).json();
    const uid = created.metadata.uid as string;
    await h.append({ type: 'PodBound', data: { namespace: 'default', name, uid, nodeName: 'node-1', schedulerName: 'default-scheduler', attempt: 1 } });
    return uid;
  }

  const evict = (name: string, body: unknown = eviction(name)) => app.inject({ method: 'POST', url: `${PODS}/${name}/eviction`, payload: body as Record<string, unknown> });
  const deletionRequests = async () => (await h.records()).filter((r) => r.event.type === 'PodDeletionRequested').map((r) => r.event.data as { gracePeriodSeconds: number });

  it('evicts a running pod gracefully with the EvictionByEvictionAPI reason and answers 201 Success', async () => {
    const uid = await boundPod('web');
    const response = await evict('web');
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 });
    expect(await deletionRequests()).toEqual([
      { namespace: 'default', name: 'web', uid, gracePeriodSeconds: 30, reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' },
    ]);
    const pod = (await app.inject({ method: 'GET', url: `${PODS}/web` })).json();
    expect(pod.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(pod.metadata.deletionTimestamp).toBeDefined();
  });

  it('takes the grace period from deleteOptions; a retried eviction is stored once, a shorter one again', async () => {
    await boundPod('web');
    expect((await evict('web', eviction('web', { gracePeriodSeconds: 5 }))).statusCode).toBe(201);
    expect((await evict('web', eviction('web', { gracePeriodSeconds: 5 }))).statusCode).toBe(201);
    expect((await evict('web', eviction('web', { gracePeriodSeconds: 2 }))).statusCode).toBe(201);
    expect((await deletionRequests()).map((d) => d.gracePeriodSeconds)).toEqual([5, 2]);
    expect((await app.inject({ method: 'GET', url: `${PODS}/web` })).json().metadata.deletionGracePeriodSeconds).toBe(2);
  });

  it('removes at once a pod that never got a node, or with a grace period of 0', async () => {
    await app.inject({ method: 'POST', url: PODS, payload: podManifest('pending') });
    expect((await evict('pending')).statusCode).toBe(201);
    expect((await app.inject({ method: 'GET', url: `${PODS}/pending` })).statusCode).toBe(404);

    await boundPod('now');
    expect((await evict('now', eviction('now', { gracePeriodSeconds: 0 }))).statusCode).toBe(201);
    expect((await app.inject({ method: 'GET', url: `${PODS}/now` })).statusCode).toBe(404);
    const types = (await h.records()).slice(-2).map((r) => r.event.type);
    expect(types).toEqual(['PodDeletionRequested', 'PodDeleted']);
  });

  it('answers unknown pods, mismatched names, bad bodies and failed preconditions with Status objects', async () => {
    const missing = await evict('nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ reason: 'NotFound', message: 'pods "nope" not found' });

    await boundPod('web');
    const otherName = await evict('web', eviction('db'));
    expect(otherName.statusCode).toBe(400);
    expect(otherName.json().message).toContain('name in URL does not match name in Eviction object');

    const badGrace = await evict('web', eviction('web', { gracePeriodSeconds: -3 }));
    expect(badGrace.statusCode).toBe(400);
    expect(badGrace.json()).toMatchObject({ reason: 'Invalid', details: { causes: [{ field: 'deleteOptions.gracePeriodSeconds' }] } });

    const wrongKind = await evict('web', { ...eviction('web'), kind: 'Pod' });
    expect(wrongKind.statusCode).toBe(400);
    expect(wrongKind.json().details.causes[0].field).toBe('kind');

    const notObject = await app.inject({ method: 'POST', url: `${PODS}/web/eviction`, payload: '[1]', headers: { 'content-type': 'application/json' } });
    expect(notObject.statusCode).toBe(400);

    const otherUid = await evict('web', eviction('web', { preconditions: { uid: 'someone-else' } }));
    expect(otherUid.statusCode).toBe(409);
    expect(otherUid.json().message).toContain('Precondition failed: UID in precondition: someone-else');

    const dryRun = await evict('web', eviction('web', { dryRun: ['All'] }));
    expect(dryRun.statusCode).toBe(400);
    expect(await deletionRequests()).toEqual([]);
  });
});
