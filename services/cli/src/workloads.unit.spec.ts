// ReplicaSets, scale, cordon/uncordon and drain end to end over the in-memory API.
import type { Pod } from '@flotilla/model';
import { describe, expect, it } from 'vitest';
import { cli } from './cli-harness.ts';
import { fakeApi } from './fake-api.ts';
import { NOW, ago, completedPod, frontendReplicaSet, node1, replicaSetEvents } from './render/test-fixtures.ts';

const rsYaml = `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: frontend
  labels: {app: guestbook}
spec:
  replicas: 3
  selector:
    matchLabels: {tier: frontend}
  template:
    metadata:
      labels: {tier: frontend}
    spec:
      containers:
      - name: php-redis
        image: gb-frontend:v5
`;

/** A pod on node-1, owned by frontend unless `owned` is false. */
function podOn(name: string, options: { owned?: boolean; phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed'; emptyDir?: boolean; ownerKind?: string } = {}): Pod {
  const owned = options.owned ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      creationTimestamp: ago(60),
      labels: { tier: 'frontend', env: 'prod' },
      ...(owned
        ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: options.ownerKind ?? 'ReplicaSet', name: 'frontend', uid: 'uid-frontend', controller: true, blockOwnerDeletion: true }] }
        : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'nginx' }],
      nodeName: 'node-1',
      ...(options.emptyDir ? { volumes: [{ name: 'scratch', emptyDir: {} }] } : {}),
    },
    status: { phase: options.phase ?? 'Running' },
  };
}

describe('ReplicaSets in apply, create, get, describe and delete', () => {
  it('creates a ReplicaSet from a manifest and is unchanged when applied again', async () => {
    const api = fakeApi(NOW);
    expect(await cli(['apply', '-f', '-'], { api, stdin: rsYaml })).toEqual({ code: 0, out: 'replicaset.apps/frontend created\n', err: '' });
    expect(api.requests).toEqual(['POST /apis/apps/v1/namespaces/default/replicasets']);
    expect(await cli(['apply', '-f', '-'], { api, stdin: rsYaml })).toEqual({ code: 0, out: 'replicaset.apps/frontend unchanged\n', err: '' });
  });

  it('applies a new replica count as a patch ("configured") and refuses other spec changes', async () => {
    const api = fakeApi(NOW);
    await cli(['apply', '-f', '-'], { api, stdin: rsYaml });
    const scaled = await cli(['apply', '-f', '-'], { api, stdin: rsYaml.replace('replicas: 3', 'replicas: 6') });
    expect(scaled).toEqual({ code: 0, out: 'replicaset.apps/frontend configured\n', err: '' });
    expect(api.replicaSets.get('default/frontend')?.spec.replicas).toBe(6);
    expect(api.requests.at(-1)).toBe('PATCH /apis/apps/v1/namespaces/default/replicasets/frontend');

    const changed = await cli(['apply', '-f', '-'], { api, stdin: rsYaml.replace('gb-frontend:v5', 'gb-frontend:v6') });
    expect(changed.code).toBe(1);
    expect(changed.out).toBe('');
    expect(changed.err).toContain('replicaset.apps/frontend: only spec.replicas of a ReplicaSet can change once created');
    expect(changed.err).toContain('spec.template.spec.containers[0].image: "gb-frontend:v6" (stored: "gb-frontend:v5")');
  });

  it('create reports an existing ReplicaSet, an invalid one in kubectl words, and a wrong apiVersion', async () => {
    const api = fakeApi(NOW);
    await cli(['create', '-f', '-'], { api, stdin: rsYaml });
    const again = await cli(['create', '-f', '-'], { api, stdin: rsYaml });
    expect(again.code).toBe(1);
    expect(again.err).toBe('Error from server (AlreadyExists): error when creating "-": replicasets.apps "frontend" already exists\n');

    const invalid = await cli(['create', '-f', '-'], { api, stdin: rsYaml.replace('name: frontend', 'name: bad').replace('labels: {tier: frontend}', 'labels: {tier: backend}') });
    expect(invalid.code).toBe(1);
    expect(invalid.err).toMatch(/^The ReplicaSet "bad" is invalid:\n\* spec\.template\.metadata\.labels: /);

    const old = await cli(['create', '-f', '-'], { api, stdin: rsYaml.replace('apps/v1', 'extensions/v1beta1') });
    expect(old.code).toBe(1);
    expect(old.err).toContain('no matches for kind "ReplicaSet" in version "extensions/v1beta1"');
  });

  it('get rs prints the table, names and single objects; unknown names are NotFound', async () => {
    const api = fakeApi(NOW, { replicaSets: [frontendReplicaSet] });
    expect(await cli(['get', 'rs'], { api })).toEqual({
      code: 0,
      out: 'NAME       DESIRED   CURRENT   READY   AGE\nfrontend   3         3         2       13s\n',
      err: '',
    });
    expect((await cli(['get', 'replicasets.apps', '-o', 'name'], { api })).out).toBe('replicaset.apps/frontend\n');
    const json = await cli(['get', 'replicaset/frontend', '-o', 'json'], { api });
    expect(JSON.parse(json.out)).toMatchObject({ kind: 'ReplicaSet', metadata: { name: 'frontend' } });
    expect(await cli(['get', 'rs', 'nope'], { api })).toEqual({ code: 1, out: '', err: 'Error from server (NotFound): replicasets.apps "nope" not found\n' });
    expect((await cli(['get', 'rs', '-n', 'other'], { api })).err).toBe('No resources found in other namespace.\n');
  });

  it('describe rs counts the pods it controls by phase and shows its events', async () => {
    const strangers = { ...podOn('stranger', { owned: false }) };
    const api = fakeApi(NOW, {
      replicaSets: [frontendReplicaSet],
      pods: [podOn('frontend-a'), podOn('frontend-b'), podOn('frontend-c', { phase: 'Pending' }), podOn('frontend-d', { phase: 'Failed' }), strangers],
      events: replicaSetEvents,
    });
    const run = await cli(['describe', 'rs', 'frontend'], { api });
    expect(run.code).toBe(0);
    expect(run.out).toContain('Replicas:     3 current / 3 desired\nPods Status:  2 Running / 1 Waiting / 0 Succeeded / 1 Failed\nPod Template:\n');
    expect(run.out).toContain('  Normal  SuccessfulCreate  13s   replicaset-controller  Created pod: frontend-gbgfx\n');
    expect(api.requests).toContain('GET /api/v1/namespaces/default/pods?labelSelector=env+in+%28canary%2Cprod%29%2Ctier%3Dfrontend');
  });

  it('delete rs deletes the ReplicaSet (its pods follow)', async () => {
    const api = fakeApi(NOW, { replicaSets: [frontendReplicaSet] });
    expect(await cli(['delete', 'rs', 'frontend'], { api })).toEqual({ code: 0, out: 'replicaset.apps "frontend" deleted\n', err: '' });
    expect(api.replicaSets.size).toBe(0);
    expect((await cli(['delete', 'replicaset/frontend'], { api })).err).toBe('Error from server (NotFound): replicasets.apps "frontend" not found\n');
  });
});

describe('flotilla scale', () => {
  const api = () => fakeApi(NOW, { replicaSets: [frontendReplicaSet] });

  it('scales by TYPE NAME or TYPE/NAME and prints kubectl\'s line', async () => {
    const a = api();
    expect(await cli(['scale', 'rs', 'frontend', '--replicas', '5'], { api: a })).toEqual({ code: 0, out: 'replicaset.apps/frontend scaled\n', err: '' });
    expect(a.requests).toEqual(['PUT /apis/apps/v1/namespaces/default/replicasets/frontend/scale']);
    expect(a.replicaSets.get('default/frontend')?.spec.replicas).toBe(5);
    expect((await cli(['scale', '--replicas=0', 'replicaset/frontend'], { api: a })).out).toBe('replicaset.apps/frontend scaled\n');
    expect(a.replicaSets.get('default/frontend')?.spec.replicas).toBe(0);
  });

  it('checks --current-replicas before scaling', async () => {
    const a = api();
    expect(await cli(['scale', 'rs', 'frontend', '--current-replicas', '2', '--replicas', '5'], { api: a })).toEqual({ code: 1, out: '', err: 'error: Expected replicas to be 2, was 3\n' });
    expect(a.replicaSets.get('default/frontend')?.spec.replicas).toBe(3);
    expect((await cli(['scale', 'rs', 'frontend', '--current-replicas', '3', '--replicas', '5'], { api: a })).code).toBe(0);
  });

  it('explains missing counts, kinds that cannot scale and unknown names', async () => {
    expect(await cli(['scale', 'rs', 'frontend'], { api: api() })).toEqual({
      code: 1,
      out: '',
      err: 'error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n',
    });
    expect((await cli(['scale', 'pod', 'web', '--replicas', '2'], { api: api() })).err).toBe('error: cannot scale pods: Flotilla scales replicasets (flotilla scale rs NAME --replicas N)\n');
    expect((await cli(['scale', 'rs', '--replicas', '2'], { api: api() })).err).toBe('error: resource(s) were provided, but no name was specified\n');
    expect(await cli(['scale', 'rs', 'nope', '--replicas', '2'], { api: api() })).toEqual({ code: 1, out: '', err: 'Error from server (NotFound): replicasets.apps "nope" not found\n' });
  });
});

describe('flotilla cordon / uncordon', () => {
  it('sets and clears spec.unschedulable, says when nothing changes, and get nodes shows it', async () => {
    const api = fakeApi(NOW, { nodes: [node1] });
    expect(await cli(['cordon', 'node-1'], { api })).toEqual({ code: 0, out: 'node/node-1 cordoned\n', err: '' });
    expect((await cli(['cordon', 'node-1'], { api })).out).toBe('node/node-1 already cordoned\n');
    expect((await cli(['get', 'nodes'], { api })).out).toContain('node-1   Ready,SchedulingDisabled   worker');
    expect((await cli(['uncordon', 'node-1'], { api })).out).toBe('node/node-1 uncordoned\n');
    expect((await cli(['uncordon', 'node-1'], { api })).out).toBe('node/node-1 already uncordoned\n');
    expect(api.requests.filter((r) => r.startsWith('PATCH'))).toEqual(['PATCH /api/v1/nodes/node-1', 'PATCH /api/v1/nodes/node-1']);
  });

  it('takes a selector, and reports unknown nodes', async () => {
    const api = fakeApi(NOW, { nodes: [node1] });
    expect((await cli(['cordon', '-l', 'zone=a'], { api })).out).toBe('node/node-1 cordoned\n');
    expect(await cli(['cordon', 'nope'], { api })).toEqual({ code: 1, out: '', err: 'Error from server (NotFound): nodes "nope" not found\n' });
  });
});

describe('flotilla drain', () => {
  it('refuses pods without a controller (and with local storage) unless told, leaving the node cordoned', async () => {
    const api = fakeApi(NOW, { nodes: [node1], pods: [podOn('frontend-a'), podOn('x', { owned: false }), podOn('cache', { emptyDir: true })] });
    const run = await cli(['drain', 'node-1'], { api });
    expect(run.code).toBe(1);
    expect(run.out).toBe('node/node-1 cordoned\n');
    const reason = '[cannot delete Pods that declare no controller (use --force to override): default/x, cannot delete Pods with local storage (use --delete-emptydir-data to override): default/cache]';
    expect(run.err).toBe(`error: unable to drain node "node-1" due to error: ${reason}, continuing command...\nThere are pending nodes to be drained:\n node-1\nerror: ${reason}\n`);
    expect(api.evictions).toEqual([]);
    expect(api.nodes.get('node-1')?.spec?.unschedulable).toBe(true);
  });

  it('evicts every pod with --force, waits until they are gone, and says drained', async () => {
    const done = { ...completedPod, spec: { ...completedPod.spec, nodeName: 'node-1' } };
    const api = fakeApi(NOW, { nodes: [node1], pods: [podOn('frontend-a'), podOn('x', { owned: false }), done] });
    const run = await cli(['drain', 'node-1', '--force', '--grace-period', '5'], { api });
    expect(run).toEqual({
      code: 0,
      out: [
        'node/node-1 cordoned',
        'evicting pod default/frontend-a',
        'evicting pod default/x',
        'evicting pod default/batch',
        'pod/frontend-a evicted',
        'pod/x evicted',
        'pod/batch evicted',
        'node/node-1 drained',
        '',
      ].join('\n'),
      err: 'Warning: deleting Pods that declare no controller: default/x\n',
    });
    expect(api.evictions[0]).toEqual({
      key: 'default/frontend-a',
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'frontend-a', namespace: 'default' }, deleteOptions: { gracePeriodSeconds: 5 } },
    });
    expect(api.pods.size).toBe(0);
  });

  it('gives up at --timeout naming the pods still there', async () => {
    const api = fakeApi(NOW, { nodes: [node1], pods: [podOn('slow'), podOn('quick')] });
    api.keepEvicted.add('default/slow');
    const run = await cli(['drain', 'node-1', '--timeout', '150ms'], { api });
    expect(run.code).toBe(1);
    expect(run.out).toBe('node/node-1 cordoned\nevicting pod default/slow\nevicting pod default/quick\npod/quick evicted\n');
    expect(run.err).toContain('error: unable to drain node "node-1" due to error: global timeout reached: 150ms; pods not yet gone: default/slow, continuing command...\n');
  });

  it('skips DaemonSet pods with --ignore-daemonsets and deletes instead of evicting with --disable-eviction', async () => {
    const api = fakeApi(NOW, { nodes: [node1], pods: [podOn('agent', { ownerKind: 'DaemonSet' }), podOn('frontend-a')] });
    const refused = await cli(['drain', 'node-1'], { api });
    expect(refused.err).toContain('cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/agent');
    const run = await cli(['drain', 'node-1', '--ignore-daemonsets', '--disable-eviction'], { api });
    expect(run).toEqual({
      code: 0,
      out: 'node/node-1 already cordoned\npod/frontend-a deleted\nnode/node-1 drained\n',
      err: 'Warning: ignoring DaemonSet-managed Pods: default/agent\n',
    });
    expect(api.evictions).toEqual([]);
    expect([...api.pods.keys()]).toEqual(['default/agent']);
  });

  it('reports an unknown node', async () => {
    expect(await cli(['drain', 'nope'], { api: fakeApi(NOW) })).toEqual({ code: 1, out: '', err: 'Error from server (NotFound): nodes "nope" not found\n' });
  });
});
