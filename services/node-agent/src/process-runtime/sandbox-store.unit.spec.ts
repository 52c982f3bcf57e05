import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isProcessAlive, processStartTime, startErrorMessage } from './container-shim.ts';
import { toContainerExit } from './process-runtime.ts';
import { SandboxStore, writeJsonAtomic, type SandboxRecord } from './sandbox-store.ts';

let stateDir = '';
let store: SandboxStore;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'flotilla-store-'));
  store = new SandboxStore(stateDir);
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

const record: SandboxRecord = {
  uid: 'u1',
  namespace: 'default',
  name: 'web',
  nodeName: 'node-a',
  podCIDR: '10.244.0.0/24',
  podIP: '10.244.0.5',
  requestedPodIP: '10.244.0.5',
  mode: 'netns',
  netns: 'flotilla-u1',
  execPrefix: ['ip', 'netns', 'exec', 'flotilla-u1'],
  volumes: { data: '/x/volumes/data' },
};

describe('SandboxStore', () => {
  it('keeps sandbox records per pod', async () => {
    expect(await store.readSandbox('u1')).toBeUndefined();
    await store.writeSandbox(record);
    expect(await store.readSandbox('u1')).toEqual(record);
    expect(await store.podUids()).toEqual(['u1']);
    await store.removePod('u1');
    expect(await store.podUids()).toEqual([]);
  });

  it('numbers instances and keeps only the newest two, with their logs', async () => {
    for (let i = 0; i < 4; i++) {
      expect(await store.newInstance('u1', 'app')).toBe(i);
      await writeFile(store.logPath('u1', 'app', i), `log ${i}\n`);
      await writeFile(`${store.logPath('u1', 'app', i)}.1`, `older log ${i}\n`);
    }
    expect(await store.instances('u1', 'app')).toEqual([2, 3]);
    expect(await store.latestInstance('u1', 'app')).toBe(3);
    expect((await readdir(store.logDir('u1', 'app'))).sort()).toEqual(['2.log', '2.log.1', '3.log', '3.log.1']);
    expect(await store.containerNames('u1')).toEqual(['app']);
    expect(await store.latestInstance('u1', 'other')).toBeUndefined();
  });

  it('reads a torn or missing file as absent', async () => {
    await mkdir(store.instanceDir('u1', 'app', 0), { recursive: true });
    await writeFile(join(store.instanceDir('u1', 'app', 0), 'exit.json'), '{"exitCo');
    expect(await store.readExit('u1', 'app', 0)).toBeUndefined();
    await writeJsonAtomic(join(store.instanceDir('u1', 'app', 0), 'exit.json'), { exitCode: 1, reason: 'Error', finishedAt: '2024-01-01T00:00:00Z' });
    expect(await store.readExit('u1', 'app', 0)).toMatchObject({ exitCode: 1 });
    expect(await store.readState('u1', 'app', 0)).toBeUndefined();
  });

  it('refuses names that would leave its directory', () => {
    expect(() => store.podDir('../etc')).toThrow(TypeError);
    expect(() => store.containerDir('u1', '..')).toThrow(TypeError);
    expect(() => new SandboxStore('relative/dir')).toThrow(TypeError);
  });
});

describe('exit records', () => {
  it('become the port’s exits; a command that could not run is a StartError with exit code 128', () => {
    expect(toContainerExit({ exitCode: 0, reason: 'Completed', finishedAt: '2024-01-01T00:00:00.000Z' })).toEqual({
      exitCode: 0,
      reason: 'Completed',
      finishedAt: new Date('2024-01-01T00:00:00.000Z'),
    });
    expect(toContainerExit({ exitCode: 128, reason: 'StartError', message: 'exec: "x": executable file not found in $PATH', finishedAt: '2024-01-01T00:00:00.000Z' })).toEqual({
      exitCode: 128,
      reason: 'StartError',
      message: 'exec: "x": executable file not found in $PATH',
      finishedAt: new Date('2024-01-01T00:00:00.000Z'),
    });
  });

  it('word start failures as runc does', () => {
    const enoent = Object.assign(new Error('spawn x ENOENT'), { code: 'ENOENT' });
    expect(startErrorMessage('foo', '/', enoent)).toBe('exec: "foo": executable file not found in $PATH');
    expect(startErrorMessage('/opt/foo', '/', enoent)).toBe('exec: "/opt/foo": stat /opt/foo: no such file or directory');
    expect(startErrorMessage('foo', '/flotilla-no-such-dir', enoent)).toBe('chdir to cwd ("/flotilla-no-such-dir") set in config.json failed: no such file or directory');
    expect(startErrorMessage('/etc/passwd', '/', Object.assign(new Error('EACCES'), { code: 'EACCES' }))).toBe('exec: "/etc/passwd": permission denied');
  });
});

describe('process identity', () => {
  it('tells a live process by pid and start time', () => {
    const start = processStartTime(process.pid);
    expect(start).toMatch(/^\d+$/);
    expect(isProcessAlive(process.pid, start)).toBe(true);
    expect(isProcessAlive(process.pid, '1')).toBe(false);
    expect(isProcessAlive(2 ** 30, undefined)).toBe(false);
  });
});
