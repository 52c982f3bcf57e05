import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Container, Pod } from '@flotilla/model';
import { containerLaunch, type ContainerLaunch } from './container-launch.ts';
import type { PodNetworkSetup } from './pod-network.ts';
import { DEFAULT_STATE_DIR, PodVolumes, mountPoints, type PodVolumePaths } from './pod-volumes.ts';

// Real directories, tmpfs and bind mounts in per-container mount namespaces: the privileged part
// needs root. Mount targets live under a fresh directory of the temp dir, so the host's own
// directories are never touched (and one pre-existing directory checks that they never would be).

const run = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
const node = process.execPath;
// No network namespace: these tests are about mounts (pod-network.int.spec.ts covers the network).
const network: PodNetworkSetup = { mode: 'loopback', podIP: '127.250.0.2', execPrefix: [] };
let base = '';
const prepared: Array<{ volumes: PodVolumes; podDir: string; pod: Pod }> = [];

function requireRoot(): void {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new Error('pod-volumes.int.spec needs root on Linux (tmpfs, bind mounts, mount namespaces); run the integration tests as root');
  }
}

function pod(name: string, spec: Partial<Pod['spec']>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `fltb-${run}-${name}`, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { containers: [], ...spec },
  };
}

function nodeContainer(name: string, script: string, extra: Partial<Container> = {}): Container {
  return { name, command: [node, '-e', script], ...extra };
}

async function exec(launch: ContainerLaunch): Promise<{ code: number | null; output: string }> {
  const [program, ...args] = launch.argv;
  const child = spawn(program as string, args, { env: launch.env, cwd: launch.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, output };
}

async function runContainer(p: Pod, container: Container, paths: PodVolumePaths, privileged: boolean) {
  return exec(containerLaunch({ pod: p, container, network, volumes: paths, privileged }));
}

async function prepare(volumes: PodVolumes, p: Pod): Promise<{ podDir: string; paths: PodVolumePaths }> {
  const podDir = join(base, 'pods', p.metadata.uid);
  prepared.push({ volumes, podDir, pod: p });
  return { podDir, paths: await volumes.prepare(podDir, p) };
}

function recordFile(path: string, uid: string): string {
  return join(DEFAULT_STATE_DIR, 'mountpoints', createHash('sha256').update(path).digest('hex'), uid);
}

async function mountsUnder(dir: string): Promise<string[]> {
  return (await mountPoints()).filter((point) => point === dir || point.startsWith(`${dir}/`));
}

describe('PodVolumes as root', () => {
  const volumes = new PodVolumes({ privileged: true });

  beforeAll(async () => {
    requireRoot();
    base = await mkdtemp(join(tmpdir(), `fltb-vol-${run}-`));
  });

  afterEach(async () => {
    for (const { volumes: owner, podDir, pod: p } of prepared.splice(0)) await owner.remove(podDir, p).catch(() => undefined);
  });

  afterAll(async () => {
    if (!base) return;
    for (const point of (await mountsUnder(base)).sort((a, b) => b.length - a.length)) {
      await new Promise((resolve) => spawn('umount', ['-l', point]).on('close', resolve));
    }
    await rm(base, { recursive: true, force: true });
    base = '';
  });

  it('shares a volume between containers: the init container leaves a file that another reads through a read-only mount it cannot write', async () => {
    const data = join(base, 'made', 'by', 'flotilla', 'data');
    const ro = join(base, 'made', 'ro');
    const p = pod('share', {
      volumes: [{ name: 'shared', emptyDir: {} }],
      initContainers: [nodeContainer('init', `require('fs').writeFileSync('${data}/hello.txt', 'from init')`, { volumeMounts: [{ name: 'shared', mountPath: data }] })],
      containers: [
        nodeContainer(
          'reader',
          `const fs = require('fs');
           console.log('read', fs.readFileSync('${ro}/hello.txt', 'utf8'));
           try { fs.writeFileSync('${ro}/x', 'no'); console.log('wrote'); } catch (e) { console.log('write refused', e.code); }`,
          { volumeMounts: [{ name: 'shared', mountPath: ro, readOnly: true }] },
        ),
      ],
    });
    const { podDir, paths } = await prepare(volumes, p);
    expect(paths).toEqual({ shared: join(podDir, 'volumes', 'shared') });

    const init = await runContainer(p, p.spec.initContainers?.[0] as Container, paths, true);
    expect(init).toEqual({ code: 0, output: '' });
    expect(await readFile(join(paths.shared as string, 'hello.txt'), 'utf8')).toBe('from init');
    // The bind mount lived in the container's own mount namespace: the host's directory stays empty.
    expect(await readdir(data)).toEqual([]);

    const reader = await runContainer(p, p.spec.containers[0] as Container, paths, true);
    expect(reader.output).toContain('read from init');
    expect(reader.output).toContain('write refused EROFS');
    expect(reader.code).toBe(0);
  });

  it('mounts a subPath (made if missing), cds to a workingDir inside a volume and sets the hostname to the pod name', async () => {
    const app = join(base, 'app');
    const p = pod('sub-path', {
      volumes: [{ name: 'shared' }],
      containers: [
        nodeContainer('c', `require('fs').writeFileSync('f', 'in sub'); console.log(process.cwd(), require('os').hostname(), process.env.HOSTNAME)`, {
          workingDir: join(app, 'work'),
          volumeMounts: [{ name: 'shared', mountPath: app, subPath: 'nested/dir' }],
        }),
      ],
    });
    const { paths } = await prepare(volumes, p);
    const result = await runContainer(p, p.spec.containers[0] as Container, paths, true);
    expect(result).toEqual({ code: 0, output: `${join(app, 'work')} sub-path sub-path\n` });
    expect(await readFile(join(paths.shared as string, 'nested', 'dir', 'work', 'f'), 'utf8')).toBe('in sub');
  });

  it('mounts tmpfs with the size limit for medium Memory, once however often it is prepared', async () => {
    const target = join(base, 'mem');
    const p = pod('memory', {
      volumes: [{ name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }],
      containers: [
        nodeContainer('c', `const line = require('fs').readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').find((l) => l.split(' ')[4] === '${target}'); console.log(line.split(' - ')[1])`, {
          volumeMounts: [{ name: 'scratch', mountPath: target }],
        }),
      ],
    });
    const { podDir, paths } = await prepare(volumes, p);
    await volumes.prepare(podDir, p);
    const dir = paths.scratch as string;
    const info = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((line) => line.split(' ')[4] === dir);
    expect(info).toHaveLength(1);
    expect(info[0]).toMatch(/ - tmpfs tmpfs .*size=8192k/);
    const result = await runContainer(p, p.spec.containers[0] as Container, paths, true);
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/^tmpfs tmpfs .*size=8192k/);
  });

  it('fails a container clearly when its command does not exist', async () => {
    const p = pod('missing', { containers: [{ name: 'c', command: ['flotilla-no-such-command'] }] });
    const { paths } = await prepare(volumes, p);
    const result = await runContainer(p, p.spec.containers[0] as Container, paths, true);
    expect(result.code).toBe(127);
    expect(result.output).toContain('flotilla: executable file not found in $PATH: flotilla-no-such-command');
  });

  it('removes everything it made: tmpfs, volume directories, created mount points and their records, but never a directory it did not create', async () => {
    const existing = join(base, 'existing');
    await mkdir(existing);
    const created = join(base, 'created-root');
    const p = pod('cleanup', {
      volumes: [{ name: 'a', emptyDir: { medium: 'Memory' } }, { name: 'b' }],
      containers: [
        nodeContainer('c', 'true', {
          workingDir: join(created, 'wd'),
          volumeMounts: [
            { name: 'a', mountPath: join(created, 'x', 'y') },
            { name: 'b', mountPath: existing },
          ],
        }),
      ],
    });
    const { podDir, paths } = await prepare(volumes, p);
    const uid = p.metadata.uid;
    expect((await volumes.heldMountPoints(uid)).sort()).toEqual([created, join(created, 'wd'), join(created, 'x'), join(created, 'x', 'y')]);
    expect(existsSync(recordFile(join(created, 'x', 'y'), uid))).toBe(true);
    expect(existsSync(recordFile(existing, uid))).toBe(false);
    expect(await mountsUnder(podDir)).toEqual([paths.a]);

    await volumes.remove(podDir, p);
    await volumes.remove(podDir, p);
    expect(await mountsUnder(podDir)).toEqual([]);
    expect(existsSync(join(podDir, 'volumes'))).toBe(false);
    expect(existsSync(created)).toBe(false);
    expect(existsSync(existing)).toBe(true);
    expect(await volumes.heldMountPoints(uid)).toEqual([]);
    expect(existsSync(recordFile(join(created, 'x', 'y'), uid))).toBe(false);
    expect(existsSync(recordFile(created, uid))).toBe(false);
  });

  it('keeps a created mount point while another pod still holds it, and leaves one that gained files', async () => {
    const sharedTarget = join(base, 'both', 'data');
    const spec = { volumes: [{ name: 'v' }], containers: [nodeContainer('c', 'true', { volumeMounts: [{ name: 'v', mountPath: sharedTarget }] })] };
    const first = pod('first', spec);
    const second = pod('second', spec);
    const one = await prepare(volumes, first);
    const two = await prepare(volumes, second);
    expect(await volumes.heldMountPoints(second.metadata.uid)).toEqual(expect.arrayContaining([sharedTarget]));

    await volumes.remove(one.podDir, first);
    expect(existsSync(sharedTarget)).toBe(true);
    await volumes.remove(two.podDir, second);
    expect(existsSync(join(base, 'both'))).toBe(false);

    const third = pod('third', spec);
    const three = await prepare(volumes, third);
    await writeFile(join(sharedTarget, 'someone-elses'), 'x');
    await volumes.remove(three.podDir, third);
    expect(existsSync(join(sharedTarget, 'someone-elses'))).toBe(true);
    expect(await volumes.heldMountPoints(third.metadata.uid)).toEqual([]);
  });
});

describe('PodVolumes without root privileges (fallback)', () => {
  const volumes = new PodVolumes({ privileged: false });

  beforeAll(async () => {
    base ||= await mkdtemp(join(tmpdir(), `fltb-vol-${run}-`));
  });

  afterEach(async () => {
    for (const { volumes: owner, podDir, pod: p } of prepared.splice(0)) await owner.remove(podDir, p).catch(() => undefined);
  });

  afterAll(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('makes plain directories, tells containers where through FLOTILLA_VOLUME_<NAME>, creates nothing outside the pod directory', async () => {
    const target = join(base, 'never-created');
    const p = pod('plain', {
      volumes: [{ name: 'shared-data', emptyDir: { medium: 'Memory' } }],
      containers: [
        nodeContainer('c', `require('fs').writeFileSync(process.env.FLOTILLA_VOLUME_SHARED_DATA + '/out', process.cwd())`, {
          workingDir: join(target, 'sub'),
          volumeMounts: [{ name: 'shared-data', mountPath: target }],
        }),
      ],
    });
    const { podDir, paths } = await prepare(volumes, p);
    const dir = paths['shared-data'] as string;
    expect(await mountsUnder(podDir)).toEqual([]);
    expect(existsSync(target)).toBe(false);
    expect(await runContainer(p, p.spec.containers[0] as Container, paths, false)).toEqual({ code: 0, output: '' });
    expect(await readFile(join(dir, 'out'), 'utf8')).toBe(join(dir, 'sub'));

    await volumes.remove(podDir, p);
    expect(existsSync(join(podDir, 'volumes'))).toBe(false);
  });
});
