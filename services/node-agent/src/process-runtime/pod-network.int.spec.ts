import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Container, Pod } from '@flotilla/model';
import { waitFor } from '@flotilla/testkit';
import { runHostCommand } from './command.ts';
import { containerLaunch, type ContainerLaunch } from './container-launch.ts';
import { PodNetwork, bridgeName, detectNetworkMode, hostVethName, netnsName, type PodNetworkRequest, type PodNetworkSetup } from './pod-network.ts';

// Real namespaces, veths and a bridge: needs root and `ip`. It uses 10.250.<n>.0/24 and its own
// node name, so it never meets an e2e cluster's 10.244.x bridges.

const run = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
const nodeName = `fltb-net-${run}`;
const node = process.execPath;
let podCIDR = '';
let requests: Record<'a' | 'b', PodNetworkRequest>;
const network = new PodNetwork({ mode: 'netns' });
const children = new Set<ChildProcess>();

async function ipOut(args: string[]): Promise<string> {
  return (await runHostCommand(['ip', ...args])).stdout;
}

async function requireRootAndIp(): Promise<void> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new Error('pod-network.int.spec needs root on Linux (network namespaces, veths, bridges); run the integration tests as root');
  }
  await runHostCommand(['ip', 'netns', 'list']).catch((error: unknown) => {
    throw new Error(`pod-network.int.spec needs a working \`ip netns\` (iproute2): ${String(error)}`);
  });
}

/** A 10.250.<n>.0/24 that nothing on this host uses yet. */
async function freeTestCidr(): Promise<string> {
  const start = (process.pid % 200) + 20;
  for (let i = 0; i < 230; i++) {
    const n = ((start + i) % 230) + 20;
    const cidr = `10.250.${n}.0/24`;
    const routes = await ipOut(['-4', 'route', 'show', 'to', 'match', `10.250.${n}.1`]);
    // Only the default route may match: no bridge or other link holds this range.
    if (!routes.split('\n').some((line) => line.trim() !== '' && !line.startsWith('default'))) return cidr;
  }
  throw new Error('no free 10.250.x.0/24 for the test');
}

function pod(name: string, uid: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { containers: [] },
  };
}

function start(launch: ContainerLaunch): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const [program, ...args] = launch.argv;
  const child = spawn(program as string, args, { env: launch.env, cwd: launch.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

function container(name: string, script: string): Container {
  return { name, command: [node, '-e', script] };
}

function launchIn(setup: PodNetworkSetup, podName: string, uid: string, c: Container): ContainerLaunch {
  return containerLaunch({ pod: pod(podName, uid), container: c, network: setup, volumes: {}, privileged: true });
}

async function get(url: string, timeoutMs = 2_000): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return response.text();
}

async function stopAll(): Promise<void> {
  const running = [...children].filter((child) => child.exitCode === null && child.signalCode === null);
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(running.map((child) => new Promise((resolve) => child.once('close', resolve))));
  children.clear();
}

const serverScript = `require('http').createServer((q, r) => r.end(process.env.POD_NAME + ' ' + require('os').hostname())).listen(8080, '0.0.0.0')`;

describe('PodNetwork in netns mode', () => {
  beforeAll(async () => {
    await requireRootAndIp();
    podCIDR = await freeTestCidr();
    const base = podCIDR.replace(/\.0\/24$/, '');
    requests = {
      a: { uid: `fltb-${run}-a`, nodeName, podCIDR, podIP: `${base}.2` },
      b: { uid: `fltb-${run}-b`, nodeName, podCIDR, podIP: `${base}.3` },
    };
  });

  afterEach(stopAll);

  afterAll(async () => {
    await stopAll();
    if (!requests) return;
    for (const request of Object.values(requests)) await network.tearDown(request).catch(() => undefined);
    await runHostCommand(['ip', 'link', 'del', bridgeName(nodeName)]).catch(() => undefined);
  });

  it('detects netns mode as root', async () => {
    await expect(detectNetworkMode()).resolves.toMatchObject({ mode: 'netns' });
  });

  it('gives two pods of one node their own port space and IP, reachable from the host and from each other', async () => {
    const setupA = await network.setUp(requests.a);
    const setupB = await network.setUp(requests.b);
    expect(setupA).toEqual({ mode: 'netns', podIP: requests.a.podIP, netns: netnsName(requests.a.uid), execPrefix: ['ip', 'netns', 'exec', netnsName(requests.a.uid)] });
    expect(await network.listNamespaces()).toEqual(expect.arrayContaining([netnsName(requests.a.uid), netnsName(requests.b.uid)]));

    const serverA = start(launchIn(setupA, 'pod-a', requests.a.uid, container('web', serverScript)));
    const serverB = start(launchIn(setupB, 'pod-b', requests.b.uid, container('web', serverScript)));
    let bodyA = '';
    let bodyB = '';
    await waitFor(async () => {
      bodyA = await get(`http://${requests.a.podIP}:8080/`);
      bodyB = await get(`http://${requests.b.podIP}:8080/`);
      return true;
    }, 15_000, { description: `both pods answering on 8080 (a: ${serverA.output()} b: ${serverB.output()})`, intervalMs: 100 });
    expect(bodyA).toBe('pod-a pod-a');
    expect(bodyB).toBe('pod-b pod-b');

    // Pod to pod on the same node, through the bridge.
    const client = start(launchIn(setupA, 'pod-a', requests.a.uid, container('client', `fetch('http://${requests.b.podIP}:8080/').then((r) => r.text()).then((t) => console.log('got', t))`)));
    expect(await client.exited).toBe(0);
    expect(client.output()).toContain('got pod-b pod-b');
  });

  it('lets two containers of one pod talk over localhost, which the host does not share', async () => {
    const setup = await network.setUp(requests.a);
    const port = 20_000 + (process.pid % 20_000);
    start(launchIn(setup, 'pod-a', requests.a.uid, container('server', `require('http').createServer((q, r) => r.end('local')).listen(${port}, '127.0.0.1')`)));
    let said = '';
    await waitFor(async () => {
      const client = start(launchIn(setup, 'pod-a', requests.a.uid, container('client', `fetch('http://localhost:${port}/').then((r) => r.text()).then((t) => console.log('got', t), () => process.exit(1))`)));
      const code = await client.exited;
      said = client.output();
      return code === 0;
    }, 15_000, { description: 'the second container reaching the first over localhost', intervalMs: 100 });
    expect(said).toContain('got local');
    await expect(get(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('sets up again idempotently and repairs a pod whose veth was lost', async () => {
    const setup = await network.setUp(requests.a);
    expect(await network.setUp(requests.a)).toEqual(setup);
    start(launchIn(setup, 'pod-a', requests.a.uid, container('web', serverScript)));
    await waitFor(async () => (await get(`http://${requests.a.podIP}:8080/`)) === 'pod-a pod-a', 15_000, { intervalMs: 100 });

    await runHostCommand(['ip', 'link', 'del', hostVethName(requests.a.uid)]);
    await expect(get(`http://${requests.a.podIP}:8080/`, 500)).rejects.toThrow();
    await network.setUp(requests.a);
    // The same process, still in the namespace, answers again through the new pair.
    await waitFor(async () => (await get(`http://${requests.a.podIP}:8080/`)) === 'pod-a pod-a', 15_000, { intervalMs: 100 });
  });

  it('tears down each pod and the bridge with the last one, leaving nothing behind', async () => {
    await network.setUp(requests.a);
    await network.setUp(requests.b);
    const bridge = bridgeName(nodeName);

    await network.tearDown(requests.a);
    expect(await ipOut(['netns', 'list'])).not.toContain(netnsName(requests.a.uid));
    expect(await ipOut(['link', 'show'])).not.toContain(hostVethName(requests.a.uid));
    expect(await ipOut(['link', 'show'])).toContain(bridge);

    await network.tearDown(requests.b);
    await network.tearDown(requests.b);
    const links = await ipOut(['link', 'show']);
    const namespaces = await ipOut(['netns', 'list']);
    for (const request of Object.values(requests)) {
      expect(namespaces).not.toContain(netnsName(request.uid));
      expect(links).not.toContain(hostVethName(request.uid));
    }
    expect(links).not.toContain(bridge);
    expect(await ipOut(['-4', 'addr', 'show', 'to', podCIDR])).toBe('');
    expect(await network.listNamespaces()).not.toContain(netnsName(requests.a.uid));
  });

  it('tears down a pod whose processes still hold the namespace without leaving its veth', async () => {
    const setup = await network.setUp(requests.a);
    const sleeper = start({ argv: [...setup.execPrefix, 'sleep', '60'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cwd: '/' });
    await waitFor(async () => (await ipOut(['netns', 'pids', netnsName(requests.a.uid)])).trim() !== '', 5_000);
    await network.tearDown(requests.a);
    expect(await ipOut(['link', 'show'])).not.toContain(hostVethName(requests.a.uid));
    expect(await ipOut(['link', 'show'])).not.toContain(bridgeName(nodeName));
    sleeper.child.kill('SIGKILL');
  });
});

describe('PodNetwork in loopback mode', () => {
  afterEach(stopAll);

  it('gives the pod a 127.x address its containers bind through POD_IP, reachable from the host', async () => {
    const loopback = new PodNetwork({ mode: 'loopback' });
    const request = { uid: `fltb-${run}-l`, nodeName, podCIDR: '10.250.7.0/24', podIP: `10.250.7.${2 + (process.pid % 250)}` };
    const setup = await loopback.setUp(request);
    expect(setup.podIP).toBe(request.podIP.replace(/^10\./, '127.'));
    const launch = containerLaunch({
      pod: pod('pod-l', request.uid),
      container: container('web', `require('http').createServer((q, r) => r.end('hi from ' + process.env.POD_IP)).listen(8080, process.env.POD_IP)`),
      network: setup,
      volumes: {},
      privileged: false,
    });
    expect(launch.argv[0]).toBe(node);
    start(launch);
    let body = '';
    await waitFor(async () => {
      body = await get(`http://${setup.podIP}:8080/`);
      return true;
    }, 15_000, { intervalMs: 100 });
    expect(body).toBe(`hi from ${setup.podIP}`);
    await loopback.tearDown(request);
  });
});
