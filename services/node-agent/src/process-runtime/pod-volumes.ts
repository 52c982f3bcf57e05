import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, realpath, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Container, Pod } from '@flotilla/model';
import { parseQuantity } from '@flotilla/model';
import type { Logger } from '@flotilla/service-kit';
import { HostCommandError, runHostCommand, withHostLock } from './command.ts';
import { isEmptyDirVolume, mountHolding, normaliseAbsolutePath, normaliseSubPath, type ResolvedMount } from './container-launch.ts';

// A pod's emptyDir volumes are directories under `<podDir>/volumes/<name>`, a tmpfs for
// `medium: Memory` as root. As root, containers see them at their mountPaths through bind mounts in
// their own mount namespaces (container-launch.ts); a bind mount needs its target to exist, so the
// mountPaths (and workingDirs) missing on the host are created here and recorded in a host-wide
// registry, /run/flotilla/mountpoints/<sha256 of path>/<pod uid> (the file holds the path). A
// directory goes when the last pod holding it goes, and only if Flotilla created it and it is empty.

export interface PodVolumePaths {
  [volumeName: string]: string;
}

export const DEFAULT_STATE_DIR = '/run/flotilla';

/** A volume could not be prepared or removed. */
export class PodVolumeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PodVolumeError';
  }
}

export class PodVolumes {
  private readonly privileged: boolean;
  private readonly logger: Logger | undefined;
  private readonly registryDir: string;

  constructor(options: { privileged: boolean; logger?: Logger; /** Default /run/flotilla. */ stateDir?: string }) {
    this.privileged = options.privileged;
    this.logger = options.logger;
    this.registryDir = join(options.stateDir ?? DEFAULT_STATE_DIR, 'mountpoints');
  }

  /** Creates each emptyDir under `<podDir>/volumes/<name>` (tmpfs for medium: Memory when privileged, sizeLimit honoured). Idempotent. */
  async prepare(podDir: string, pod: Pod): Promise<PodVolumePaths> {
    const volumesDir = join(resolve(podDir), 'volumes');
    const paths: PodVolumePaths = {};
    try {
      await mkdir(volumesDir, { recursive: true });
      for (const volume of pod.spec.volumes ?? []) {
        // Validation keeps names to DNS labels; never let one step outside the volumes directory.
        if (!isEmptyDirVolume(volume) || volume.name.includes('/') || volume.name.startsWith('.')) continue;
        const dir = join(volumesDir, volume.name);
        await mkdir(dir, { recursive: true });
        if (volume.emptyDir?.medium === 'Memory' && this.privileged && !(await isMountPoint(await realpath(dir)))) {
          const size = volume.emptyDir.sizeLimit !== undefined ? parseQuantity(volume.emptyDir.sizeLimit) : undefined;
          const options = ['mode=0777', ...(size !== undefined && size > 0 ? [`size=${Math.ceil(size)}`] : [])];
          await runHostCommand(['mount', '-t', 'tmpfs', '-o', options.join(','), 'tmpfs', dir]);
        }
        // emptyDir is world-writable in Kubernetes too.
        await chmod(dir, 0o777);
        paths[volume.name] = dir;
      }
      const containers = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
      for (const container of containers) await this.prepareContainer(pod, container, paths);
    } catch (error) {
      throw new PodVolumeError(`preparing the volumes of pod ${pod.metadata.namespace}/${pod.metadata.name} failed: ${message(error)}`, { cause: error });
    }
    return paths;
  }

  /** Unmounts tmpfs, releases mount points it created on the host, removes `<podDir>/volumes`. Idempotent. */
  async remove(podDir: string, pod: Pod): Promise<void> {
    const given = join(resolve(podDir), 'volumes');
    try {
      // mountinfo shows real paths: compare with the real path, or a symlink in podDir would hide the mounts.
      const volumesDir = (await realpath(given).catch(ignoreCode('ENOENT'))) ?? given;
      // Whatever is mounted below the volumes goes first, deepest first: rm must never cross into a mount.
      const mounted = (await mountPoints()).filter((point) => point === volumesDir || point.startsWith(`${volumesDir}/`));
      for (const point of mounted.sort((a, b) => b.length - a.length)) await unmount(point);
      const left = (await mountPoints()).filter((point) => point === volumesDir || point.startsWith(`${volumesDir}/`));
      if (left.length > 0) throw new PodVolumeError(`still mounted: ${left.join(', ')}`);
      await rm(volumesDir, { recursive: true, force: true });
      await this.releaseMountPoints(pod.metadata.uid);
    } catch (error) {
      throw new PodVolumeError(`removing the volumes of pod ${pod.metadata.namespace}/${pod.metadata.name} failed: ${message(error)}`, { cause: error });
    }
  }

  /** Host directories this pod holds in the registry (what remove() releases). */
  async heldMountPoints(uid: string): Promise<string[]> {
    return (await this.holdings(uid)).map((holding) => holding.path);
  }

  private async prepareContainer(pod: Pod, container: Container, paths: PodVolumePaths): Promise<void> {
    // Mounts that are not usable are left for containerLaunch to report as CreateContainerConfigError.
    const mounts: ResolvedMount[] = [];
    for (const mount of container.volumeMounts ?? []) {
      const root = paths[mount.name];
      const mountPath = normaliseAbsolutePath(mount.mountPath);
      if (root === undefined || mountPath === undefined || mountPath === '/') continue;
      const subPath = mount.subPath ? normaliseSubPath(mount.subPath) : undefined;
      if (mount.subPath && subPath === undefined) continue;
      if (subPath !== undefined) await mkdir(join(root, subPath), { recursive: true });
      mounts.push({ volume: mount.name, mountPath, ...(subPath !== undefined ? { subPath } : {}), readOnly: mount.readOnly === true });
    }
    const workingDir = container.workingDir ? normaliseAbsolutePath(container.workingDir) : undefined;
    const inVolume = workingDir !== undefined ? mountHolding(mounts, workingDir) : undefined;
    if (inVolume) {
      const root = paths[inVolume.mount.volume] as string;
      await mkdir(join(root, inVolume.mount.subPath ?? '', inVolume.rest), { recursive: true });
    }
    if (!this.privileged) return;
    for (const mount of mounts) {
      // A target inside another of the container's mounts lies inside that volume: made there, not on the host.
      const parent = mountHolding(mounts.filter((other) => other !== mount), mount.mountPath);
      if (!parent) await this.acquireMountPoint(mount.mountPath, pod.metadata.uid);
      else await mkdir(join(paths[parent.mount.volume] as string, parent.mount.subPath ?? '', parent.rest), { recursive: true });
    }
    if (workingDir !== undefined && !inVolume) await this.acquireMountPoint(workingDir, pod.metadata.uid);
  }

  /** Makes `path` exist, recording each directory level Flotilla creates (or already holds for other pods) for this pod. */
  private async acquireMountPoint(path: string, uid: string): Promise<void> {
    await withHostLock('mountpoints', async () => {
      const parts = path.split('/').filter(Boolean);
      for (let depth = 1; depth <= parts.length; depth++) {
        const level = `/${parts.slice(0, depth).join('/')}`;
        const record = this.recordDir(level);
        const exists = await pathExists(level);
        if (exists && !(await hasHolders(record))) continue; // the host's own directory: never ours
        // Record before creating, so a crash in between leaves a record rather than an orphan directory.
        await mkdir(record, { recursive: true });
        await writeFile(join(record, uid), level);
        if (!exists) {
          await mkdir(level);
          this.logger?.debug('mount point created', { path: level, uid });
        }
      }
    });
  }

  private async releaseMountPoints(uid: string): Promise<void> {
    await withHostLock('mountpoints', async () => {
      const holdings = (await this.holdings(uid)).sort((a, b) => b.path.length - a.path.length);
      for (const { path, record } of holdings) {
        await unlink(join(record, uid)).catch(ignoreCode('ENOENT'));
        if (await hasHolders(record)) continue;
        await rmdir(record).catch(ignoreCode('ENOENT', 'ENOTEMPTY'));
        try {
          await rmdir(path);
          this.logger?.debug('mount point removed', { path, uid });
        } catch (error) {
          if (errorCode(error) === 'ENOENT') continue;
          // Something else put files there or mounted it: it is not ours to delete any more.
          this.logger?.warn('mount point left in place', { path, uid, error });
        }
      }
    });
  }

  private recordDir(path: string): string {
    return join(this.registryDir, createHash('sha256').update(path).digest('hex'));
  }

  private async holdings(uid: string): Promise<Array<{ path: string; record: string }>> {
    const records = await readdir(this.registryDir).catch(ignoreCode('ENOENT'));
    const out: Array<{ path: string; record: string }> = [];
    for (const entry of records ?? []) {
      const record = join(this.registryDir, entry);
      const path = await readFile(join(record, uid), 'utf8').catch(ignoreCode('ENOENT', 'ENOTDIR'));
      if (path) out.push({ path, record });
    }
    return out;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function ignoreCode(...codes: string[]): (error: unknown) => undefined {
  return (error) => {
    if (codes.includes(errorCode(error) ?? '')) return undefined;
    throw error;
  };
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

async function hasHolders(record: string): Promise<boolean> {
  const entries = await readdir(record).catch(ignoreCode('ENOENT'));
  return (entries ?? []).length > 0;
}

/** Mount points of this process's mount namespace (from /proc/self/mountinfo; none off Linux). */
export async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(ignoreCode('ENOENT'));
  if (text === undefined) return [];
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const field = line.split(' ')[4];
      return field === undefined ? [] : [field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))];
    });
}

async function isMountPoint(path: string): Promise<boolean> {
  return (await mountPoints()).includes(path);
}

async function unmount(point: string): Promise<void> {
  try {
    await runHostCommand(['umount', point]);
  } catch (error) {
    // Busy (a process still has files open there): detach it now, the kernel frees it when they close.
    if (error instanceof HostCommandError && /busy/i.test(error.stderr)) await runHostCommand(['umount', '-l', point]);
    else throw error;
  }
}
