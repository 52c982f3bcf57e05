import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@flotilla/testkit';
import { FAST_SIM, podManifest, startTestCluster, type TestCluster } from './support/test-cluster.ts';

// The spine, end to end: a real nats-server, and the API, scheduler and node agent as separate processes.
describe('control plane over NATS JetStream', () => {
  let t: TestCluster;

  beforeAll(async () => {
    t = await startTestCluster({ nodes: 3, nodeAgentArgs: [...FAST_SIM, '--cpu', '2', '--memory', '4Gi'] });
    await waitFor(async () => (await t.api.nodes()).length === 3, 20_000);
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('runs a pod with one init container and two app containers on one node, init first, one pod IP', async () => {
    const created = await t.api.createPod(
      podManifest('web', {
        initContainers: [{ name: 'fetch', image: 'busybox', command: ['sh', '-c', 'echo hi > /data/index.html'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        containers: [
          { name: 'server', image: 'nginx', ports: [{ containerPort: 80 }], volumeMounts: [{ name: 'data', mountPath: '/usr/share/nginx/html' }], resources: { requests: { cpu: '100m', memory: '64Mi' } } },
          { name: 'refresher', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      }),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);

    const pod = await t.api.waitForPod('web', (p) => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.ready));
    const init = pod.status!.initContainerStatuses!;
    const apps = pod.status!.containerStatuses!;
    expect(init).toHaveLength(1);
    expect(init[0]!.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(apps.map((c) => c.name).sort()).toEqual(['refresher', 'server']);
    const initFinished = Date.parse(init[0]!.state!.terminated!.finishedAt!);
    for (const app of apps) expect(Date.parse(app.state!.running!.startedAt!)).toBeGreaterThanOrEqual(initFinished);

    // One pod IP, from the pod CIDR of the node it landed on.
    const node = (await t.api.nodes()).find((n) => n.metadata.name === pod.spec.nodeName)!;
    expect(node).toBeDefined();
    expect(pod.status!.podIPs).toEqual([{ ip: pod.status!.podIP }]);
    const cidrPrefix = node.spec.podCIDR!.split('.').slice(0, 3).join('.');
    expect(pod.status!.podIP!.startsWith(`${cidrPrefix}.`)).toBe(true);
    expect(pod.status!.conditions!.find((c) => c.type === 'Initialized')?.status).toBe('True');

    // The log tells the same story in order: scheduled, init started, then the app containers.
    const reasons = (await t.api.events('web')).map((e) => `${e.reason}:${e.message}`);
    const scheduled = reasons.findIndex((r) => r.startsWith('Scheduled:'));
    const initStarted = reasons.findIndex((r) => r === 'Started:Started container fetch');
    const appStarted = reasons.findIndex((r) => r === 'Started:Started container server');
    expect(scheduled).toBeGreaterThanOrEqual(0);
    expect(initStarted).toBeGreaterThan(scheduled);
    expect(appStarted).toBeGreaterThan(initStarted);
  });

  it('rejects a bad manifest with 400 naming every field, and stores nothing', async () => {
    const before = (await t.api.pods()).length;
    const response = await t.api.createPod(
      podManifest('bad', {
        containers: [
          { name: 'a', image: 'x', ports: [{ containerPort: 8080 }], volumeMounts: [{ name: 'missing', mountPath: '/m' }] },
          { name: 'a', image: 'x', imagePullPolic: 'Always', ports: [{ containerPort: 8080 }], resources: { requests: { cpu: '1.5.5' } } },
        ],
      }),
    );
    expect(response.status).toBe(400);
    const body = response.body as unknown as { reason: string; details: { causes: Array<{ field: string; message: string }> } };
    expect(body.reason).toBe('Invalid');
    const causes = body.details.causes.map((c) => `${c.field}: ${c.message}`);
    expect(causes).toContain('spec.containers[1].resources.requests.cpu: invalid quantity "1.5.5"');
    expect(causes).toContain('spec.containers[1].imagePullPolic: unknown field');
    expect(causes).toContain('spec.containers[1].name: duplicate value "a"');
    expect(causes).toContain('spec.containers[0].volumeMounts[0].name: volume "missing" is not declared in spec.volumes');
    expect(causes.some((c) => c.startsWith('spec.containers[1].ports[0].containerPort: port 8080/TCP is already used'))).toBe(true);
    expect((await t.api.pods()).length).toBe(before);
  });

  it('answers 409 for a taken name, 404 for an unknown pod, 413 over the body limit', async () => {
    const manifest = podManifest('twice', { containers: [{ name: 'c', image: 'x' }] });
    expect((await t.api.createPod(manifest)).status).toBe(201);
    const again = await t.api.createPod(manifest);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', message: 'pods "twice" already exists' });
    const missing = await t.api.request('GET', '/api/v1/namespaces/default/pods/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ reason: 'NotFound', message: 'pods "nope" not found' });
    const huge = podManifest('huge', { containers: [{ name: 'c', image: 'x', env: [{ name: 'BIG', value: 'x'.repeat(4 * 1024 * 1024) }] }] });
    expect((await t.api.createPod(huge)).status).toBe(413);
  });
});
