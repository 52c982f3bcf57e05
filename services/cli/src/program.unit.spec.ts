// The CLI end to end over an in-memory API (injected fetch): what each command prints and returns.
import type { Pod } from '@flotilla/model';
import { describe, expect, it } from 'vitest';
import { cli } from './cli-harness.ts';
import { fakeApi } from './fake-api.ts';
import { NOW, crashingPod, node1, runningPod, webEvents } from './render/test-fixtures.ts';

const webYaml = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: nginx
    image: nginx:1.25
    imagePullPolicy: IfNotPresent
`;

const dbYaml = `apiVersion: v1
kind: Pod
metadata:
  name: db
spec:
  containers:
  - name: postgres
    image: postgres:16
    imagePullPolicy: IfNotPresent
    resources: {requests: {cpu: 500m}}
`;

describe('flotilla apply', () => {
  it('creates every document of a multi-document file and prints warnings once on stderr', async () => {
    const api = fakeApi(NOW);
    const run = await cli(['apply', '-f', '-'], { api, stdin: `${webYaml}---\n${dbYaml}` });
    expect(run).toEqual({
      code: 0,
      out: 'pod/web created\npod/db created\n',
      err: 'Warning: spec.containers[0].imagePullPolicy: accepted but not acted on by Flotilla\n',
    });
    expect(api.requests).toEqual(['POST /api/v1/namespaces/default/pods', 'POST /api/v1/namespaces/default/pods']);
  });

  it('is unchanged when every given field matches, and refuses a changed spec but goes on', async () => {
    const api = fakeApi(NOW);
    await cli(['apply', '-f', '-'], { api, stdin: `${webYaml}---\n${dbYaml}` });
    const again = await cli(['apply', '-f', '-'], { api, stdin: webYaml });
    expect(again).toMatchObject({ code: 0, out: 'pod/web unchanged\n' });

    const changed = await cli(['apply', '-f', '-'], { api, stdin: `${webYaml.replace('nginx:1.25', 'nginx:1.26')}---\n${dbYaml}` });
    expect(changed.code).toBe(1);
    expect(changed.out).toBe('pod/db unchanged\n');
    expect(changed.err).toContain(
      `pod/web: a pod's spec cannot change once created; delete it first (flotilla delete pod web)\n  spec.containers[0].image: "nginx:1.26" (stored: "nginx:1.25")\n`,
    );
  });

  it('prints each cause of an invalid pod and keeps going with the other documents', async () => {
    const api = fakeApi(NOW);
    const bad = dbYaml.replace('name: db', 'name: bad').replace('500m', '1.5.5');
    const run = await cli(['apply', '-f', '-'], { api, stdin: `${bad}---\n${webYaml}` });
    expect(run.code).toBe(1);
    expect(run.out).toBe('pod/web created\n');
    expect(run.err).toContain('The Pod "bad" is invalid:\n* spec.containers[0].resources.requests.cpu: invalid quantity "1.5.5"\n');
  });

  it('takes the namespace from -n, else from the manifest, and rejects a mismatch', async () => {
    const api = fakeApi(NOW);
    expect((await cli(['apply', '-n', 'team-a', '-f', '-'], { api, stdin: webYaml })).out).toBe('pod/web created\n');
    const inManifest = webYaml.replace('name: web', 'name: web\n  namespace: team-b');
    expect((await cli(['apply', '-f', '-'], { api, stdin: inManifest })).out).toBe('pod/web created\n');
    expect([...api.pods.keys()]).toEqual(['team-a/web', 'team-b/web']);
    const mismatch = await cli(['apply', '-n', 'team-a', '-f', '-'], { api, stdin: inManifest });
    expect(mismatch).toMatchObject({ code: 1, out: '' });
    expect(mismatch.err).toContain(`the namespace from the provided object "team-b" does not match the namespace "team-a"`);
  });

  it('creates nodes, flattens Lists and rejects kinds it does not know', async () => {
    const api = fakeApi(NOW);
    const list = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { capacity: { cpu: '4', memory: '8Gi' } } },
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } },
      ],
    });
    const run = await cli(['apply', '-f', '-'], { api, stdin: list });
    expect(run.code).toBe(1);
    expect(run.out).toBe('node/n1 created\n');
    expect(run.err).toContain('no matches for kind "Deployment"');
    expect((await cli(['apply', '-f', '-'], { api, stdin: list })).out).toBe('node/n1 unchanged\n');
  });

  it('create reports an existing pod as an error', async () => {
    const api = fakeApi(NOW);
    await cli(['create', '-f', '-'], { api, stdin: webYaml });
    const run = await cli(['create', '-f', '-'], { api, stdin: webYaml });
    expect(run.code).toBe(1);
    expect(run.err).toContain('Error from server (AlreadyExists): error when creating "-": pods "web" already exists\n');
  });

  it('says so when a path does not exist', async () => {
    const run = await cli(['apply', '-f', '/nonexistent/pod.yaml'], { api: fakeApi(NOW) });
    expect(run).toEqual({ code: 1, out: '', err: 'error: the path "/nonexistent/pod.yaml" does not exist\n' });
  });
});

describe('flotilla get', () => {
  const seeded = () => fakeApi(NOW, { pods: [runningPod, crashingPod], nodes: [node1], events: webEvents });

  it('prints the pod table', async () => {
    const run = await cli(['get', 'pods'], { api: seeded() });
    expect(run).toEqual({
      code: 0,
      out: 'NAME    READY   STATUS             RESTARTS     AGE\nweb     1/1     Running            0            5m10s\ncrash   0/1     CrashLoopBackOff   4 (2m ago)   3h25m\n',
      err: '',
    });
  });

  it('says "No resources found" on stderr for an empty list and exits 0', async () => {
    expect(await cli(['get', 'po', '-n', 'empty'], { api: seeded() })).toEqual({ code: 0, out: '', err: 'No resources found in empty namespace.\n' });
    expect(await cli(['get', 'nodes'], { api: fakeApi(NOW) })).toEqual({ code: 0, out: '', err: 'No resources found\n' });
  });

  it('reports a missing pod like kubectl and exits 1', async () => {
    const run = await cli(['get', 'pod', 'web', 'nope'], { api: seeded() });
    expect(run.code).toBe(1);
    expect(run.out).toContain('web ');
    expect(run.err).toBe('Error from server (NotFound): pods "nope" not found\n');
  });

  it('supports -A, -l, -o name, -o json and TYPE/NAME', async () => {
    const api = seeded();
    expect((await cli(['get', 'pods', '-A', '-o', 'name'], { api })).out).toBe('pod/web\npod/crash\n');
    expect((await cli(['get', 'pods', '-l', 'app=web', '-o', 'name'], { api })).out).toBe('pod/web\n');
    expect(api.requests).toContain('GET /api/v1/pods');
    expect(api.requests).toContain('GET /api/v1/namespaces/default/pods?labelSelector=app%3Dweb');
    const single = JSON.parse((await cli(['get', 'pod/web', '-o', 'json'], { api })).out) as Pod;
    expect(single.metadata.name).toBe('web');
    const list = JSON.parse((await cli(['get', 'pods', '-o', 'json'], { api })).out) as { kind: string; items: unknown[] };
    expect(list).toMatchObject({ kind: 'List' });
    expect(list.items).toHaveLength(2);
  });

  it('prints nodes and events', async () => {
    const api = seeded();
    expect((await cli(['get', 'no'], { api })).out).toBe('NAME     STATUS   ROLES    AGE    VERSION\nnode-1   Ready    worker   2d3h   flotilla-0.1.0\n');
    expect((await cli(['get', 'ev'], { api })).out.split('\n')[0]).toBe('LAST SEEN   TYPE      REASON      OBJECT      MESSAGE');
  });

  it('rejects unknown types and formats', async () => {
    expect(await cli(['get', 'deployments'], { api: seeded() })).toEqual({ code: 1, out: '', err: 'error: the server doesn\'t have a resource type "deployments"\n' });
    expect((await cli(['get', 'pods', '-o', 'jsonpath'], { api: seeded() })).err).toContain('unable to match a printer');
  });
});

describe('flotilla describe', () => {
  it('describes a pod with its own events', async () => {
    const run = await cli(['describe', 'pod', 'web'], { api: fakeApi(NOW, { pods: [runningPod], events: webEvents }) });
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Name: {9}web\n/);
    expect(run.out).toContain('  Normal  Started    5m    node-agent         Started container nginx\n');
    expect(run.out).not.toContain('BackOff');
  });

  it('describes a node with its pods', async () => {
    const run = await cli(['describe', 'node', 'node-1'], { api: fakeApi(NOW, { pods: [runningPod, crashingPod], nodes: [node1] }) });
    expect(run.out).toContain('Non-terminated Pods:          (2 in total)\n');
    expect(run.out).toContain('  cpu                100m (2%)  500m (12%)\n');
  });

  it('reports a missing pod', async () => {
    expect(await cli(['describe', 'pod', 'x'], { api: fakeApi(NOW) })).toEqual({ code: 1, out: '', err: 'Error from server (NotFound): pods "x" not found\n' });
  });
});

describe('flotilla delete', () => {
  it('deletes pods by name and reports the missing ones', async () => {
    const api = fakeApi(NOW, { pods: [runningPod, crashingPod] });
    const run = await cli(['delete', 'pod', 'web', 'nope', 'crash'], { api });
    expect(run).toEqual({ code: 1, out: 'pod "web" deleted\npod "crash" deleted\n', err: 'Error from server (NotFound): pods "nope" not found\n' });
  });

  it('force-deletes with grace period 0 and the kubectl warning; --grace-period=0 alone means 1', async () => {
    const api = fakeApi(NOW, { pods: [runningPod, crashingPod] });
    const forced = await cli(['delete', 'pod', 'web', '--force'], { api });
    expect(forced.out).toBe('pod "web" force deleted\n');
    expect(forced.err).toContain('Warning: Immediate deletion does not wait for confirmation');
    await cli(['delete', 'pod', 'crash', '--grace-period', '0'], { api });
    expect(api.requests).toEqual(['DELETE /api/v1/namespaces/default/pods/web?gracePeriodSeconds=0', 'DELETE /api/v1/namespaces/default/pods/crash?gracePeriodSeconds=1']);
  });

  it('deletes what a manifest names, and nodes', async () => {
    const api = fakeApi(NOW, { pods: [runningPod], nodes: [node1] });
    expect((await cli(['delete', '-f', '-'], { api, stdin: webYaml })).out).toBe('pod "web" deleted\n');
    expect((await cli(['delete', 'node', 'node-1'], { api })).out).toBe('node "node-1" deleted\n');
    expect(await cli(['delete', 'pod', 'web', '--ignore-not-found'], { api })).toEqual({ code: 0, out: '', err: '' });
  });
});

describe('an unreachable API', () => {
  it('prints how to start the cluster and exits 1', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7070'), { code: 'ECONNREFUSED' });
    const failing = (async () => {
      throw new TypeError('fetch failed', { cause: refused });
    }) as typeof fetch;
    const run = await cli(['get', 'pods'], { fetch: failing });
    expect(run).toEqual({
      code: 1,
      out: '',
      err: 'cannot reach the Flotilla API at http://127.0.0.1:7070: connect ECONNREFUSED 127.0.0.1:7070. Is the cluster running? Start it with `npm start`, or point --server / FLOTILLA_SERVER at it.\n',
    });
    const apply = await cli(['apply', '-f', '-'], { fetch: failing, stdin: `${webYaml}---\n${dbYaml}` });
    // Stops at the first document: every other one would fail the same way.
    expect(apply.code).toBe(1);
    expect(apply.err.match(/cannot reach/g)).toHaveLength(1);
  });

  it('uses --server over FLOTILLA_SERVER', async () => {
    const failing = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND api') });
    }) as typeof fetch;
    const run = await cli(['--server', 'http://api:9000', 'get', 'nodes'], { fetch: failing });
    expect(run.err).toMatch(/^cannot reach the Flotilla API at http:\/\/api:9000: getaddrinfo ENOTFOUND api\./);
  });
});
