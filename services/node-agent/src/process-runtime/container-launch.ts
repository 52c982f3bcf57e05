import { posix } from 'node:path';
import type { Container, Pod, Volume } from '@flotilla/model';
import { ContainerStartError } from '@flotilla/runtime';
import type { PodNetworkSetup } from './pod-network.ts';
import type { PodVolumePaths } from './pod-volumes.ts';

// How one container of a pod is started inside the pod's sandbox. There are no images: the command
// runs from the host's filesystem. As root the container gets its own mount and UTS namespaces inside
// the pod's network namespace: a small sh script sets the hostname, bind-mounts the volumes at their
// mountPaths (read-only where asked), changes to workingDir and execs the command, so the container's
// process is the command itself. Without root the command runs directly and finds its volumes
// through FLOTILLA_VOLUME_<NAME> (readOnly cannot be enforced there).

export interface ContainerLaunch {
  /** argv to spawn (argv[0] is the program). */
  argv: string[];
  /** env to pass (includes the container's env, POD_IP, POD_NAME, POD_NAMESPACE, HOSTNAME, and without mount namespaces FLOTILLA_VOLUME_<NAME>). */
  env: Record<string, string>;
  /** cwd to pass to spawn (the in-namespace script does the real `cd` after mounts in privileged mode). */
  cwd: string;
}

export interface ContainerLaunchInput {
  pod: Pod;
  container: Container;
  network: PodNetworkSetup;
  volumes: PodVolumePaths;
  /** Root: mount and UTS namespaces with bind mounts. Otherwise the command runs directly. */
  privileged: boolean;
  /** PATH, LANG and the like; default: PATH and LANG of this process. */
  baseEnv?: Record<string, string>;
}

/** Exit code of a container whose sandbox setup (hostname, mounts, workingDir) failed before its command ran. */
export const SANDBOX_SETUP_EXIT_CODE = 125;
/** Exit code of a container whose command was not found (as a shell reports it). */
export const COMMAND_NOT_FOUND_EXIT_CODE = 127;

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The script that runs inside the container's fresh mount and UTS namespaces. Positional arguments:
 * hostname, workingDir ('' for none), the number of mounts, then source, target and `ro`|`rw` per
 * mount (parents before children), then the command and its arguments. Nothing is interpolated.
 */
export const SANDBOX_SCRIPT = [
  `fail() { code=$1; shift; printf 'flotilla: %s\\n' "$*" >&2; exit "$code"; }`,
  `hostname "$1" 2>/dev/null || { printf '%s' "$1" > /proc/sys/kernel/hostname; } 2>/dev/null || fail ${SANDBOX_SETUP_EXIT_CODE} "cannot set the hostname to $1"`,
  `wd=$2; n=$3; shift 3`,
  `while [ "$n" -gt 0 ]; do`,
  `  src=$1; dst=$2; mode=$3; shift 3`,
  `  [ -d "$src" ] || mkdir -p -- "$src" || fail ${SANDBOX_SETUP_EXIT_CODE} "cannot create the volume directory $src"`,
  // Only targets inside an earlier mount can be missing here (the host's were made by PodVolumes).
  `  [ -d "$dst" ] || mkdir -p -- "$dst" || fail ${SANDBOX_SETUP_EXIT_CODE} "cannot create the mount point $dst"`,
  `  mount --bind -- "$src" "$dst" || fail ${SANDBOX_SETUP_EXIT_CODE} "cannot mount $src at $dst"`,
  `  if [ "$mode" = ro ]; then mount -o remount,bind,ro -- "$dst" || fail ${SANDBOX_SETUP_EXIT_CODE} "cannot make $dst read-only"; fi`,
  `  n=$((n - 1))`,
  `done`,
  `if [ -n "$wd" ]; then`,
  `  [ -d "$wd" ] || mkdir -p -- "$wd" 2>/dev/null`,
  `  cd -- "$wd" || fail ${SANDBOX_SETUP_EXIT_CODE} "cannot change to workingDir $wd"`,
  `fi`,
  `command -v "$1" >/dev/null 2>&1 || fail ${COMMAND_NOT_FOUND_EXIT_CODE} "executable file not found in \\$PATH: $1"`,
  `exec "$@"`,
].join('\n');

/** A volumeMount checked against the pod: where it comes from and where it goes, normalised. */
export interface ResolvedMount {
  volume: string;
  /** Absolute, normalised, no trailing slash. */
  mountPath: string;
  /** Relative, normalised; undefined for the whole volume. */
  subPath?: string;
  readOnly: boolean;
}

function configError(pod: Pod, container: Container, message: string): ContainerStartError {
  return new ContainerStartError('CreateContainerConfigError', `container ${container.name} of pod ${pod.metadata.namespace}/${pod.metadata.name}: ${message}`);
}

const VOLUME_SOURCES_BESIDES_EMPTY_DIR = ['hostPath', 'configMap', 'secret', 'projected', 'persistentVolumeClaim', 'downwardAPI', 'ephemeral', 'csi', 'nfs', 'image'] as const;

/** Whether the process runtime provides this volume: emptyDir, or no source at all (Kubernetes defaults that to emptyDir). */
export function isEmptyDirVolume(volume: Volume): boolean {
  if (volume.emptyDir) return true;
  return VOLUME_SOURCES_BESIDES_EMPTY_DIR.every((source) => volume[source] === undefined);
}

/** Checks an absolute container path and normalises it; undefined when it is not usable. */
export function normaliseAbsolutePath(path: string): string | undefined {
  if (!path.startsWith('/') || path.includes('\0')) return undefined;
  if (path.split('/').includes('..')) return undefined;
  const normal = posix.normalize(path).replace(/\/+$/, '');
  return normal === '' ? '/' : normal;
}

/** Checks a subPath (relative, no `..`) and normalises it; undefined when it is not usable. */
export function normaliseSubPath(path: string): string | undefined {
  if (path === '' || path.startsWith('/') || path.includes('\0')) return undefined;
  if (path.split('/').includes('..')) return undefined;
  const normal = posix.normalize(path).replace(/\/+$/, '');
  return normal === '.' || normal === '' ? undefined : normal;
}

/** The container's volumeMounts, checked and ordered parents first. Throws CreateContainerConfigError. */
export function resolveMounts(pod: Pod, container: Container): ResolvedMount[] {
  const volumes = new Map((pod.spec.volumes ?? []).map((volume) => [volume.name, volume]));
  const seen = new Set<string>();
  const mounts: ResolvedMount[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume) throw configError(pod, container, `volumeMount ${mount.name}: no volume of that name in spec.volumes`);
    if (!isEmptyDirVolume(volume)) throw configError(pod, container, `volume ${mount.name}: the process runtime provides emptyDir volumes only`);
    const mountPath = normaliseAbsolutePath(mount.mountPath);
    if (mountPath === undefined) throw configError(pod, container, `volumeMount ${mount.name}: mountPath ${JSON.stringify(mount.mountPath)} must be an absolute path without '..'`);
    if (mountPath === '/') throw configError(pod, container, `volumeMount ${mount.name}: mountPath "/" would hide the host's filesystem the container runs from`);
    if (seen.has(mountPath)) throw configError(pod, container, `volumeMount ${mount.name}: mountPath ${mountPath} is mounted twice`);
    seen.add(mountPath);
    let subPath: string | undefined;
    if (mount.subPath !== undefined && mount.subPath !== '') {
      subPath = normaliseSubPath(mount.subPath);
      if (subPath === undefined) throw configError(pod, container, `volumeMount ${mount.name}: subPath ${JSON.stringify(mount.subPath)} must be a relative path without '..'`);
    }
    mounts.push({ volume: mount.name, mountPath, ...(subPath !== undefined ? { subPath } : {}), readOnly: mount.readOnly === true });
  }
  // Parents first so that a mount inside another lands on top of it (stable for equal depth).
  return mounts
    .map((mount, index) => ({ mount, index, depth: mount.mountPath.split('/').length }))
    .sort((a, b) => a.depth - b.depth || a.index - b.index)
    .map(({ mount }) => mount);
}

/** The mount (deepest first) that holds `path`, and the path's place inside it. */
export function mountHolding(mounts: readonly ResolvedMount[], path: string): { mount: ResolvedMount; rest: string } | undefined {
  let best: { mount: ResolvedMount; rest: string } | undefined;
  for (const mount of mounts) {
    if (path === mount.mountPath || path.startsWith(`${mount.mountPath}/`)) {
      if (!best || mount.mountPath.length > best.mount.mountPath.length) best = { mount, rest: path.slice(mount.mountPath.length).replace(/^\//, '') };
    }
  }
  return best;
}

/** The pod's hostname, as the kubelet makes it: the pod name cut to 63 characters, without a trailing '-' or '.'. */
export function podHostname(pod: Pod): string {
  return pod.metadata.name.slice(0, 63).replace(/[-.]+$/, '');
}

/** Env var that tells a container without mount namespaces where a volume is: FLOTILLA_VOLUME_<NAME> (dashes become underscores). */
export function volumeEnvName(volume: string): string {
  return `FLOTILLA_VOLUME_${volume.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

/**
 * Kubernetes' $(VAR) expansion in env values, command and args: `$(NAME)` becomes the value when NAME
 * is defined and stays as written otherwise; `$$` is a literal `$`.
 */
export function expandVarRefs(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const char = input[i];
    if (char !== '$' || i + 1 >= input.length) {
      out += char;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close === -1) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const value = lookup(name);
      out += value ?? `$(${name})`;
      i = close;
    } else {
      out += char;
    }
  }
  return out;
}

/** How to start one container of the pod inside its sandbox. Throws ContainerStartError('CreateContainerConfigError') for an unusable config. */
export function containerLaunch(input: ContainerLaunchInput): ContainerLaunch {
  const { pod, container, network, volumes, privileged } = input;
  const command = container.command ?? [];
  if (command.length === 0) {
    throw configError(pod, container, 'no command: the process runtime runs no images, so a container needs a command (and optionally args)');
  }
  const mounts = resolveMounts(pod, container);
  for (const mount of mounts) {
    if (volumes[mount.volume] === undefined) throw configError(pod, container, `volume ${mount.volume} was not prepared for the pod`);
  }
  let workingDir: string | undefined;
  if (container.workingDir !== undefined && container.workingDir !== '') {
    workingDir = normaliseAbsolutePath(container.workingDir);
    if (workingDir === undefined) throw configError(pod, container, `workingDir ${JSON.stringify(container.workingDir)} must be an absolute path without '..'`);
  }

  const hostname = podHostname(pod);
  const provided: Record<string, string> = {
    POD_IP: network.podIP,
    POD_NAME: pod.metadata.name,
    POD_NAMESPACE: pod.metadata.namespace,
    HOSTNAME: hostname,
  };
  if (!privileged) {
    for (const mount of mounts) {
      const name = volumeEnvName(mount.volume);
      provided[name] ??= hostSource(volumes, mount);
    }
  }
  const containerEnv = resolveEnv(pod, container, network, provided);
  const env: Record<string, string> = { ...(input.baseEnv ?? defaultBaseEnv()), ...provided, ...containerEnv };
  const lookupEnv = (name: string): string | undefined => (Object.hasOwn(containerEnv, name) ? containerEnv[name] : provided[name]);
  const commandLine = [...command, ...(container.args ?? [])].map((word) => expandVarRefs(word, lookupEnv));

  if (!privileged) {
    let cwd = '/';
    if (workingDir !== undefined) {
      const held = mountHolding(mounts, workingDir);
      cwd = held ? posix.join(hostSource(volumes, held.mount), held.rest) : workingDir;
    }
    return { argv: [...network.execPrefix, ...commandLine], env, cwd };
  }
  const mountArgs = mounts.flatMap((mount) => [hostSource(volumes, mount), mount.mountPath, mount.readOnly ? 'ro' : 'rw']);
  const argv = [
    ...network.execPrefix,
    'unshare', '--mount', '--uts', '--propagation', 'private', '--',
    '/bin/sh', '-c', SANDBOX_SCRIPT, 'sh',
    hostname, workingDir ?? '', String(mounts.length), ...mountArgs,
    ...commandLine,
  ];
  return { argv, env, cwd: '/' };
}

/** Same namespaces, for an exec probe or preStop hook in a running container (root: nsenter into its network, mount and UTS namespaces and working directory). */
export function execInContainerArgv(input: { containerPid: number; command: string[]; privileged: boolean }): string[] {
  if (!input.privileged) return [...input.command];
  if (!Number.isInteger(input.containerPid) || input.containerPid <= 0) throw new RangeError(`invalid container pid ${input.containerPid}`);
  return ['nsenter', '-t', String(input.containerPid), '-n', '-m', '-u', '--wd', '--', ...input.command];
}

function hostSource(volumes: PodVolumePaths, mount: ResolvedMount): string {
  const root = volumes[mount.volume] as string;
  return mount.subPath !== undefined ? posix.join(root, mount.subPath) : root;
}

function defaultBaseEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? DEFAULT_PATH };
  if (process.env.LANG !== undefined) env.LANG = process.env.LANG;
  return env;
}

/** The container's env in order, each value able to refer to the ones before it (and to the provided POD_* vars). */
function resolveEnv(pod: Pod, container: Container, network: PodNetworkSetup, provided: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  const lookup = (name: string): string | undefined => (Object.hasOwn(env, name) ? env[name] : provided[name]);
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      env[variable.name] = expandVarRefs(variable.value, lookup);
    } else if (variable.valueFrom !== undefined && variable.valueFrom !== null) {
      const value = valueFrom(pod, container, network, variable.name, variable.valueFrom);
      if (value !== undefined) env[variable.name] = value;
    } else {
      env[variable.name] = '';
    }
  }
  return env;
}

/** The downward API fields a process pod can answer; ConfigMaps and Secrets do not exist in Flotilla. */
function valueFrom(pod: Pod, container: Container, network: PodNetworkSetup, name: string, source: unknown): string | undefined {
  const from = (typeof source === 'object' && source !== null ? source : {}) as Record<string, unknown>;
  const fail = (message: string): never => {
    throw configError(pod, container, `env ${name}: ${message}`);
  };
  const fieldRef = from.fieldRef as { fieldPath?: unknown } | undefined;
  if (fieldRef && typeof fieldRef.fieldPath === 'string') {
    const path = fieldRef.fieldPath;
    const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
    if (keyed) {
      const map = keyed[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
      return map?.[keyed[2] as string] ?? '';
    }
    switch (path) {
      case 'metadata.name':
        return pod.metadata.name;
      case 'metadata.namespace':
        return pod.metadata.namespace;
      case 'metadata.uid':
        return pod.metadata.uid;
      case 'spec.nodeName':
        return pod.spec.nodeName ?? pod.status?.nodeName ?? '';
      case 'spec.serviceAccountName':
        return typeof pod.spec.serviceAccountName === 'string' ? pod.spec.serviceAccountName : 'default';
      case 'status.podIP':
      case 'status.podIPs':
        return network.podIP;
      default:
        return fail(`fieldRef ${path} is not supported by the process runtime`);
    }
  }
  for (const kind of ['configMapKeyRef', 'secretKeyRef'] as const) {
    const ref = from[kind] as { name?: unknown; optional?: unknown } | undefined;
    if (ref) {
      if (ref.optional === true) return undefined;
      return fail(`${kind === 'configMapKeyRef' ? 'configmap' : 'secret'} ${JSON.stringify(ref.name ?? '')} not found (Flotilla has no ${kind === 'configMapKeyRef' ? 'ConfigMaps' : 'Secrets'})`);
    }
  }
  return fail('valueFrom: only fieldRef is supported by the process runtime');
}
