import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';
import type { Logger } from '@flotilla/service-kit';

// The container shim runs once per container and outlives the agent, so its weight is paid per
// container: under tsx a shim costs ~75 MB RSS and half a second before the container starts. The
// runtime therefore bundles container-shim-main.ts once into plain JavaScript under its state
// directory and runs that with plain `node` (about 8 MB of private memory above node's shared code).
//
//   <stateDir>/shim/container-shim-<hash>.mjs   the bundle; <hash> covers esbuild's version, the build
//                                               options and every input file (path and content)
//   <stateDir>/shim/current.json                which inputs the last build read, its hash and the
//                                               bundle's sha256 (to reuse it without esbuild)
//
// Both are written atomically (temp file, fsync, rename): agents sharing the directory never see
// half a file, and a shim already running keeps the code it loaded whatever happens to the file.
// When no bundle can be had, the shim runs under tsx as before.

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository root: the tsx shim's working directory (tsx resolves from there) and the bundle's base for input paths. */
export const REPO_ROOT = resolve(HERE, '../../../..');
export const SHIM_MAIN = join(HERE, 'container-shim-main.ts');

export type ShimMode = 'bundled' | 'tsx';

/** The part of esbuild's API the bundle step uses (tests replace it). */
export type EsbuildApi = Pick<typeof Esbuild, 'buildSync' | 'version'>;

/** Older bundles and abandoned temp files are removed once they are this old (never one a shim may be about to load). */
const STALE_MS = 10 * 60_000;

const BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The shim's own diagnostics quote stack traces; keep names readable.
  minify: false,
  legalComments: 'none',
} as const satisfies Esbuild.BuildOptions;

export class ShimBundleError extends Error {
  override readonly name = 'ShimBundleError';
}

export interface ShimBundle {
  path: string;
  bytes: number;
  /** False when an existing bundle of the same inputs was reused. */
  built: boolean;
}

interface CurrentBuild {
  /** Input files, relative to REPO_ROOT, as esbuild's metafile listed them. */
  inputs: string[];
  hash: string;
  sha256: string;
}

/** The last build in this process per esbuild (a new state directory then needs no second esbuild run). */
const builtInProcess = new WeakMap<EsbuildApi, CurrentBuild & { code: Uint8Array }>();

/**
 * The shim bundle under `stateDir`: the existing one if its inputs are unchanged, else a new build.
 * Throws ShimBundleError when esbuild cannot be loaded or the build fails.
 */
export function prepareShimBundle(options: { stateDir: string; esbuild?: EsbuildApi }): ShimBundle {
  const dir = join(options.stateDir, 'shim');
  const esbuild = options.esbuild ?? loadEsbuild();
  const salt = `${esbuild.version}\0${JSON.stringify(BUILD_OPTIONS)}`;

  const current = readCurrent(join(dir, 'current.json'));
  if (current && hashInputs(salt, current.inputs) === current.hash) {
    const path = bundlePath(dir, current.hash);
    const code = readIfExists(path);
    if (code && sha256(code) === current.sha256) return { path, bytes: code.length, built: false };
  }

  const previous = builtInProcess.get(esbuild);
  const build = previous && hashInputs(salt, previous.inputs) === previous.hash ? previous : runBuild(esbuild, salt);
  builtInProcess.set(esbuild, build);
  const path = bundlePath(dir, build.hash);
  try {
    mkdirSync(dir, { recursive: true });
    writeAtomic(path, build.code);
    writeAtomic(join(dir, 'current.json'), `${JSON.stringify({ inputs: build.inputs, hash: build.hash, sha256: build.sha256 } satisfies CurrentBuild, null, 2)}\n`);
  } catch (error) {
    throw new ShimBundleError(`cannot write the shim bundle ${path}: ${errorMessage(error)}`, { cause: error });
  }
  removeStale(dir, path);
  return { path, bytes: build.code.length, built: true };
}

function runBuild(esbuild: EsbuildApi, salt: string): CurrentBuild & { code: Uint8Array } {
  let result: Esbuild.BuildResult<{ metafile: true; write: false }>;
  try {
    result = esbuild.buildSync({
      ...BUILD_OPTIONS,
      entryPoints: [SHIM_MAIN],
      absWorkingDir: REPO_ROOT,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
  } catch (error) {
    throw new ShimBundleError(`esbuild could not bundle ${SHIM_MAIN}: ${errorMessage(error)}`, { cause: error });
  }
  const code = result.outputFiles[0]?.contents;
  if (!code || code.length === 0) throw new ShimBundleError(`esbuild produced no output for ${SHIM_MAIN}`);
  const inputs = Object.keys(result.metafile.inputs).sort();
  const hash = hashInputs(salt, inputs);
  if (hash === undefined) throw new ShimBundleError(`an input of the shim bundle vanished while it was built: ${inputs.join(', ')}`);
  return { inputs, hash, sha256: sha256(code), code };
}

function loadEsbuild(): EsbuildApi {
  try {
    return createRequire(import.meta.url)('esbuild') as EsbuildApi;
  } catch (error) {
    throw new ShimBundleError(`esbuild cannot be loaded: ${errorMessage(error)}`, { cause: error });
  }
}

/** Hash of the salt and every input's path and content; undefined when one cannot be read. */
function hashInputs(salt: string, inputs: readonly string[]): string | undefined {
  const hash = createHash('sha256').update(salt);
  for (const input of inputs) {
    const content = readIfExists(resolve(REPO_ROOT, input));
    if (!content) return undefined;
    hash.update(`\0${input}\0${content.length}\0`).update(content);
  }
  return hash.digest('hex').slice(0, 16);
}

function bundlePath(dir: string, hash: string): string {
  return join(dir, `container-shim-${hash}.mjs`);
}

function readCurrent(path: string): CurrentBuild | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<CurrentBuild>;
    if (!Array.isArray(value.inputs) || !value.inputs.every((i) => typeof i === 'string') || value.inputs.length === 0) return undefined;
    if (typeof value.hash !== 'string' || !/^[0-9a-f]{16}$/.test(value.hash) || typeof value.sha256 !== 'string') return undefined;
    return { inputs: value.inputs, hash: value.hash, sha256: value.sha256 };
  } catch {
    return undefined;
  }
}

function readIfExists(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Temp file in the same directory, fsync, rename: readers see the old file or the whole new one (also after a crash). */
function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Bundles of other inputs and abandoned temp files, once old: a shim started from one has long loaded it. */
function removeStale(dir: string, keep: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    const path = join(dir, name);
    if (path === keep || !(/^container-shim-[0-9a-f]{16}\.mjs$/.test(name) || name.endsWith('.tmp'))) continue;
    try {
      if (now - statSync(path).mtimeMs >= STALE_MS) rmSync(path, { force: true });
    } catch {
      // gone meanwhile
    }
  }
}

/** How the runtime starts a shim: plain node on the bundle, or tsx on the source when there is no bundle. */
export class ShimLauncher {
  private bundle: ShimBundle | undefined;
  private fellBack = false;

  constructor(private readonly options: { stateDir: string; mode: ShimMode; logger?: Logger; esbuild?: EsbuildApi }) {
    if (options.mode === 'bundled') this.bundle = this.prepare();
  }

  /** The mode shims are started in now ('tsx' when asked for, or when no bundle could be built). */
  get mode(): ShimMode {
    return this.bundle ? 'bundled' : 'tsx';
  }

  /** The bundle in use, if any. */
  get bundleInfo(): ShimBundle | undefined {
    return this.bundle;
  }

  /** The shim's command for `specPath`: node's arguments (after process.execPath) and its working directory. */
  command(specPath: string): { args: string[]; cwd: string } {
    // The state directory may have been cleaned under a running agent: build again rather than fail every start.
    if (this.bundle && !existsSync(this.bundle.path)) this.bundle = this.prepare();
    if (this.bundle) return { args: [this.bundle.path, specPath], cwd: '/' };
    return { args: ['--import', 'tsx', SHIM_MAIN, specPath], cwd: REPO_ROOT };
  }

  private prepare(): ShimBundle | undefined {
    try {
      const bundle = prepareShimBundle({ stateDir: this.options.stateDir, ...(this.options.esbuild ? { esbuild: this.options.esbuild } : {}) });
      this.options.logger?.debug('container shim bundle ready', { path: bundle.path, bytes: bundle.bytes, built: bundle.built });
      return bundle;
    } catch (error) {
      if (!this.fellBack) {
        this.options.logger?.warn('container shims run under tsx (slower to start, heavier): the shim bundle could not be built', {
          error: errorMessage(error),
        });
      }
      this.fellBack = true;
      return undefined;
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
