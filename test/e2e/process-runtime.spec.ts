import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@flotilla/testkit';
import { example, httpGetText, netnsNames, pidsMatching, requireRootAndIp } from './support/process-pods.ts';
import { podManifest, startTestCluster, type PodJson, type TestCluster } from './support/test-cluster.ts';

// Real pods: the node agent runs with `--runtime process`, so every container is an OS process in
// its pod's network namespace, with the pod's emptyDir volumes bind-mounted. Needs root and `ip`.

const CRASHLOOP_BASE_MS = 400;

const isReady = (pod: PodJson): boolean => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const isRunning = (pod: PodJson): boolean => pod.status?.phase === 'Running';

describe('real pods on the process runtime', () => {
  let t: TestCluster;
  let stateDir: string;
  /** A host folder the test pods write what they saw into (containers see the host's /tmp). */
  let hostDir: string;

  beforeAll(async () => {
    requireRootAndIp();
    hostDir = mkdtempSync(join(tmpdir(), 'flotilla-e2e-host-'));
    t = await startTestCluster({
      nodes: 2,
      runtime: 'process',
      nodeAgentArgs: ['--pod-network', 'netns', '--crashloop-base-ms', String(CRASHLOOP_BASE_MS), '--crashloop-max-ms', String(CRASHLOOP_BASE_MS * 8)],
    });
    // The launcher keeps the process runtime's state under the cluster's data folder.
    stateDir = join(t.cluster.options.dataDir, 'node-agent');
    await waitFor(async () => (await t.api.nodes()).length === 2, 20_000);
  });

  afterAll(async () => {
    // Stopping the cluster removes every pod sandbox it still has (processes, namespaces, volumes).
    await t?.stop();
    if (hostDir) rmSync(hostDir, { recursive: true, force: true });
  });

  /** Deletes the pod and waits until the API no longer has it. */
  async function deletePod(name: string, query = ''): Promise<void> {
    await t.api.request('DELETE', `/api/v1/namespaces/default/pods/${name}${query}`);
    await waitFor(async () => (await t.api.request('GET', `/api/v1/namespaces/default/pods/${name}`)).status === 404, 30_000, { intervalMs: 100 });
  }

  /** The host-side ifindex of the pod's veth (eth0@ifN inside the namespace). */
  function hostVethIndex(uid: string): number {
    const line = execFileSync('ip', ['netns', 'exec', `flotilla-${uid}`, 'ip', '-o', 'link', 'show', 'eth0'], { encoding: 'utf8' });
    const match = /eth0@if(\d+)/.exec(line);
    if (!match) throw new Error(`no veth peer in ${line}`);
    return Number(match[1]);
  }

  function hostIfindexes(): Set<number> {
    return new Set(
      execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
        .split('\n')
        .map((line) => Number(/^(\d+):/.exec(line)?.[1]))
        .filter((n) => Number.isInteger(n) && n > 0),
    );
  }

  it('reports the pod network mode on the node', async () => {
    const nodes = await t.api.request<{ items: Array<{ metadata: { labels: Record<string, string> } }> }>('GET', '/api/v1/nodes');
    for (const node of nodes.body.items) {
      expect(node.metadata.labels['node.flotilla.io/runtime']).toBe('process');
      expect(node.metadata.labels['node.flotilla.io/pod-network']).toBe('netns');
    }
  });

  it("serves the seed's page from a shared volume that a sidecar rewrites", async () => {
    const [manifest] = example('web-sidecar.yaml');
    expect((await t.api.createPod(manifest!)).status).toBe(201);
    const pod = await t.api.waitForPod('web-sidecar', (p) => isRunning(p) && isReady(p), 30_000);
    const podIP = pod.status!.podIP!;
    const node = (await t.api.nodes()).find((n) => n.metadata.name === pod.spec.nodeName)!;
    expect(podIP.split('.').slice(0, 3)).toEqual(node.spec.podCIDR!.split('.').slice(0, 3));

    const first = await httpGetText(`http://${podIP}:8080/`);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const second = await httpGetText(`http://${podIP}:8080/`);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.body).toContain('hello from web-sidecar');
    expect(second.body).not.toBe(first.body);

    const logs = await t.api.logs('web-sidecar', { container: 'content' });
    expect(logs.status).toBe(200);
    expect(logs.body).toMatch(/content: wrote version \d+/);

    const uid = pod.metadata.uid;
    const veth = hostVethIndex(uid);
    await deletePod('web-sidecar');
    await waitFor(() => !netnsNames().includes(`flotilla-${uid}`) && !hostIfindexes().has(veth), 10_000);
    expect(existsSync(join(stateDir, 'pods', uid))).toBe(false);
  });

  it('lets two containers of one pod talk over localhost', async () => {
    const [manifest] = example('localhost-pair.yaml');
    expect((await t.api.createPod(manifest!)).status).toBe(201);
    await t.api.waitForPod('localhost-pair', (p) => isRunning(p) && isReady(p), 30_000);
    let logs = '';
    await waitFor(async () => {
      logs = (await t.api.logs('localhost-pair', { container: 'client' })).body;
      return /client: pong \d+ from localhost-pair/.test(logs);
    }, 15_000);
    // The server listens on 127.0.0.1 of the pod: the host's loopback does not reach it.
    await expect(httpGetText('http://127.0.0.1:9000/', 500)).rejects.toThrow();
    await deletePod('localhost-pair');
  });

  it('gives two pods on one node the same port, each on its own IP', async () => {
    const server = (name: string) =>
      podManifest(name, {
        nodeName: 'node-1',
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'http',
            image: 'flotilla.local/node',
            command: ['node', '-e', "require('node:http').createServer((q, s) => s.end(process.env.HOSTNAME)).listen(8080); process.on('SIGTERM', () => process.exit(0))"],
            ports: [{ containerPort: 8080 }],
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          },
        ],
      });
    expect((await t.api.createPod(server('same-port-a'))).status).toBe(201);
    expect((await t.api.createPod(server('same-port-b'))).status).toBe(201);
    const a = await t.api.waitForPod('same-port-a', isReady, 30_000);
    const b = await t.api.waitForPod('same-port-b', isReady, 30_000);
    expect(a.status!.podIP).not.toBe(b.status!.podIP);
    expect((await httpGetText(`http://${a.status!.podIP}:8080/`)).body).toBe('same-port-a');
    expect((await httpGetText(`http://${b.status!.podIP}:8080/`)).body).toBe('same-port-b');
    await Promise.all([deletePod('same-port-a'), deletePod('same-port-b')]);
  });

  it('refuses two containers of one pod on one port at validation', async () => {
    const response = await t.api.createPod(
      podManifest('port-clash', {
        containers: [
          { name: 'a', image: 'x', command: ['true'], ports: [{ containerPort: 8080 }] },
          { name: 'b', image: 'x', command: ['true'], ports: [{ containerPort: 8080 }] },
        ],
      }),
    );
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain('spec.containers[1].ports[0].containerPort');
  });

  it('runs init containers in order and lets the app read what they left', async () => {
    const [manifest] = example('init-db.yaml');
    expect((await t.api.createPod(manifest!)).status).toBe(201);
    const pod = await t.api.waitForPod('init-db', isRunning, 30_000);
    await waitFor(async () => (await t.api.logs('init-db', { container: 'app' })).body.includes('app: loaded 3 records'), 10_000);
    const records = await httpGetText(`http://${pod.status!.podIP}:8081/records`);
    expect(JSON.parse(records.body)).toHaveLength(3);

    const order = podManifest('init-order', {
      terminationGracePeriodSeconds: 1,
      volumes: [{ name: 'work', emptyDir: {} }],
      initContainers: ['first', 'second', 'third'].map((step) => ({
        name: step,
        image: 'flotilla.local/shell',
        command: ['/bin/sh', '-c', `echo ${step} >> /work/order`],
        volumeMounts: [{ name: 'work', mountPath: '/work' }],
      })),
      containers: [
        {
          name: 'app',
          image: 'flotilla.local/shell',
          command: ['/bin/sh', '-c', 'cat /work/order; trap "exit 0" TERM; while true; do sleep 0.2; done'],
          volumeMounts: [{ name: 'work', mountPath: '/work', readOnly: true }],
        },
      ],
    });
    expect((await t.api.createPod(order)).status).toBe(201);
    await t.api.waitForPod('init-order', isRunning, 30_000);
    await waitFor(async () => (await t.api.logs('init-order', { container: 'app' })).body === 'first\nsecond\nthird\n', 10_000);
    await Promise.all([deletePod('init-db'), deletePod('init-order')]);
  });

  it('fails the pod when an init container fails under restartPolicy Never', async () => {
    const pod = podManifest('init-fails', {
      restartPolicy: 'Never',
      initContainers: [{ name: 'check', image: 'flotilla.local/shell', command: ['/bin/sh', '-c', 'echo "schema missing" >&2; exit 3'] }],
      containers: [{ name: 'app', image: 'flotilla.local/shell', command: ['sleep', '3600'] }],
    });
    expect((await t.api.createPod(pod)).status).toBe(201);
    const failed = await t.api.waitForPod('init-fails', (p) => p.status?.phase === 'Failed', 30_000);
    const init = failed.status!.initContainerStatuses!.find((s) => s.name === 'check')!;
    expect(init.state?.terminated?.exitCode).toBe(3);
    expect(init.state?.terminated?.reason).toBe('Error');
    expect(failed.status!.containerStatuses!.find((s) => s.name === 'app')!.state?.running).toBeUndefined();
    expect((await t.api.logs('init-fails', { container: 'check' })).body).toBe('schema missing\n');
    await deletePod('init-fails');
  });

  it('says why a container without a command, or with a program the node lacks, cannot run', async () => {
    const pod = podManifest('no-program', {
      terminationGracePeriodSeconds: 1,
      containers: [
        { name: 'image-only', image: 'nginx:1.27' },
        { name: 'missing', image: 'x', command: ['flotilla-no-such-program', '--serve'] },
      ],
    });
    expect((await t.api.createPod(pod)).status).toBe(201);
    const seen = await t.api.waitForPod('no-program', (p) => {
      const [imageOnly, missing] = ['image-only', 'missing'].map((n) => p.status?.containerStatuses?.find((s) => s.name === n));
      return imageOnly?.state?.waiting?.reason === 'CreateContainerConfigError' && (missing?.lastState?.terminated ?? missing?.state?.terminated) !== undefined;
    }, 30_000);
    const statuses = seen.status!.containerStatuses!;
    expect(statuses.find((s) => s.name === 'image-only')!.state!.waiting!.message).toContain('has no command');
    const missing = statuses.find((s) => s.name === 'missing')!;
    const ran = missing.lastState?.terminated ?? missing.state!.terminated!;
    expect(ran).toMatchObject({ exitCode: 128, reason: 'StartError' });
    expect(ran.message).toContain('exec: "flotilla-no-such-program": executable file not found in $PATH');
    await deletePod('no-program');
  });

  it('backs off a crashing container with doubling delays (CrashLoopBackOff)', async () => {
    const starts = join(hostDir, 'crash-starts');
    const pod = podManifest('crasher', {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'crash', image: 'flotilla.local/shell', command: ['/bin/sh', '-c', `date +%s%N >> ${starts}; exit 1`] }],
    });
    expect((await t.api.createPod(pod)).status).toBe(201);
    let sawBackOff = false;
    await waitFor(async () => {
      const current = await t.api.pod('crasher');
      const status = current.status?.containerStatuses?.[0];
      if (status?.state?.waiting?.reason === 'CrashLoopBackOff') sawBackOff = true;
      return (status?.restartCount ?? 0) >= 3 && existsSync(starts) && readFileSync(starts, 'utf8').trim().split('\n').length >= 4;
    }, 30_000, { intervalMs: 50 });
    expect(sawBackOff).toBe(true);
    const times = readFileSync(starts, 'utf8').trim().split('\n').map((line) => Number(BigInt(line) / 1_000_000n));
    const gaps = times.slice(1, 4).map((time, i) => time - times[i]!);
    // Each wait is at least the back-off (base, 2x, 4x); the rest is process start-up.
    expect(gaps[0]).toBeGreaterThanOrEqual(CRASHLOOP_BASE_MS);
    expect(gaps[1]).toBeGreaterThanOrEqual(CRASHLOOP_BASE_MS * 2);
    expect(gaps[2]).toBeGreaterThanOrEqual(CRASHLOOP_BASE_MS * 4);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
    const last = (await t.api.pod('crasher')).status!.containerStatuses![0]!;
    expect(last.lastState?.terminated?.exitCode).toBe(1);
    await deletePod('crasher');
  });

  it('restarts a hung container when its liveness probe fails', async () => {
    const pod = podManifest('hangs', {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'server',
          image: 'flotilla.local/node',
          // Answers for 1.5 s after each start, then hangs: requests are accepted and never answered.
          command: ['node', '-e', "const t0 = Date.now(); require('node:http').createServer((q, s) => { if (Date.now() - t0 < 1500) s.end('ok'); }).listen(8080)"],
          ports: [{ name: 'http', containerPort: 8080 }],
          livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 },
        },
      ],
    });
    expect((await t.api.createPod(pod)).status).toBe(201);
    await t.api.waitForPod('hangs', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 30_000);
    const events = await t.api.events('hangs');
    expect(events.some((e) => e.reason === 'Unhealthy' && e.message.startsWith('Liveness probe failed'))).toBe(true);
    expect(events.some((e) => e.reason === 'Killing' && e.message.includes('failed liveness probe, will be restarted'))).toBe(true);
    await deletePod('hangs');
  });

  it('flips Ready with the readiness probe', async () => {
    const pod = podManifest('flips', {
      terminationGracePeriodSeconds: 1,
      volumes: [{ name: 'state', emptyDir: {} }],
      containers: [
        {
          name: 'app',
          image: 'flotilla.local/shell',
          command: ['/bin/sh', '-c', 'trap "exit 0" TERM; sleep 1; touch /state/ready; sleep 4; rm /state/ready; while true; do sleep 0.2; done'],
          readinessProbe: { exec: { command: ['cat', '/state/ready'] }, periodSeconds: 1, failureThreshold: 1 },
          volumeMounts: [{ name: 'state', mountPath: '/state' }],
        },
      ],
    });
    expect((await t.api.createPod(pod)).status).toBe(201);
    const running = await t.api.waitForPod('flips', isRunning, 30_000);
    expect(running.status!.containerStatuses![0]!.ready).toBe(false);
    await t.api.waitForPod('flips', isReady, 15_000);
    const unready = await t.api.waitForPod('flips', (p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False') === true, 15_000);
    expect(unready.status!.phase).toBe('Running');
    expect(unready.status!.conditions!.find((c) => c.type === 'ContainersReady')!.reason).toBe('ContainersNotReady');
    await deletePod('flips');
  });

  it('stops apps before sidecars, runs preStop first, and kills what ignores SIGTERM after the grace period', async () => {
    const orderFile = join(hostDir, 'termination-order');
    const marker = `flotilla-e2e-stubborn-${process.pid}`;
    const pod = podManifest('terminates', {
      terminationGracePeriodSeconds: 3,
      initContainers: [
        {
          name: 'sidecar',
          image: 'flotilla.local/shell',
          restartPolicy: 'Always',
          command: ['/bin/sh', '-c', `trap 'echo sidecar-TERM >> ${orderFile}; exit 0' TERM; while true; do sleep 0.1; done`],
        },
      ],
      containers: [
        {
          name: 'app',
          image: 'flotilla.local/shell',
          command: ['/bin/sh', '-c', `trap 'echo app-TERM >> ${orderFile}; exit 0' TERM; while true; do sleep 0.1; done`],
          lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', `echo app-preStop >> ${orderFile}`] } } },
        },
        {
          name: 'stubborn',
          image: 'flotilla.local/shell',
          command: ['/bin/sh', '-c', `trap '' TERM; while true; do sleep 0.1; done # ${marker}`],
        },
      ],
    });
    expect((await t.api.createPod(pod)).status).toBe(201);
    const running = await t.api.waitForPod('terminates', (p) => isRunning(p) && isReady(p), 30_000);
    expect(pidsMatching(marker).length).toBeGreaterThan(0);
    const uid = running.metadata.uid;
    const veth = hostVethIndex(uid);

    const asked = Date.now();
    await deletePod('terminates');
    const gone = Date.now();
    // `stubborn` ignores SIGTERM: the pod could only go once the grace period ran out and it was killed.
    expect(gone - asked).toBeGreaterThanOrEqual(2_500);
    expect(pidsMatching(marker)).toEqual([]);
    expect(readFileSync(orderFile, 'utf8').trim().split('\n')).toEqual(['app-preStop', 'app-TERM', 'sidecar-TERM']);
    expect(netnsNames()).not.toContain(`flotilla-${uid}`);
    expect(hostIfindexes().has(veth)).toBe(false);
    expect(existsSync(join(stateDir, 'pods', uid))).toBe(false);
  });

  it('keeps pods running across a node agent killed and restarted, and cleans up what was deleted meanwhile', async () => {
    const keepMarker = `flotilla-e2e-keeper-${process.pid}`;
    const goneMarker = `flotilla-e2e-forced-${process.pid}`;
    const sleeper = (name: string, marker: string) =>
      podManifest(name, {
        nodeName: 'node-2',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: 'flotilla.local/shell', command: ['/bin/sh', '-c', `trap 'exit 0' TERM; while true; do sleep 0.1; done # ${marker}`] }],
      });
    expect((await t.api.createPod(sleeper('keeper', keepMarker))).status).toBe(201);
    expect((await t.api.createPod(sleeper('forced', goneMarker))).status).toBe(201);
    const keeper = await t.api.waitForPod('keeper', isRunning, 30_000);
    const forced = await t.api.waitForPod('forced', isRunning, 30_000);
    const keeperPids = pidsMatching(keepMarker);
    expect(keeperPids).toHaveLength(1);

    const agent = t.cluster.service('node-agent');
    await agent.kill(); // SIGKILL: nothing cleaned up, containers keep running
    expect(pidsMatching(keepMarker)).toEqual(keeperPids);
    // Force-deleted while no agent watches: the fold forgets it at once, its processes still run.
    await deletePod('forced', '?gracePeriodSeconds=0');
    expect(pidsMatching(goneMarker)).toHaveLength(1);

    agent.start();
    await waitFor(() => pidsMatching(goneMarker).length === 0 && !netnsNames().includes(`flotilla-${forced.metadata.uid}`), 30_000);
    // The keeper was adopted, not started again: same process, still Running, same restart count.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(pidsMatching(keepMarker)).toEqual(keeperPids);
    const after = await t.api.pod('keeper');
    expect(after.status!.phase).toBe('Running');
    expect(after.status!.containerStatuses![0]!.restartCount).toBe(0);
    expect(after.metadata.uid).toBe(keeper.metadata.uid);

    // And the adopted pod still stops cleanly.
    await deletePod('keeper');
    expect(pidsMatching(keepMarker)).toEqual([]);
  });

  it('leaves nothing of its pods on the host once they are gone', async () => {
    const pods = await t.api.pods();
    expect(pods.map((p) => p.metadata.name)).toEqual([]);
    const leftovers = netnsNames().filter((name) => name.startsWith('flotilla-'));
    // Other suites may run their own sandboxes meanwhile; none of ours is left.
    for (const name of leftovers) expect(existsSync(join(stateDir, 'pods', name.slice('flotilla-'.length)))).toBe(false);
    expect(existsSync(join(stateDir, 'pods')) ? execFileSync('ls', [join(stateDir, 'pods')], { encoding: 'utf8' }).trim() : '').toBe('');
    // No bridge of this cluster's nodes keeps a gateway address once their last pod is gone.
    const nodes = await t.api.nodes();
    const addresses = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
    for (const node of nodes) {
      const gateway = node.spec.podCIDR!.replace(/\.0\/24$/, '.1/24');
      expect(addresses).not.toContain(` ${gateway} `);
    }
  });
});
