// Time travel through the API: `?at=` answers equal a fresh fold of the log up to that point; history
// and diff read the same log.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryEventLog } from '@flotilla/eventlog';
import { envelope, msgIdFor, subjectFor, toFlotillaRecord, type DomainEvent } from '@flotilla/events';
import { applyEvent, createClusterState, type ClusterState } from '@flotilla/state';
import { containerReadinessChanged, containerStarted, nodeRegistered, nodeRemoved, nodeUpdated, podBound, podCreated, podDeleted, podSandboxReady, podSandboxRemoved } from '@flotilla/state/testing';
import { nodeManifest, podManifest, replicaSetManifest, startHarness, type Harness } from './test-harness.ts';
import { TimeTravel, cloneState, parseAt } from './time-travel.ts';

/** The fold a reader of the log would do by hand: every record up to `seq`, into a fresh state. */
async function foldTo(h: Harness, seq: number): Promise<ClusterState> {
  const state = createClusterState();
  for (const raw of await h.records()) {
    if (raw.seq > seq) break;
    const record = toFlotillaRecord(raw);
    if (record) applyEvent(state, record);
  }
  return state;
}

const sortedPods = (state: ClusterState) =>
  [...state.pods.values()].map((r) => r.pod).sort((a, b) => a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name));

describe('time travel over the API', () => {
  let h: Harness;
  let webUid = '';
  let secondWebUid = '';

  /** A node, a ReplicaSet, pod web bound and running, pod db, web deleted, then a new pod named web. */
  beforeEach(async () => {
    h = await startHarness();
    const post = async (url: string, payload: unknown) => {
      const res = await h.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });
      expect(res.statusCode).toBe(201);
      return res.json() as { metadata: { uid: string } };
    };
    await post('/api/v1/nodes', nodeManifest('node-1'));
    await post('/apis/apps/v1/namespaces/default/replicasets', replicaSetManifest('hello', 2));
    webUid = (await post('/api/v1/namespaces/default/pods', podManifest('web'))).metadata.uid;
    const web = { namespace: 'default', name: 'web', uid: webUid, nodeName: 'node-1' };
    await h.append(podBound({ ...web, attempt: 1 }));
    await h.append(podSandboxReady({ ...web, podIP: '10.244.0.2' }));
    await h.append(containerStarted({ ...web, container: 'c' }));
    await h.append(containerReadinessChanged({ ...web, container: 'c', ready: true }));
    await post('/api/v1/namespaces/default/pods', podManifest('db'));
    expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/namespaces/default/pods/web' })).statusCode).toBe(200);
    await h.append(podSandboxRemoved(web));
    await h.append(podDeleted(web));
    secondWebUid = (await post('/api/v1/namespaces/default/pods', podManifest('web'))).metadata.uid;
  });

  afterEach(async () => {
    await h.close();
  });

  const get = async (url: string) => {
    const res = await h.app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> & { items: Array<{ metadata: { name: string } }> } };
  };

  it('answers ?at=SEQ on every list with the fold of the log up to SEQ, for every sequence', async () => {
    const last = (await h.records()).length;
    expect(last).toBe(12);
    for (let seq = 0; seq <= last; seq++) {
      const expected = await foldTo(h, seq);
      const pods = await get(`/api/v1/pods?at=${seq}`);
      expect(pods.status).toBe(200);
      expect(pods.body.metadata).toEqual({ resourceVersion: String(seq) });
      expect(pods.body.items).toEqual(JSON.parse(JSON.stringify(sortedPods(expected))));
      const nodes = await get(`/api/v1/nodes?at=${seq}`);
      expect(nodes.body.items).toEqual(JSON.parse(JSON.stringify([...expected.nodes.values()].map((r) => r.node))));
      const replicaSets = await get(`/apis/apps/v1/replicasets?at=${seq}`);
      expect(replicaSets.body.items).toEqual(JSON.parse(JSON.stringify([...expected.replicaSets.values()].map((r) => r.replicaSet))));
    }
  });

  it('serves the past through the same filters and single-object reads', async () => {
    // At 7 web runs on node-1 (bound at 4, ready at 7) and db is not created yet.
    const running = await get('/api/v1/namespaces/default/pods?at=7&fieldSelector=spec.nodeName%3Dnode-1');
    expect(running.body.items.map((p) => p.metadata.name)).toEqual(['web']);
    const web = await get('/api/v1/namespaces/default/pods/web?at=7');
    expect(web.body).toMatchObject({ metadata: { uid: webUid }, status: { phase: 'Running', podIP: '10.244.0.2' } });
    expect((await get('/api/v1/namespaces/default/pods/web')).body).toMatchObject({ metadata: { uid: secondWebUid } });
    // Before its create, the pod is not found, as a live read of a missing pod.
    const before = await get('/api/v1/namespaces/default/pods/db?at=7');
    expect(before.status).toBe(404);
    expect(before.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'pods "db" not found' });
    expect((await get('/api/v1/nodes/node-1?at=1')).body).toMatchObject({ metadata: { name: 'node-1', resourceVersion: '1' } });
    expect((await get('/apis/apps/v1/namespaces/default/replicasets/hello?at=2')).body).toMatchObject({ metadata: { name: 'hello' } });
    expect((await get('/apis/apps/v1/namespaces/default/replicasets/hello?at=1')).status).toBe(404);
  });

  it('refuses a malformed at, an at beyond the log, and at with watch, naming the parameter', async () => {
    const bad = await get('/api/v1/pods?at=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ reason: 'BadRequest', message: expect.stringMatching(/^at: invalid value "yesterday": expected a sequence number/) });
    const beyond = await get('/api/v1/nodes?at=99');
    expect(beyond.status).toBe(400);
    expect(beyond.body).toMatchObject({ reason: 'BadRequest', message: 'at: sequence 99 is beyond the end of the log (last sequence 12)' });
    const watch = await get('/api/v1/pods?at=3&watch=true');
    expect(watch.status).toBe(400);
    expect(watch.body.message).toBe('at: cannot be combined with watch (a watch follows the present)');
  });

  it('lists every event of a pod, marking the two pods that had the name by uid', async () => {
    const res = await get('/api/v1/namespaces/default/pods/web/history');
    expect(res.status).toBe(200);
    const body = res.body as unknown as { object: unknown; uids: string[]; items: Array<{ seq: number; type: string; source: string; uid: string; summary: string; time: string }> };
    expect(body.object).toEqual({ kind: 'Pod', namespace: 'default', name: 'web' });
    expect(body.uids).toEqual([webUid, secondWebUid]);
    expect(body.items.map(({ seq, type, source, uid, summary }) => ({ seq, type, source, uid, summary }))).toEqual([
      { seq: 3, type: 'PodCreated', source: 'api', uid: webUid, summary: 'created' },
      { seq: 4, type: 'PodBound', source: 'test', uid: webUid, summary: 'bound to node-1 (attempt 1)' },
      { seq: 5, type: 'PodSandboxReady', source: 'test', uid: webUid, summary: 'sandbox ready on node-1, IP 10.244.0.2' },
      { seq: 6, type: 'ContainerStarted', source: 'test', uid: webUid, summary: 'container c started' },
      { seq: 7, type: 'ContainerReadinessChanged', source: 'test', uid: webUid, summary: 'container c ready' },
      { seq: 9, type: 'PodDeletionRequested', source: 'api', uid: webUid, summary: 'deletion requested, grace 30s' },
      { seq: 10, type: 'PodSandboxRemoved', source: 'test', uid: webUid, summary: 'sandbox removed from node-1' },
      { seq: 11, type: 'PodDeleted', source: 'test', uid: webUid, summary: 'deleted' },
      { seq: 12, type: 'PodCreated', source: 'api', uid: secondWebUid, summary: 'created' },
    ]);
    expect(Number.isNaN(Date.parse(body.items[0]!.time))).toBe(false);
  });

  it('gives node and replicaset history, and 404 NotFound for a name the log never saw', async () => {
    // The node goes and comes back as another object: its later events belong to the new uid.
    await h.append(nodeRemoved({ name: 'node-1', reason: 'Deleted' }));
    await h.append(nodeRegistered({ name: 'node-1', uid: 'uid-node-1-again' }));
    await h.append(nodeUpdated({ name: 'node-1', unschedulable: true }));
    const node = await get('/api/v1/nodes/node-1/history');
    const nodeBody = node.body as unknown as { uids: string[]; items: Array<{ summary: string; uid?: string }> };
    const firstNodeUid = nodeBody.uids[0]!;
    expect(nodeBody.uids).toEqual([firstNodeUid, 'uid-node-1-again']);
    expect(nodeBody.items.map(({ summary, uid }) => ({ summary, uid }))).toEqual([
      { summary: 'registered (cpu 4, memory 8Gi)', uid: firstNodeUid },
      { summary: 'removed (Deleted)', uid: firstNodeUid },
      { summary: 'registered (cpu 4, memory 8Gi)', uid: 'uid-node-1-again' },
      { summary: 'cordoned', uid: 'uid-node-1-again' },
    ]);
    const rs = await get('/apis/apps/v1/namespaces/default/replicasets/hello/history');
    expect((rs.body as unknown as { items: Array<{ summary: string }> }).items.map((i) => i.summary)).toEqual(['created, replicas 2']);
    const missing = await get('/api/v1/namespaces/default/pods/ghost/history');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "ghost" not found', details: { name: 'ghost', kind: 'pods' } });
    // Another namespace's pod of the same name is another object.
    expect((await get('/api/v1/namespaces/other/pods/web/history')).status).toBe(404);
  });

  it('diffs two states: added, removed (a reused name is both) and changed fields', async () => {
    const res = await get('/api/v1/diff?from=3&to=12');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'ClusterDiff', from: { at: '3', resourceVersion: '3' }, to: { at: '12', resourceVersion: '12' } });
    expect(res.body.changes).toEqual([
      { kind: 'Pod', namespace: 'default', name: 'db', uid: expect.any(String), change: 'Added', fields: [
        { field: 'phase', from: null, to: 'Pending' },
        { field: 'node', from: null, to: '<none>' },
        { field: 'ready', from: null, to: '0/1' },
        { field: 'restarts', from: null, to: '0' },
      ] },
      { kind: 'Pod', namespace: 'default', name: 'web', uid: webUid, change: 'Removed', fields: [
        { field: 'phase', from: 'Pending', to: null },
        { field: 'node', from: '<none>', to: null },
        { field: 'ready', from: '0/1', to: null },
        { field: 'restarts', from: '0', to: null },
      ] },
      { kind: 'Pod', namespace: 'default', name: 'web', uid: secondWebUid, change: 'Added', fields: expect.any(Array) },
    ]);
    const running = await get('/api/v1/diff?from=3&to=7');
    expect(running.body.changes).toEqual([
      { kind: 'Pod', namespace: 'default', name: 'web', uid: webUid, change: 'Changed', fields: [
        { field: 'phase', from: 'Pending', to: 'Running' },
        { field: 'node', from: '<none>', to: 'node-1' },
        { field: 'ready', from: '0/1', to: '1/1' },
      ] },
    ]);
    // Backwards is the same change, reversed.
    const back = await get('/api/v1/diff?from=7&to=3');
    expect((back.body.changes as Array<{ fields: Array<{ from: string }> }>)[0]!.fields[0]).toEqual({ field: 'phase', from: 'Running', to: 'Pending' });
    expect((await get('/api/v1/diff?from=3&to=3')).body.changes).toEqual([]);
    const missing = await get('/api/v1/diff?from=3');
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/^to: required/);
    expect((await get('/api/v1/diff?from=x&to=3')).body.message).toMatch(/^from: invalid value "x"/);
  });
});

describe('TimeTravel', () => {
  const TIMES = ['2024-05-01T12:00:00.000Z', '2024-05-01T12:00:10.000Z', '2024-05-01T12:00:09.000Z', '2024-05-01T12:01:00.000Z'];
  let log: MemoryEventLog;

  beforeEach(async () => {
    log = new MemoryEventLog();
    const events: DomainEvent[] = [
      podCreated({ name: 'a' }),
      podCreated({ name: 'b' }),
      podCreated({ name: 'c' }),
      podCreated({ name: 'd' }),
    ];
    for (const [i, event] of events.entries()) {
      await log.append({ subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source: 'test', time: TIMES[i]! }) });
    }
  });

  afterEach(async () => {
    await log.close();
  });

  it('resolves a time to the highest sequence written at or before it, 0 before the log, the last after it', async () => {
    const tt = new TimeTravel(log);
    expect(await tt.resolve('2024-05-01T11:59:59Z')).toEqual({ seq: 0, by: 'time' });
    expect(await tt.resolve('2024-05-01T12:00:00Z')).toEqual({ seq: 1, by: 'time' });
    // Seq 2's clock ran ahead of seq 3's: at 12:00:09 only 1 and 3 had been written.
    expect(await tt.resolve('2024-05-01T12:00:09.500Z')).toEqual({ seq: 3, by: 'time' });
    expect(await tt.resolve('2024-05-01T13:01:00+01:00')).toEqual({ seq: 4, by: 'time' });
    expect(await tt.resolve('2030-01-01T00:00:00Z')).toEqual({ seq: 4, by: 'time' });
    expect(await tt.resolve('2')).toEqual({ seq: 2, by: 'seq' });
  });

  it('parses sequences and RFC 3339 times only', () => {
    expect(parseAt('17')).toEqual({ seq: 17 });
    expect(parseAt('2024-05-01T12:00:00.5+01:00')).toEqual({ timeMs: Date.parse('2024-05-01T11:00:00.5Z') });
    expect(parseAt('2024-05-01t12:00:00z')).toEqual({ timeMs: Date.parse('2024-05-01T12:00:00Z') });
    for (const bad of ['-1', '1.5', '2024-05-01', 'May 1 2024', '']) expect(() => parseAt(bad, 'from')).toThrow(/^from: invalid value/);
  });

  it('folds forward from a cached earlier state without changing it, and answers a repeated point from the cache', async () => {
    const tt = new TimeTravel(log, { cacheSize: 2 });
    const two = await tt.stateAt(2);
    expect([...two.pods.keys()]).toEqual(['default/a', 'default/b']);
    const four = await tt.stateAt(4);
    expect([...four.pods.keys()]).toEqual(['default/a', 'default/b', 'default/c', 'default/d']);
    expect(two.seq).toBe(2);
    expect([...two.pods.keys()]).toEqual(['default/a', 'default/b']);
    expect(await tt.stateAt(2)).toBe(two);
    expect(await tt.stateAt(4)).toBe(four);
    // Evicted (capacity 2), then folded again: equal, not the same object.
    await tt.stateAt(1);
    const again = await tt.stateAt(2);
    expect(again).not.toBe(two);
    expect(JSON.parse(JSON.stringify([...again.pods.values()]))).toEqual(JSON.parse(JSON.stringify([...two.pods.values()])));
    expect((await tt.stateAt(0)).pods.size).toBe(0);
  });

  it('clones a state that folds on exactly as the original would', async () => {
    const tt = new TimeTravel(log, { cacheSize: 0 });
    const base = await tt.stateAt(2);
    const copy = cloneState(base);
    const records = [];
    for await (const raw of log.read(3)) records.push(toFlotillaRecord(raw)!);
    for (const record of records) {
      applyEvent(copy, record);
    }
    const full = await tt.stateAt(4);
    expect(base.pods.size).toBe(2);
    expect(JSON.parse(JSON.stringify([...copy.pods.values()]))).toEqual(JSON.parse(JSON.stringify([...full.pods.values()])));
    expect(copy.podCidrs.allocate('node-x')).toBe(full.podCidrs.allocate('node-x'));
  });
});
