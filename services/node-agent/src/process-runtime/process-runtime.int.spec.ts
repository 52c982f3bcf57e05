import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Container, Pod } from '@flotilla/model';
import { ContainerLogsNotFoundError, ContainerStartError, type RunningContainer } from '@flotilla/runtime';
import { waitFor } from '@flotilla/testkit';
import { runHostCommand } from './command.ts';
import { isProcessAlive } from './container-shim.ts';
import { bridgeName, hostVethName, netnsName } from './pod-network.ts';
import { ProcessRuntime } from './process-runtime.ts';

// ProcessRuntime end to end with real processes, a real network namespace per pod and real bind
// mounts: needs root and `ip` (CI has both) and fails, not skips, without them. Pods live on
// 10.251.<n>.0/24 of a node of their own, so nothing meets an e2e cluster's bridges, and every
// address the test connects to is inside the bridge it created.

const run = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
const nodeName = `fltc-rt-${run}`;
const node = process.execPath;
let podCIDR = '';
let base = '';
let podCounter = 0;

async function ipOut(args: string[]): Promise<string> {
  return (await runHostCommand(['ip', ...args])).stdout;
}

/** A 10.251.<n>.0/24 that nothing on this host uses yet. */
async function freeTestCidr(): Promise<string> {
  const start = (process.pid % 200) + 20;
  for (let i = 0; i < 230; i++) {
    const n = ((start + i) % 230) + 20;
    const routes = await ipOut(['-4', 'route', 'show', 'to', 'match', `10.251.${n}.1`]);
    if (!routes.split('\n').some((line) => line.trim() !== '' && !line.startsWith('default'))) return `10.251.${n}.0/24`;
  }
  throw new Error('no free 10.251.x.0/24 for the test');
}

beforeAll(async () => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new Error('process-runtime.int.spec needs root on Linux (network namespaces, bind mounts); run the integration tests as root');
  }
  await runHostCommand(['ip', 'netns', 'list']).catch((error: unknown) => {
    throw new Error(`process-runtime.int.spec needs a working \`ip netns\` (iproute2): ${String(error)}`);
  });
  podCIDR = await freeTestCidr();
  base = podCIDR.replace(/\.0\/24$/, '');
});

interface Fixture {
  stateDir: string;
  runtimes: ProcessRuntime[];
  pods: Pod[];
  handles: RunningContainer[];
}
let fixture: Fixture | undefined;

async function setUp(): Promise<{ runtime: ProcessRuntime; stateDir: string }> {
  const stateDir = await mkdtemp(join(tmpdir(), 'flotilla-process-runtime-'));
  fixture = { stateDir, runtimes: [], pods: [], handles: [] };
  return { runtime: newRuntime(stateDir), stateDir };
}

function newRuntime(stateDir: string, networkMode: 'netns' | 'loopback' = 'netns'): ProcessRuntime {
  const runtime = new ProcessRuntime({ stateDir, networkMode, privileged: networkMode === 'netns', pollMs: 50, memoryCgroupRoot: false });
  fixture?.runtimes.push(runtime);
  return runtime;
}

afterEach(async () => {
  const current = fixture;
  fixture = undefined;
  if (!current) return;
  const cleaner = current.runtimes[0] ?? newRuntime(current.stateDir);
  for (const pod of current.pods) {
    await cleaner.removeSandbox(pod).catch((error: unknown) => console.error('cleanup failed', error));
  }
  for (const runtime of current.runtimes) runtime.close();
  await runHostCommand(['ip', 'link', 'del', bridgeName(nodeName)]).catch(() => undefined);
  await rm(current.stateDir, { recursive: true, force: true });
});

function makePod(containers: Container[], extra: Partial<Pod['spec']> = {}): Pod {
  podCounter++;
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${podCounter}`, namespace: 'default', uid: `fltc-${run}-${podCounter}`, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { nodeName, containers, ...extra },
  };
  fixture?.pods.push(pod);
  return pod;
}

function podIPOf(n: number): string {
  return `${base}.${10 + n}`;
}

async function sandbox(runtime: ProcessRuntime, pod: Pod): Promise<string> {
  const info = await runtime.createSandbox(pod, { podIP: podIPOf(podCounter), node: { name: nodeName, podCIDR } });
  return info.podIP;
}

function sh(name: string, script: string, extra: Partial<Container> = {}): Container {
  return { name, command: ['/bin/sh', '-c', script], ...extra };
}

async function start(runtime: ProcessRuntime, pod: Pod, container: Container, signal = new AbortController().signal): Promise<RunningContainer> {
  const handle = await runtime.startContainer(pod, container, 'app', signal);
  fixture?.handles.push(handle);
  return handle;
}

async function logs(runtime: ProcessRuntime, pod: Pod, container: Container, options: { previous?: boolean; timestamps?: boolean; tailLines?: number } = {}): Promise<string> {
  let text = '';
  for await (const chunk of runtime.readLogs(pod, container, { previous: options.previous ?? false, follow: false, timestamps: options.timestamps ?? false, ...(options.tailLines !== undefined ? { tailLines: options.tailLines } : {}) })) {
    text += chunk;
  }
  return text;
}

async function pidOf(stateDir: string, pod: Pod, container: string, instance = 0): Promise<number> {
  const state = JSON.parse(await readFile(join(stateDir, 'pods', pod.metadata.uid, 'containers', container, String(instance), 'state.json'), 'utf8')) as { pid: number };
  return state.pid;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** GET from the host to an address inside this test's bridge. */
async function get(url: string): Promise<string> {
  expect(url.startsWith(`http://${base}.`)).toBe(true);
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return response.text();
}

describe('ProcessRuntime (netns, privileged)', () => {
  it('runs containers, keeps their stdout and stderr, and reports exit codes and reasons', async () => {
    const { runtime } = await setUp();
    const ok = sh('ok', 'echo hello; echo oops >&2; exit 0');
    const bad = sh('bad', 'echo failing; exit 3');
    const pod = makePod([ok, bad]);
    await sandbox(runtime, pod);
    const first = await start(runtime, pod, ok);
    const second = await start(runtime, pod, bad);
    const [okExit, badExit] = await Promise.all([first.exited, second.exited]);
    expect(okExit).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(badExit).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(okExit.finishedAt.getTime()).toBeGreaterThanOrEqual(first.startedAt.getTime());
    expect((await logs(runtime, pod, ok)).split('\n').sort()).toEqual(['', 'hello', 'oops']);
    expect(await logs(runtime, pod, bad)).toBe('failing\n');
    expect(await logs(runtime, pod, bad, { timestamps: true })).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z failing\n$/);
  });

  it('gives the pod its IP: the host reaches it, and containers of one pod share localhost', async () => {
    const { runtime } = await setUp();
    const server = {
      name: 'server',
      command: [node, '-e', "require('http').createServer((q, s) => s.end('pod ' + process.env.POD_IP)).listen(8080)"],
      ports: [{ name: 'http', containerPort: 8080 }],
    };
    const client = sh('client', `until ${node} -e "fetch('http://127.0.0.1:8080/').then(r => r.text()).then(t => { console.log('got', t); }, () => process.exit(1))"; do sleep 0.1; done`);
    const pod = makePod([server, client]);
    const podIP = await sandbox(runtime, pod);
    expect(podIP).toBe(podIPOf(podCounter));
    await start(runtime, pod, server);
    const clientHandle = await start(runtime, pod, client);
    expect(await clientHandle.exited).toMatchObject({ exitCode: 0 });
    expect(await logs(runtime, pod, client)).toContain(`got pod ${podIP}`);
    expect(await get(`http://${podIP}:8080/`)).toBe(`pod ${podIP}`);

    expect(await runtime.probe(pod, server, { httpGet: { port: 'http', path: '/' } }, 1_000)).toMatchObject({ success: true });
    expect(await runtime.probe(pod, server, { tcpSocket: { port: 8080 } }, 1_000)).toEqual({ success: true });
    expect(await runtime.probe(pod, server, { tcpSocket: { port: 8081 } }, 1_000)).toEqual({
      success: false,
      message: `dial tcp ${podIP}:8081: connect: connection refused`,
    });
    // exec runs inside the container: its network (localhost:8080 answers) and its env.
    const exec = await runtime.probe(pod, server, { exec: { command: [node, '-e', "fetch('http://localhost:8080/').then(r => r.text()).then(t => console.log(t, process.env.POD_NAME))"] } }, 5_000);
    expect(exec).toEqual({ success: true, message: `pod ${podIP} ${pod.metadata.name}` });
    expect(await runtime.probe(pod, server, { exec: { command: ['/bin/sh', '-c', 'echo nope; exit 1'] } }, 5_000)).toEqual({ success: false, message: 'nope' });
    expect(await runtime.runHook(pod, server, { httpGet: { port: 8080, path: '/missing' } }, 1_000)).toMatchObject({ success: true });
  });

  it('shares emptyDir volumes between containers at their mountPaths', async () => {
    const { runtime } = await setUp();
    const writer = sh('writer', 'echo from-writer > /flotilla-test-data/file', { volumeMounts: [{ name: 'data', mountPath: '/flotilla-test-data' }] });
    const reader = sh('reader', 'cat /data-ro/file; echo x > /data-ro/other || echo read-only', {
      volumeMounts: [{ name: 'data', mountPath: '/data-ro', readOnly: true }],
    });
    const pod = makePod([writer, reader], { volumes: [{ name: 'data', emptyDir: {} }] });
    await sandbox(runtime, pod);
    expect(await (await start(runtime, pod, writer)).exited).toMatchObject({ exitCode: 0 });
    expect(await (await start(runtime, pod, reader)).exited).toMatchObject({ exitCode: 0 });
    const text = await logs(runtime, pod, reader);
    expect(text).toContain('from-writer\n');
    expect(text).toContain('read-only\n');
  });

  it('stops with SIGTERM within the grace period, and SIGKILLs at its end', async () => {
    const { runtime } = await setUp();
    const polite = sh('polite', 'trap "echo bye; exit 0" TERM; echo ready; while true; do sleep 0.05; done');
    const stubborn = sh('stubborn', 'trap "" TERM; echo ready; while true; do sleep 0.05; done');
    const pod = makePod([polite, stubborn]);
    await sandbox(runtime, pod);
    const a = await start(runtime, pod, polite);
    const b = await start(runtime, pod, stubborn);
    await waitFor(async () => (await logs(runtime, pod, polite)).includes('ready') && (await logs(runtime, pod, stubborn)).includes('ready'), 10_000);
    await Promise.all([a.stop(10_000), b.stop(300)]);
    expect(await a.exited).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(await logs(runtime, pod, polite)).toBe('ready\nbye\n');
    expect(await b.exited).toMatchObject({ exitCode: 137, reason: 'Error' });
    // Again, or after the exit: harmless.
    await a.stop(0);
    await b.stop(0);
  });

  it("kills a shell container's children with it", async () => {
    const { runtime, stateDir } = await setUp();
    const leaves = sh('leaves', 'sleep 1000 & echo child $!; sleep 0.2; exit 0');
    const waits = sh('waits', 'sleep 1000 & echo child $!; wait');
    const pod = makePod([leaves, waits]);
    await sandbox(runtime, pod);
    const childPid = async (c: Container): Promise<number> => {
      let pid = 0;
      await waitFor(async () => {
        const match = /child (\d+)/.exec(await logs(runtime, pod, c));
        pid = Number(match?.[1] ?? 0);
        return pid > 0;
      }, 10_000);
      return pid;
    };
    const leaving = await start(runtime, pod, leaves);
    const waiting = await start(runtime, pod, waits);
    const leftover = await childPid(leaves);
    const waited = await childPid(waits);
    expect(await leaving.exited).toMatchObject({ exitCode: 0 });
    await waitFor(() => !isProcessAlive(leftover, undefined), 5_000, { description: 'the exited container’s background process is gone' });
    expect(isProcessAlive(waited, undefined)).toBe(true);
    const shellPid = await pidOf(stateDir, pod, 'waits');
    await waiting.stop(5_000);
    expect(await waiting.exited).toMatchObject({ exitCode: 143, reason: 'Error' });
    expect(isProcessAlive(shellPid, undefined)).toBe(false);
    await waitFor(() => !isProcessAlive(waited, undefined), 5_000, { description: 'the stopped container’s child is gone' });
  });

  it('re-attaches after an agent restart to the same process and learns its exit code', async () => {
    const { runtime, stateDir } = await setUp();
    const worker = sh('worker', 'echo started; while [ ! -f /work-data/stop ]; do sleep 0.05; done; echo stopping; exit 7', {
      volumeMounts: [{ name: 'work', mountPath: '/work-data' }],
    });
    const pod = makePod([worker], { volumes: [{ name: 'work', emptyDir: {} }] });
    await sandbox(runtime, pod);
    const original = await start(runtime, pod, worker);
    const pid = await pidOf(stateDir, pod, 'worker');
    runtime.close();

    // A new agent process: a new runtime on the same state directory.
    const restarted = newRuntime(stateDir);
    await sandbox(restarted, pod); // adoption builds the sandbox again: idempotent
    const adopted = await restarted.attachContainer(pod, worker, 'app', original.startedAt);
    expect(adopted).toBeDefined();
    expect(adopted?.startedAt.getTime()).toBe(original.startedAt.getTime());
    expect(await pidOf(stateDir, pod, 'worker')).toBe(pid);
    expect(isProcessAlive(pid, undefined)).toBe(true);
    expect(await restarted.listSandboxes(new Set([nodeName]))).toEqual([{ uid: pod.metadata.uid, namespace: 'default', name: pod.metadata.name, nodeName }]);

    await writeFile(join(stateDir, 'pods', pod.metadata.uid, 'volumes', 'work', 'stop'), '');
    expect(await adopted?.exited).toMatchObject({ exitCode: 7, reason: 'Error' });
    expect(await logs(restarted, pod, worker)).toBe('started\nstopping\n');
    // Attaching once it has ended answers the recorded exit.
    const late = await newRuntime(stateDir).attachContainer(pod, worker, 'app', original.startedAt);
    expect(await late?.exited).toMatchObject({ exitCode: 7 });
  });

  it('reports a command that cannot run as a terminated container, and a missing command as a config error', async () => {
    const { runtime } = await setUp();
    const missing = { name: 'missing', command: ['flotilla-no-such-program'] };
    const pod = makePod([missing, { name: 'nocommand' }]);
    await sandbox(runtime, pod);
    const handle = await start(runtime, pod, missing);
    const exit = await handle.exited;
    expect(exit).toMatchObject({ exitCode: 128, reason: 'StartError' });
    expect(exit.message).toContain('exec: "flotilla-no-such-program": executable file not found in $PATH');
    await expect(runtime.startContainer(pod, { name: 'nocommand' }, 'app', new AbortController().signal)).rejects.toMatchObject({
      name: 'ContainerStartError',
      reason: 'CreateContainerConfigError',
      message: expect.stringContaining('has no command') as unknown,
    });
    await expect(runtime.startContainer(pod, { name: 'nocommand' }, 'app', new AbortController().signal)).rejects.toBeInstanceOf(ContainerStartError);
  });

  it('serves current and previous logs, follows until the exit, and words missing logs as Kubernetes does', async () => {
    const { runtime } = await setUp();
    const talker = sh('talker', 'echo run $(date +%N); for i in 1 2 3; do echo line $i; sleep 0.1; done');
    const pod = makePod([talker]);
    await sandbox(runtime, pod);
    const read = (previous: boolean): Promise<string> => logs(runtime, pod, talker, { previous });
    await expect(read(false)).rejects.toThrow(new ContainerLogsNotFoundError(`container "talker" in pod "${pod.metadata.name}" is waiting to start: ContainerCreating`));

    const first = await start(runtime, pod, talker);
    let followed = '';
    for await (const chunk of runtime.readLogs(pod, talker, { previous: false, follow: true, timestamps: false })) followed += chunk;
    expect(followed).toMatch(/^run \d+\nline 1\nline 2\nline 3\n$/);
    await first.exited;
    await expect(read(true)).rejects.toThrow(`previous terminated container "talker" in pod "${pod.metadata.name}" not found`);

    const second = await start(runtime, pod, talker);
    await second.exited;
    const current = await read(false);
    const previous = await read(true);
    expect(previous).toBe(followed);
    expect(current).not.toBe(previous);
    expect(await logs(runtime, pod, talker, { tailLines: 2 })).toBe('line 2\nline 3\n');
  });

  it('aborts a start in progress without leaving its process', async () => {
    const { runtime, stateDir } = await setUp();
    const sleeper = sh('sleeper', 'sleep 1000');
    const pod = makePod([sleeper]);
    await sandbox(runtime, pod);
    const controller = new AbortController();
    const starting = runtime.startContainer(pod, sleeper, 'app', controller.signal);
    setTimeout(() => controller.abort(), 50);
    await expect(starting).rejects.toMatchObject({ name: 'AbortError' });
    const dir = join(stateDir, 'pods', pod.metadata.uid, 'containers', 'sleeper', '0');
    const state = await readFile(join(dir, 'state.json'), 'utf8').then((t) => JSON.parse(t) as { pid: number }, () => undefined);
    if (state) await waitFor(() => !isProcessAlive(state.pid, undefined), 5_000);
  });

  it('a shim told to abort (SIGTERM) kills its container and records the exit', async () => {
    const { runtime, stateDir } = await setUp();
    const sleeper = sh('sleeper', 'sleep 1000');
    const pod = makePod([sleeper]);
    await sandbox(runtime, pod);
    const handle = await start(runtime, pod, sleeper);
    const state = JSON.parse(await readFile(join(stateDir, 'pods', pod.metadata.uid, 'containers', 'sleeper', '0', 'state.json'), 'utf8')) as { pid: number; shimPid: number };
    process.kill(state.shimPid, 'SIGTERM');
    expect(await handle.exited).toMatchObject({ exitCode: 137, reason: 'Error', message: 'the container start was aborted' });
    expect(isProcessAlive(state.pid, undefined)).toBe(false);
  });

  it('removes a pod directory left without a record by an interrupted createSandbox', async () => {
    const { runtime, stateDir } = await setUp();
    const uid = `fltc-${run}-partial`;
    const dir = join(stateDir, 'pods', uid);
    await mkdir(join(dir, 'volumes'), { recursive: true });
    expect(await runtime.listSandboxes(new Set([nodeName]))).toEqual([]); // it may still be in progress
    const old = new Date(Date.now() - 120_000);
    await utimes(dir, old, old);
    const refs = await runtime.listSandboxes(new Set([nodeName]));
    expect(refs).toEqual([{ uid, namespace: '', name: '', nodeName: '' }]);
    await runtime.removeOrphanSandbox(refs[0] as (typeof refs)[number]);
    expect(await exists(dir)).toBe(false);
  });

  it('removeSandbox leaves no processes, directories or network behind, and is idempotent', async () => {
    const { runtime, stateDir } = await setUp();
    const busy = sh('busy', 'sleep 1000 & sleep 1000 & echo up; wait', { volumeMounts: [{ name: 'mem', mountPath: '/flotilla-test-mem' }] });
    const pod = makePod([busy], { volumes: [{ name: 'mem', emptyDir: { medium: 'Memory' } }] });
    await sandbox(runtime, pod);
    const handle = await start(runtime, pod, busy);
    await waitFor(async () => (await logs(runtime, pod, busy)).includes('up'), 10_000);
    const pid = await pidOf(stateDir, pod, 'busy');
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/).map(Number);
    expect(children.length).toBe(2);

    await runtime.removeSandbox(pod);
    expect(await handle.exited).toMatchObject({ exitCode: 137 });
    for (const p of [pid, ...children]) expect(isProcessAlive(p, undefined)).toBe(false);
    expect(await exists(join(stateDir, 'pods', pod.metadata.uid))).toBe(false);
    expect(await ipOut(['netns', 'list'])).not.toContain(netnsName(pod.metadata.uid));
    expect(await ipOut(['link', 'show'])).not.toContain(hostVethName(pod.metadata.uid));
    expect(await ipOut(['link', 'show'])).not.toContain(bridgeName(nodeName));
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(pod.metadata.uid);
    await runtime.removeSandbox(pod);
    expect(await runtime.listSandboxes(new Set([nodeName]))).toEqual([]);
  });

  it('finds sandboxes left by a killed agent and removes an orphan with all it runs', async () => {
    const { runtime, stateDir } = await setUp();
    const sleeper = sh('sleeper', 'sleep 1000');
    const pod = makePod([sleeper]);
    await sandbox(runtime, pod);
    await start(runtime, pod, sleeper);
    const pid = await pidOf(stateDir, pod, 'sleeper');
    runtime.close();

    const restarted = newRuntime(stateDir);
    const refs = await restarted.listSandboxes(new Set([nodeName]));
    expect(refs).toEqual([{ uid: pod.metadata.uid, namespace: 'default', name: pod.metadata.name, nodeName }]);
    expect(await restarted.listSandboxes(new Set(['some-other-node']))).toEqual([]);
    await restarted.removeOrphanSandbox(refs[0] as (typeof refs)[number]);
    expect(isProcessAlive(pid, undefined)).toBe(false);
    expect(await readdir(join(stateDir, 'pods'))).toEqual([]);
    expect(await ipOut(['netns', 'list'])).not.toContain(netnsName(pod.metadata.uid));
  });
});

describe('ProcessRuntime (loopback, unprivileged)', () => {
  it('gives each pod a 127.x address, runs its containers there and tells them their volumes', async () => {
    const { stateDir } = await setUp();
    const runtime = newRuntime(stateDir, 'loopback');
    expect(runtime.nodeLabels).toEqual({ 'node.flotilla.io/pod-network': 'loopback' });
    const server = {
      name: 'server',
      command: [node, '-e', "require('http').createServer((q, s) => s.end(require('fs').readFileSync(process.env.FLOTILLA_VOLUME_DATA + '/f', 'utf8'))).listen(8080, process.env.POD_IP)"],
      ports: [{ name: 'http', containerPort: 8080 }],
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
    };
    const init = sh('init', 'echo shared > "$FLOTILLA_VOLUME_DATA/f"', { volumeMounts: [{ name: 'data', mountPath: '/data' }] });
    const pod = makePod([server], { volumes: [{ name: 'data', emptyDir: {} }], initContainers: [init] });
    const podIP = await runtime.createSandbox(pod, { podIP: podIPOf(podCounter), node: { name: nodeName, podCIDR } }).then((i) => i.podIP);
    expect(podIP).toMatch(/^127\./);
    expect(await (await start(runtime, pod, init)).exited).toMatchObject({ exitCode: 0 });
    const handle = await start(runtime, pod, server);
    await waitFor(async () => (await runtime.probe(pod, server, { httpGet: { port: 'http' } }, 1_000)).success, 10_000);
    expect(await runtime.probe(pod, server, { httpGet: { port: 'http' } }, 1_000)).toEqual({ success: true, message: 'shared' });
    await handle.stop(5_000);
    expect(await handle.exited).toMatchObject({ exitCode: 143, reason: 'Error' });
    await runtime.removeSandbox(pod);
    expect(await exists(join(stateDir, 'pods', pod.metadata.uid))).toBe(false);
  });
});
