import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { PodNetworkMode } from './pod-network.ts';

// The process runtime's state on disk, so that a restarted agent finds its pods and containers (and
// the exit codes of those that ended while it was away):
//
//   <stateDir>/pods/<uid>/sandbox.json                          the sandbox record
//   <stateDir>/pods/<uid>/containers/<name>/<instance>/spec.json  what the shim runs
//   .../<instance>/state.json                                    written by the shim once the process runs
//   .../<instance>/exit.json                                     written by the shim once it ended
//   .../<instance>/shim.log                                      the shim's own diagnostics
//   <stateDir>/pods/<uid>/logs/<name>/<instance>.log (+ .1 ...)  the container's output
//
// `instance` counts the starts of a container (0, 1, 2, ...); the previous instance is the one before
// the newest. Older instances are pruned when a new one starts, as the kubelet keeps two.

/** sandbox.json */
export interface SandboxRecord {
  uid: string;
  namespace: string;
  name: string;
  nodeName: string;
  podCIDR: string;
  /** The address the pod answers at (what createSandbox returned). */
  podIP: string;
  /** The pod IP the agent asked for (differs from podIP in loopback mode). */
  requestedPodIP: string;
  mode: PodNetworkMode;
  netns?: string;
  /** argv prefix running a command in the pod's network. */
  execPrefix: string[];
  /** Host directory of each volume. */
  volumes: Record<string, string>;
}

/** spec.json: the shim's instructions. */
export interface ShimSpec {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  logPath: string;
  logMaxBytes: number;
  logMaxFiles: number;
  /** shim.json, written by the shim when it starts. */
  shimPath: string;
  statePath: string;
  exitPath: string;
  /**
   * How the launch script reports its own failures (before the command runs): exit codes and a
   * message prefix on stderr. The shim turns those into StartError.
   */
  setupFailure?: { exitCodes: number[]; prefix: string };
  /** A cgroup v1 memory cgroup to run the container in (created by the shim; skipped if it cannot). */
  memoryCgroup?: { path: string; limitBytes?: number };
}

/** shim.json */
export interface ShimIdentity {
  shimPid: number;
  shimStartTime?: string;
}

/** state.json */
export interface ShimState {
  shimPid: number;
  /** The shim's start time (/proc/<pid>/stat field 22), to tell it from a later process with its pid. */
  shimStartTime?: string;
  pid: number;
  pidStartTime: string;
  startedAt: string;
}

/** exit.json */
export interface ExitRecord {
  exitCode: number;
  signal?: string;
  reason: 'Completed' | 'Error' | 'OOMKilled' | 'StartError';
  message?: string;
  finishedAt: string;
}

export class SandboxStore {
  readonly podsDir: string;

  constructor(readonly stateDir: string) {
    if (!isAbsolute(stateDir)) throw new TypeError(`the state directory must be an absolute path, got ${JSON.stringify(stateDir)}`);
    this.podsDir = join(stateDir, 'pods');
  }

  podDir(uid: string): string {
    return join(this.podsDir, safeSegment(uid, 'pod uid'));
  }

  sandboxPath(uid: string): string {
    return join(this.podDir(uid), 'sandbox.json');
  }

  containerDir(uid: string, container: string): string {
    return join(this.podDir(uid), 'containers', safeSegment(container, 'container name'));
  }

  instanceDir(uid: string, container: string, instance: number): string {
    return join(this.containerDir(uid, container), String(instance));
  }

  logDir(uid: string, container: string): string {
    return join(this.podDir(uid), 'logs', safeSegment(container, 'container name'));
  }

  logPath(uid: string, container: string, instance: number): string {
    return join(this.logDir(uid, container), `${instance}.log`);
  }

  async readSandbox(uid: string): Promise<SandboxRecord | undefined> {
    return readJson<SandboxRecord>(this.sandboxPath(uid));
  }

  async writeSandbox(record: SandboxRecord): Promise<void> {
    await writeJsonAtomic(this.sandboxPath(record.uid), record);
  }

  /** Uids of every pod directory (with or without a sandbox record). */
  async podUids(): Promise<string[]> {
    try {
      return (await readdir(this.podsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  /** Instances of a container on disk, ascending. */
  async instances(uid: string, container: string): Promise<number[]> {
    try {
      const names = await readdir(this.containerDir(uid, container));
      return names.filter((n) => /^(0|[1-9][0-9]*)$/.test(n)).map(Number).sort((a, b) => a - b);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  async latestInstance(uid: string, container: string): Promise<number | undefined> {
    return (await this.instances(uid, container)).at(-1);
  }

  /** Containers of a pod with instances on disk. */
  async containerNames(uid: string): Promise<string[]> {
    try {
      return await readdir(join(this.podDir(uid), 'containers'));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  /**
   * Creates the next instance's directory (one past the newest on disk) and prunes all but the one
   * before it, with their logs.
   */
  async newInstance(uid: string, container: string): Promise<number> {
    const existing = await this.instances(uid, container);
    const instance = (existing.at(-1) ?? -1) + 1;
    await mkdir(this.instanceDir(uid, container, instance), { recursive: true });
    await mkdir(this.logDir(uid, container), { recursive: true });
    for (const old of existing.filter((n) => n < instance - 1)) {
      await rm(this.instanceDir(uid, container, old), { recursive: true, force: true });
      await removeLogFiles(this.logPath(uid, container, old));
    }
    return instance;
  }

  async readState(uid: string, container: string, instance: number): Promise<ShimState | undefined> {
    return readJson<ShimState>(join(this.instanceDir(uid, container, instance), 'state.json'));
  }

  async readShim(uid: string, container: string, instance: number): Promise<ShimIdentity | undefined> {
    return readJson<ShimIdentity>(join(this.instanceDir(uid, container, instance), 'shim.json'));
  }

  async readExit(uid: string, container: string, instance: number): Promise<ExitRecord | undefined> {
    return readJson<ExitRecord>(join(this.instanceDir(uid, container, instance), 'exit.json'));
  }

  async removePod(uid: string): Promise<void> {
    await rm(this.podDir(uid), { recursive: true, force: true });
  }
}

async function removeLogFiles(path: string): Promise<void> {
  const dir = dirname(path);
  const base = path.slice(dir.length + 1);
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await Promise.all(names.filter((n) => n === base || n.startsWith(`${base}.`)).map((n) => rm(join(dir, n), { force: true })));
}

/** A uid or container name used as a path segment: no separators, no dot names. */
function safeSegment(value: string, what: string): string {
  if (value === '' || value === '.' || value === '..' || /[/\\\0]/.test(value)) {
    throw new TypeError(`${what} ${JSON.stringify(value)} cannot name a directory`);
  }
  return value;
}

export function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The parsed file, or undefined if it does not exist (or is torn: the writers rename complete files into place). */
export async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Writes through a temporary file and a rename, so that readers see the old or the new file, never half of one. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}
