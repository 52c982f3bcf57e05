import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Container, Pod } from '@flotilla/model';
import type { Logger } from '@flotilla/service-kit';
import { ProcessRuntime } from './process-runtime.ts';
import { prepareShimBundle, REPO_ROOT, ShimBundleError, ShimLauncher, SHIM_MAIN, type EsbuildApi } from './shim-bundle.ts';

// The shim bundle: built once per set of inputs under the state directory, run with plain node,
// reused while its sources are unchanged, and replaced by the tsx shim when esbuild fails.

const realEsbuild = createRequire(import.meta.url)('esbuild') as EsbuildApi;
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-shim-bundle-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** esbuild that counts its builds (a fresh object: no build of another test is reused in-process). */
function countingEsbuild(): EsbuildApi & { builds: number } {
  const counting = {
    version: realEsbuild.version,
    builds: 0,
    buildSync: ((options: Parameters<EsbuildApi['buildSync']>[0]) => {
      counting.builds++;
      return realEsbuild.buildSync(options);
    }) as EsbuildApi['buildSync'],
  };
  return counting;
}

function failingEsbuild(): EsbuildApi {
  return {
    version: 'broken',
    buildSync: (() => {
      throw new Error('esbuild service stopped');
    }) as EsbuildApi['buildSync'],
  };
}

function recordingLogger(): Logger & { warnings: Array<{ msg: string; fields?: Record<string, unknown> }> } {
  const warnings: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
  const logger = {
    warnings,
    debug: () => undefined,
    info: () => undefined,
    warn: (msg: string, fields?: Record<string, unknown>) => void warnings.push({ msg, ...(fields ? { fields } : {}) }),
    error: () => undefined,
    child: () => logger,
  };
  return logger;
}

function runNode(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stderr }));
  });
}

describe('prepareShimBundle', () => {
  it('builds a small plain-JavaScript shim from local sources only, which node runs as the container shim', async () => {
    const stateDir = await tempDir();
    const bundle = prepareShimBundle({ stateDir, esbuild: countingEsbuild() });
    expect(bundle.built).toBe(true);
    expect(bundle.path).toMatch(new RegExp(`^${stateDir}/shim/container-shim-[0-9a-f]{16}\\.mjs$`));
    expect((await stat(bundle.path)).size).toBe(bundle.bytes);
    // Light: a few node built-ins and the shim's own modules, no workspace package or dependency.
    expect(bundle.bytes).toBeLessThan(64 * 1024);
    const current = JSON.parse(await readFile(join(stateDir, 'shim', 'current.json'), 'utf8')) as { inputs: string[] };
    const shimDir = relative(REPO_ROOT, join(SHIM_MAIN, '..'));
    expect(current.inputs).toContain(relative(REPO_ROOT, SHIM_MAIN));
    for (const input of current.inputs) expect(input.startsWith(`${shimDir}/`)).toBe(true);
    expect(await readdir(join(stateDir, 'shim'))).toHaveLength(2); // no temp file left

    // The bundle is a working shim: it runs the command, keeps its output and records the exit.
    const dir = await tempDir();
    const spec = {
      argv: ['/bin/sh', '-c', 'echo from-the-container; exit 4'],
      env: { PATH: '/usr/bin:/bin' },
      cwd: '/',
      logPath: join(dir, 'c.log'),
      logMaxBytes: 1_000_000,
      logMaxFiles: 2,
      shimPath: join(dir, 'shim.json'),
      statePath: join(dir, 'state.json'),
      exitPath: join(dir, 'exit.json'),
    };
    await writeFile(join(dir, 'spec.json'), JSON.stringify(spec));
    expect(await runNode([bundle.path, join(dir, 'spec.json')], '/')).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(await readFile(spec.exitPath, 'utf8'))).toMatchObject({ exitCode: 4, reason: 'Error' });
    expect(await readFile(spec.logPath, 'utf8')).toMatch(/ stdout F from-the-container\n$/);
    expect(JSON.parse(await readFile(spec.statePath, 'utf8'))).toMatchObject({ pid: expect.any(Number) as number });
  });

  it('reuses the bundle while its inputs are unchanged, and rebuilds a damaged one', async () => {
    const stateDir = await tempDir();
    const esbuild = countingEsbuild();
    const first = prepareShimBundle({ stateDir, esbuild });
    const mtime = (await stat(first.path)).mtimeMs;
    const again = prepareShimBundle({ stateDir, esbuild });
    expect(again).toEqual({ ...first, built: false });
    expect(esbuild.builds).toBe(1);
    expect((await stat(first.path)).mtimeMs).toBe(mtime);

    // Another state directory in the same process gets the same bundle without a second esbuild run.
    const other = prepareShimBundle({ stateDir: await tempDir(), esbuild });
    expect(other.built).toBe(true);
    expect(other.path.endsWith(first.path.slice(first.path.lastIndexOf('/')))).toBe(true);
    expect(esbuild.builds).toBe(1);

    // A truncated bundle (say, a crash of a copy) is noticed by its checksum and written anew.
    const good = await readFile(first.path);
    await writeFile(first.path, good.subarray(0, 100));
    const repaired = prepareShimBundle({ stateDir, esbuild });
    expect(repaired).toMatchObject({ path: first.path, built: true });
    expect(await readFile(first.path)).toEqual(good);

    // A fresh esbuild (another agent process) reuses what is on disk without building.
    const fresh = countingEsbuild();
    expect(prepareShimBundle({ stateDir, esbuild: fresh })).toMatchObject({ path: first.path, built: false });
    expect(fresh.builds).toBe(0);
  });

  it('builds anew when the recorded inputs no longer match, and removes old bundles once they are stale', async () => {
    const stateDir = await tempDir();
    const first = prepareShimBundle({ stateDir, esbuild: countingEsbuild() });
    const shimDir = join(stateDir, 'shim');
    // An older build: its record says other inputs, and its file is an hour old.
    const old = join(shimDir, 'container-shim-0123456789abcdef.mjs');
    const recent = join(shimDir, 'container-shim-fedcba9876543210.mjs');
    await writeFile(old, '// old\n');
    await writeFile(recent, '// recent\n');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(old, hourAgo, hourAgo);
    const current = join(shimDir, 'current.json');
    const record = JSON.parse(await readFile(current, 'utf8')) as { inputs: string[]; hash: string };
    await writeFile(current, JSON.stringify({ ...record, inputs: record.inputs.slice(1) }));

    const esbuild = countingEsbuild();
    const next = prepareShimBundle({ stateDir, esbuild });
    expect(next).toMatchObject({ path: first.path, built: true });
    expect(esbuild.builds).toBe(1);
    const names = await readdir(shimDir);
    expect(names).not.toContain('container-shim-0123456789abcdef.mjs');
    // A recent one may still be about to be loaded by a shim another agent just spawned.
    expect(names).toContain('container-shim-fedcba9876543210.mjs');
  });

  it('throws a ShimBundleError naming the cause when esbuild fails', () => {
    const build = (): unknown => prepareShimBundle({ stateDir: '/nonexistent-flotilla-state', esbuild: failingEsbuild() });
    expect(build).toThrow(ShimBundleError);
    expect(build).toThrow(/esbuild could not bundle .*container-shim-main\.ts: esbuild service stopped/);
  });
});

describe('ShimLauncher', () => {
  it('runs the bundle with plain node from /', async () => {
    const stateDir = await tempDir();
    const launcher = new ShimLauncher({ stateDir, mode: 'bundled', esbuild: countingEsbuild() });
    expect(launcher.mode).toBe('bundled');
    const bundle = launcher.bundleInfo;
    expect(bundle).toBeDefined();
    expect(launcher.command('/x/spec.json')).toEqual({ args: [bundle?.path, '/x/spec.json'], cwd: '/' });

    // The state directory cleaned under a running agent: the next start builds it again.
    await rm(join(stateDir, 'shim'), { recursive: true });
    expect(launcher.command('/x/spec.json')).toEqual({ args: [bundle?.path, '/x/spec.json'], cwd: '/' });
    expect((await stat(bundle?.path ?? '')).size).toBe(bundle?.bytes);
  });

  it('falls back to the tsx shim with a warning naming the error when esbuild throws', async () => {
    const logger = recordingLogger();
    const launcher = new ShimLauncher({ stateDir: await tempDir(), mode: 'bundled', esbuild: failingEsbuild(), logger });
    expect(launcher.mode).toBe('tsx');
    expect(launcher.bundleInfo).toBeUndefined();
    expect(launcher.command('/x/spec.json')).toEqual({ args: ['--import', 'tsx', SHIM_MAIN, '/x/spec.json'], cwd: REPO_ROOT });
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]?.fields?.error).toMatch(/esbuild service stopped/);
  });

  it('uses tsx without building when asked to', async () => {
    const esbuild = countingEsbuild();
    const stateDir = await tempDir();
    const launcher = new ShimLauncher({ stateDir, mode: 'tsx', esbuild });
    expect(launcher.mode).toBe('tsx');
    expect(esbuild.builds).toBe(0);
    expect(await readdir(stateDir)).toEqual([]);
  });
});

describe('ProcessRuntime shims', () => {
  function pod(uid: string): Pod {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: uid, namespace: 'default', uid, creationTimestamp: '2024-01-01T00:00:00Z' },
      spec: { nodeName: 'fltc-shim-bundle', containers: [] },
    };
  }

  it('falls back to tsx shims when the bundle cannot be built, and says why', async () => {
    const logger = recordingLogger();
    const runtime = new ProcessRuntime({ stateDir: await tempDir(), networkMode: 'loopback', privileged: false, esbuild: failingEsbuild(), logger });
    expect(runtime.shimMode).toBe('tsx');
    expect(logger.warnings.map((w) => w.fields?.error)).toEqual([expect.stringMatching(/esbuild service stopped/)]);
    runtime.close();
  });

  // Loopback mode: no network is configured (pods get 127.x addresses), so the 10.252 CIDR is only a label.
  for (const mode of ['bundled', 'tsx'] as const) {
    it(`starts and stops containers with ${mode} shims`, async () => {
      const stateDir = await tempDir();
      const runtime = new ProcessRuntime({ stateDir, networkMode: 'loopback', privileged: false, memoryCgroupRoot: false, pollMs: 50, shim: mode });
      const p = pod(`fltc-shim-${mode}-${process.pid}`);
      try {
        expect(runtime.shimMode).toBe(mode);
        await runtime.createSandbox(p, { podIP: '10.252.0.10', node: { name: 'fltc-shim-bundle', podCIDR: '10.252.0.0/24' } });
        const done: Container = { name: 'done', command: ['/bin/sh', '-c', 'echo hi; exit 2'] };
        const running: Container = { name: 'running', command: ['sleep', '3600'] };
        const first = await runtime.startContainer(p, done, 'app', new AbortController().signal);
        expect(await first.exited).toMatchObject({ exitCode: 2, reason: 'Error' });
        const second = await runtime.startContainer(p, running, 'app', new AbortController().signal);
        await second.stop(5_000);
        expect(await second.exited).toMatchObject({ exitCode: 143 });
        const shimLog = await readFile(join(stateDir, 'pods', p.metadata.uid, 'containers', 'running', '0', 'shim.log'), 'utf8');
        expect(shimLog).toBe('');
      } finally {
        await runtime.removeSandbox(p);
        runtime.close();
      }
    });
  }
});
