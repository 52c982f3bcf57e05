import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseQuantity, type Container, type LifecycleHandler, type Pod } from '@flotilla/model';
import {
  ContainerLogsNotFoundError,
  ContainerStartAbortedError,
  ContainerStartError,
  type ActionResult,
  type ContainerExit,
  type ContainerKind,
  type ContainerRuntime,
  type LogReadOptions,
  type ProbeAction,
  type RunningContainer,
  type SandboxInfo,
  type SandboxOptions,
  type SandboxRef,
} from '@flotilla/runtime';
import type { Logger } from '@flotilla/service-kit';
import { runHostCommand } from './command.ts';
import { COMMAND_NOT_FOUND_EXIT_CODE, containerLaunch, execInContainerArgv, SANDBOX_SETUP_EXIT_CODE } from './container-launch.ts';
import { DEFAULT_LOG_ROTATION, logExists, readContainerLog, type LogRotation } from './container-logs.ts';
import { isProcessAlive } from './container-shim.ts';
import { bridgeName, detectNetworkMode, hostVethName, PodNetwork, uidOfNetns, type PodNetworkMode, type PodNetworkSetup } from './pod-network.ts';
import { PodVolumes } from './pod-volumes.ts';
import { execAttempt, httpGetAttempt, resolveTarget, sleepAction, tcpAttempt } from './probes.ts';
import { readJson, SandboxStore, writeJsonAtomic, type ExitRecord, type SandboxRecord, type ShimSpec, type ShimState } from './sandbox-store.ts';
import { ShimLauncher, type EsbuildApi, type ShimMode } from './shim-bundle.ts';

// The process runtime: every container is a real process on this host, in its pod's network
// namespace with the pod's volumes (pod-network.ts, pod-volumes.ts, container-launch.ts), run by a
// detached shim (container-shim.ts) that keeps its log and records its exit on disk
// (sandbox-store.ts). The shims outlive the agent, so a restarted agent re-attaches to what runs and
// learns how the rest ended.
//
// Decisions worth knowing:
// - A command that cannot be executed (not found, not executable, a volume that cannot be mounted) is,
//   as in Kubernetes, a container that terminated at once with exit code 128 and reason StartError
//   and the command's problem as its message; startContainer resolves,
//   so restartPolicy and CrashLoopBackOff apply. A container without a command is rejected with
//   CreateContainerConfigError.
// - removeSandbox deletes the pod's directory, logs included: the pod is gone, as with the kubelet.
// - Only the newest and the previous instance of a container (and their logs) are kept.

const HERE = dirname(fileURLToPath(import.meta.url));

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(HERE, '../../package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
export const PROCESS_RUNTIME_VERSION = `process://${PACKAGE_VERSION}`;
export const POD_NETWORK_LABEL = 'node.flotilla.io/pod-network';
export const DEFAULT_MEMORY_CGROUP_ROOT = '/sys/fs/cgroup/memory/flotilla';

export interface ProcessRuntimeOptions {
  /** Absolute directory for sandbox records, container state and logs (one per node agent; records say their node). */
  stateDir: string;
  /** netns (root) or loopback; see detectNetworkMode. */
  networkMode: PodNetworkMode;
  /**
   * Mount and UTS namespaces with bind mounts, tmpfs and memory cgroups (needs root). Default: root
   * in netns mode (detectNetworkMode has then checked `unshare` too).
   */
  privileged?: boolean;
  /** Container log rotation. Default 10 MiB, 5 files. */
  logRotation?: Partial<LogRotation>;
  /**
   * Parent cgroup (in a cgroup v1 memory hierarchy) for containers with a memory limit, privileged
   * only; false for none. Default /sys/fs/cgroup/memory/flotilla; ignored where that is not cgroup v1.
   */
  memoryCgroupRoot?: string | false;
  /** PATH, LANG and the like for containers; default: this process's PATH and LANG. */
  baseEnv?: Record<string, string>;
  /** How long a shim may take to start its container. Default 30 s. */
  shimStartTimeoutMs?: number;
  /** How often exits are looked for. Default 100 ms. */
  pollMs?: number;
  /**
   * How container shims run: 'bundled' (default) builds container-shim-main.ts once into plain
   * JavaScript under stateDir and runs it with node, falling back to 'tsx' (node --import tsx on the
   * source: heavier and slower to start) when the bundle cannot be built.
   */
  shim?: ShimMode;
  /** Replaces esbuild for the shim bundle (tests). */
  esbuild?: EsbuildApi;
  logger?: Logger;
  /** Replaces the network part (tests). */
  network?: PodNetwork;
  /** Replaces the volume part (tests). */
  volumes?: PodVolumes;
}

/** Where `ip netns` keeps the named network namespaces. */
const NETNS_DIR = '/run/netns';

/** A sandbox record older than this without sandbox.json is a crashed createSandbox, not one in progress. */
const INCOMPLETE_SANDBOX_AGE_MS = 60_000;

export class ProcessRuntime implements ContainerRuntime {
  readonly mode = 'process';
  readonly version = PROCESS_RUNTIME_VERSION;
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly networkMode: PodNetworkMode;
  readonly privileged: boolean;
  readonly store: SandboxStore;
  private readonly network: PodNetwork;
  private readonly volumes: PodVolumes;
  private readonly rotation: LogRotation;
  private readonly memoryCgroupRoot: string | undefined;
  private readonly baseEnv: Record<string, string> | undefined;
  private readonly shimStartTimeoutMs: number;
  private readonly pollMs: number;
  private readonly logger: Logger | undefined;
  private readonly shimLauncher: ShimLauncher;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly podLocks = new Map<string, Promise<void>>();
  private readonly watchers = new Set<ExitWatcher>();
  /** Pods whose sandbox is being removed: no probe may aim at their address any more. */
  private readonly removing = new Set<string>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(options: ProcessRuntimeOptions) {
    this.store = new SandboxStore(options.stateDir);
    this.networkMode = options.networkMode;
    this.privileged = options.privileged ?? (process.getuid?.() === 0 && options.networkMode === 'netns');
    this.logger = options.logger;
    this.network = options.network ?? new PodNetwork({ mode: options.networkMode, ...(options.logger ? { logger: options.logger } : {}) });
    this.volumes = options.volumes ?? new PodVolumes({ privileged: this.privileged, ...(options.logger ? { logger: options.logger } : {}) });
    this.rotation = { ...DEFAULT_LOG_ROTATION, ...options.logRotation };
    const cgroupRoot = options.memoryCgroupRoot ?? DEFAULT_MEMORY_CGROUP_ROOT;
    this.memoryCgroupRoot = this.privileged && cgroupRoot !== false && isMemoryCgroupV1(dirname(cgroupRoot)) ? cgroupRoot : undefined;
    this.baseEnv = options.baseEnv;
    this.shimStartTimeoutMs = options.shimStartTimeoutMs ?? 30_000;
    this.pollMs = options.pollMs ?? 100;
    this.nodeLabels = { [POD_NETWORK_LABEL]: this.networkMode };
    this.shimLauncher = new ShimLauncher({
      stateDir: options.stateDir,
      mode: options.shim ?? 'bundled',
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.esbuild ? { esbuild: options.esbuild } : {}),
    });
  }

  /** How new shims run: 'bundled', or 'tsx' when asked for or when the bundle could not be built. */
  get shimMode(): ShimMode {
    return this.shimLauncher.mode;
  }

  // ---- sandboxes ------------------------------------------------------------------------------

  async createSandbox(pod: Pod, options: SandboxOptions): Promise<SandboxInfo> {
    const uid = pod.metadata.uid;
    return this.withPodLock(uid, async () => {
      const podDir = this.store.podDir(uid);
      await mkdir(podDir, { recursive: true });
      const request = { uid, nodeName: options.node.name, podCIDR: options.node.podCIDR, podIP: options.podIP };
      const setup = await this.network.setUp(request);
      const volumes = await this.volumes.prepare(podDir, pod);
      const record: SandboxRecord = {
        uid,
        namespace: pod.metadata.namespace,
        name: pod.metadata.name,
        nodeName: options.node.name,
        podCIDR: options.node.podCIDR,
        podIP: setup.podIP,
        requestedPodIP: options.podIP,
        mode: setup.mode,
        ...(setup.netns !== undefined ? { netns: setup.netns } : {}),
        execPrefix: setup.execPrefix,
        volumes,
      };
      await this.store.writeSandbox(record);
      this.sandboxes.set(uid, record);
      return { podIP: setup.podIP };
    });
  }

  async removeSandbox(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid;
    await this.withPodLock(uid, async () => {
      const record = this.sandboxes.get(uid) ?? (await this.store.readSandbox(uid));
      await this.destroySandbox(uid, {
        namespace: record?.namespace ?? pod.metadata.namespace,
        name: record?.name ?? pod.metadata.name,
        nodeName: record?.nodeName ?? pod.spec.nodeName ?? '',
        podCIDR: record?.podCIDR ?? '',
      });
    });
  }

  async listSandboxes(nodeNames: ReadonlySet<string>): Promise<SandboxRef[]> {
    const refs = new Map<string, SandboxRef>();
    for (const uid of await this.store.podUids()) {
      const record = await this.store.readSandbox(uid);
      if (record) {
        if (nodeNames.has(record.nodeName)) refs.set(uid, { uid, namespace: record.namespace, name: record.name, nodeName: record.nodeName });
        continue;
      }
      // A pod directory without a record: createSandbox was interrupted (not one still running).
      const age = Date.now() - (await stat(this.store.podDir(uid)).then((s) => s.mtimeMs, () => Date.now()));
      if (age >= INCOMPLETE_SANDBOX_AGE_MS) refs.set(uid, { uid, namespace: '', name: '', nodeName: '' });
    }
    // Network namespaces with no record whose veth hangs on one of our nodes' bridges.
    const namespaces = await this.network.listNamespaces();
    const unrecorded = namespaces.map((ns) => uidOfNetns(ns)).filter((uid): uid is string => uid !== undefined && !refs.has(uid));
    if (unrecorded.length > 0) {
      for (const nodeName of nodeNames) {
        const members = await bridgeMembers(bridgeName(nodeName));
        for (const uid of unrecorded) {
          if (!refs.has(uid) && members.has(hostVethName(uid)) && !(await this.store.readSandbox(uid))) {
            refs.set(uid, { uid, namespace: '', name: '', nodeName });
          }
        }
      }
    }
    return [...refs.values()];
  }

  async removeOrphanSandbox(ref: SandboxRef): Promise<void> {
    await this.withPodLock(ref.uid, async () => {
      const record = await this.store.readSandbox(ref.uid);
      await this.destroySandbox(ref.uid, {
        namespace: record?.namespace ?? ref.namespace,
        name: record?.name ?? ref.name,
        nodeName: record?.nodeName ?? ref.nodeName,
        podCIDR: record?.podCIDR ?? '',
      });
    });
  }

  /** Kills whatever still runs, then removes volumes, network and the pod's directory. Idempotent. */
  private async destroySandbox(uid: string, where: { namespace: string; name: string; nodeName: string; podCIDR: string }): Promise<void> {
    this.removing.add(uid);
    try {
      await this.destroySandboxParts(uid, where);
    } finally {
      this.removing.delete(uid);
    }
  }

  private async destroySandboxParts(uid: string, where: { namespace: string; name: string; nodeName: string; podCIDR: string }): Promise<void> {
    await this.killPodProcesses(uid);
    await this.removeMemoryCgroups(uid);
    const podDir = this.store.podDir(uid);
    const pod = { metadata: { uid, namespace: where.namespace, name: where.name }, spec: { containers: [] } } as unknown as Pod;
    await this.volumes.remove(podDir, pod);
    await this.network.tearDown({ uid, nodeName: where.nodeName, podCIDR: where.podCIDR });
    this.sandboxes.delete(uid);
    await this.store.removePod(uid);
  }

  /** SIGKILL to every container instance's process group of the pod; then waits for their shims, killing those that linger. */
  private async killPodProcesses(uid: string): Promise<void> {
    const shims: Array<{ pid: number; startTime: string | undefined }> = [];
    for (const name of await this.store.containerNames(uid)) {
      for (const instance of await this.store.instances(uid, name)) {
        const state = await this.store.readState(uid, name, instance);
        if (state && isProcessAlive(state.pid, state.pidStartTime)) killGroup(state.pid);
        const shim = await this.store.readShim(uid, name, instance);
        if (shim && isProcessAlive(shim.shimPid, shim.shimStartTime)) shims.push({ pid: shim.shimPid, startTime: shim.shimStartTime });
      }
    }
    // A shim kills its container's group and records the exit once the process is gone.
    const deadline = Date.now() + 5_000;
    while (shims.some((s) => isProcessAlive(s.pid, s.startTime)) && Date.now() < deadline) await delay(50);
    for (const shim of shims) {
      if (!isProcessAlive(shim.pid, shim.startTime)) continue;
      try {
        process.kill(shim.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }

  private async removeMemoryCgroups(uid: string): Promise<void> {
    if (!this.memoryCgroupRoot) return;
    const podCgroup = join(this.memoryCgroupRoot, uid);
    const children = await readdir(podCgroup, { withFileTypes: true }).catch(() => []);
    for (const child of children) if (child.isDirectory()) await rmdir(join(podCgroup, child.name)).catch(() => undefined);
    await rmdir(podCgroup).catch(() => undefined);
  }

  private async sandbox(uid: string): Promise<SandboxRecord | undefined> {
    const cached = this.sandboxes.get(uid);
    if (cached) return cached;
    const record = await this.store.readSandbox(uid);
    if (record) this.sandboxes.set(uid, record);
    return record;
  }

  // ---- containers -----------------------------------------------------------------------------

  async startContainer(pod: Pod, container: Container, kind: ContainerKind, signal: AbortSignal): Promise<RunningContainer> {
    void kind;
    const uid = pod.metadata.uid;
    const podName = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (signal.aborted) throw new ContainerStartAbortedError(podName, container.name);
    if (!container.command || container.command.length === 0) {
      throw new ContainerStartError(
        'CreateContainerConfigError',
        `container ${container.name} has no command: the process runtime runs no images, so command (and args) must name a program on the node`,
      );
    }
    const sandbox = await this.sandbox(uid);
    if (!sandbox) throw new ContainerStartError('CreateContainerError', `the sandbox of pod ${podName} does not exist on this node`);
    const network: PodNetworkSetup = {
      mode: sandbox.mode,
      podIP: sandbox.podIP,
      ...(sandbox.netns !== undefined ? { netns: sandbox.netns } : {}),
      execPrefix: sandbox.execPrefix,
    };
    const launch = containerLaunch({
      pod,
      container,
      network,
      volumes: sandbox.volumes,
      privileged: this.privileged,
      ...(this.baseEnv ? { baseEnv: this.baseEnv } : {}),
    });

    // One instance of a container at a time: a previous one still running (a start the agent lost track of) goes first.
    const latest = await this.store.latestInstance(uid, container.name);
    if (latest !== undefined) await this.killInstance(uid, container.name, latest);

    const instance = await this.store.newInstance(uid, container.name);
    const dir = this.store.instanceDir(uid, container.name, instance);
    const memoryLimit = memoryLimitBytes(container);
    const spec: ShimSpec = {
      argv: launch.argv,
      env: launch.env,
      cwd: launch.cwd,
      logPath: this.store.logPath(uid, container.name, instance),
      logMaxBytes: this.rotation.maxBytes,
      logMaxFiles: this.rotation.maxFiles,
      shimPath: join(dir, 'shim.json'),
      statePath: join(dir, 'state.json'),
      exitPath: join(dir, 'exit.json'),
      ...(this.privileged ? { setupFailure: { exitCodes: [SANDBOX_SETUP_EXIT_CODE, COMMAND_NOT_FOUND_EXIT_CODE], prefix: 'flotilla: ' } } : {}),
      ...(this.memoryCgroupRoot && memoryLimit !== undefined
        ? { memoryCgroup: { path: join(this.memoryCgroupRoot, uid, `${container.name}-${instance}`), limitBytes: memoryLimit } }
        : {}),
    };
    const specPath = join(dir, 'spec.json');
    await writeJsonAtomic(specPath, spec);

    const shim = this.spawnShim(specPath, join(dir, 'shim.log'));
    const ref: InstanceRef = { uid, name: container.name, instance };
    try {
      const started = await this.waitForStart(ref, shim, signal, podName);
      this.logger?.debug('container started', { pod: podName, container: container.name, instance, pid: started.state?.pid });
      return this.handle(ref, started.state, started.exit, shim);
    } catch (error) {
      if (error instanceof ContainerStartAbortedError || error instanceof ContainerStartError) throw error;
      throw new ContainerStartError('RunContainerError', `starting container ${container.name} of pod ${podName} failed: ${errorMessage(error)}`, { cause: error });
    }
  }

  async attachContainer(pod: Pod, container: Container, kind: ContainerKind, startedAt: Date): Promise<RunningContainer | undefined> {
    void kind;
    void startedAt;
    const uid = pod.metadata.uid;
    const instance = await this.store.latestInstance(uid, container.name);
    if (instance === undefined) return undefined;
    const ref: InstanceRef = { uid, name: container.name, instance };
    let exit = await this.store.readExit(uid, container.name, instance);
    let state = await this.store.readState(uid, container.name, instance);
    if (!exit && !state) {
      // A shim the previous agent started just before it died may still be starting its container.
      const shim = await this.store.readShim(uid, container.name, instance);
      if (!shim || !isProcessAlive(shim.shimPid, shim.shimStartTime)) return undefined;
      const deadline = Date.now() + this.shimStartTimeoutMs;
      while (!exit && !state && Date.now() < deadline && isProcessAlive(shim.shimPid, shim.shimStartTime)) {
        await delay(20);
        exit = await this.store.readExit(uid, container.name, instance);
        state = await this.store.readState(uid, container.name, instance);
      }
      if (!exit && !state) return undefined;
    }
    if (exit) return this.handle(ref, state, exit, undefined);
    if (!state) return undefined;
    const shimAlive = isProcessAlive(state.shimPid, state.shimStartTime);
    if (!isProcessAlive(state.pid, state.pidStartTime) && !shimAlive) {
      // Both gone: one last look, the shim may have written the exit as it went.
      exit = await this.store.readExit(uid, container.name, instance);
      return exit ? this.handle(ref, state, exit, undefined) : undefined;
    }
    return this.handle(ref, state, undefined, undefined);
  }

  private spawnShim(specPath: string, diagnosticsPath: string): ChildProcess {
    const diagnostics = openSync(diagnosticsPath, 'a');
    try {
      // Detached: its own session, so that neither the agent's exit nor a signal to the agent's group reaches it.
      const { args, cwd } = this.shimLauncher.command(specPath);
      const shim = spawn(process.execPath, args, {
        cwd,
        detached: true,
        stdio: ['ignore', diagnostics, diagnostics],
        env: process.env,
      });
      shim.unref();
      shim.on('error', (error) => this.logger?.warn('container shim could not be spawned', { specPath, error }));
      return shim;
    } finally {
      closeSync(diagnostics);
    }
  }

  /** Waits for the shim to report the container running (state.json) or ended (exit.json). */
  private async waitForStart(
    ref: InstanceRef,
    shim: ChildProcess,
    signal: AbortSignal,
    podName: string,
  ): Promise<{ state?: ShimState; exit?: ExitRecord }> {
    let shimExited = false;
    let spawnError: Error | undefined;
    shim.once('exit', () => (shimExited = true));
    shim.once('error', (error) => {
      spawnError = error;
      shimExited = true;
    });
    const deadline = Date.now() + this.shimStartTimeoutMs;
    for (;;) {
      if (signal.aborted) {
        await this.abortStart(ref, shim);
        throw new ContainerStartAbortedError(podName, ref.name);
      }
      const exit = await this.store.readExit(ref.uid, ref.name, ref.instance);
      const state = await this.store.readState(ref.uid, ref.name, ref.instance);
      if (exit || state) return { ...(state ? { state } : {}), ...(exit ? { exit } : {}) };
      if (shimExited) {
        // It may have written a file just before exiting.
        const lastExit = await this.store.readExit(ref.uid, ref.name, ref.instance);
        const lastState = await this.store.readState(ref.uid, ref.name, ref.instance);
        if (lastExit || lastState) return { ...(lastState ? { state: lastState } : {}), ...(lastExit ? { exit: lastExit } : {}) };
        const why = spawnError ? spawnError.message : `it exited with ${shim.exitCode ?? shim.signalCode}`;
        throw new ContainerStartError('RunContainerError', `the container shim for ${ref.name} of pod ${podName} failed before the container started (${why}): ${await this.shimDiagnostics(ref)}`);
      }
      if (Date.now() > deadline) {
        await this.abortStart(ref, shim);
        throw new ContainerStartError('RunContainerError', `the container shim for ${ref.name} of pod ${podName} did not start it within ${this.shimStartTimeoutMs} ms: ${await this.shimDiagnostics(ref)}`);
      }
      await delay(20, signal);
    }
  }

  /** SIGTERM tells the shim to kill its container (if it got that far) and record the exit; SIGKILL if it does not end. */
  private async abortStart(ref: InstanceRef, shim: ChildProcess): Promise<void> {
    if (shim.exitCode !== null || shim.signalCode !== null || shim.pid === undefined) return;
    const ended = new Promise<void>((done) => shim.once('exit', () => done()));
    shim.kill('SIGTERM');
    const timedOut = await Promise.race([ended.then(() => false), delay(5_000).then(() => true)]);
    if (timedOut) {
      shim.kill('SIGKILL');
      const state = await this.store.readState(ref.uid, ref.name, ref.instance);
      if (state && isProcessAlive(state.pid, state.pidStartTime)) killGroup(state.pid);
    }
  }

  private async shimDiagnostics(ref: InstanceRef): Promise<string> {
    const text = await readFile(join(this.store.instanceDir(ref.uid, ref.name, ref.instance), 'shim.log'), 'utf8').catch(() => '');
    return text.trim().split('\n').slice(-5).join(' | ') || 'no diagnostics';
  }

  /** Kills a lingering instance (process group and shim) and waits for it to go. */
  private async killInstance(uid: string, name: string, instance: number): Promise<void> {
    if (await this.store.readExit(uid, name, instance)) return;
    const state = await this.store.readState(uid, name, instance);
    if (!state || !isProcessAlive(state.pid, state.pidStartTime)) return;
    this.logger?.warn('killing a container instance still running before starting the next', { uid, container: name, instance, pid: state.pid });
    killGroup(state.pid);
    const deadline = Date.now() + 5_000;
    while (isProcessAlive(state.pid, state.pidStartTime) && Date.now() < deadline) await delay(20);
  }

  private handle(ref: InstanceRef, state: ShimState | undefined, exit: ExitRecord | undefined, shim: ChildProcess | undefined): RunningContainer {
    const startedAt = new Date(state?.startedAt ?? exit?.finishedAt ?? Date.now());
    const watcher = new ExitWatcher(ref, state);
    if (exit) watcher.resolve(exit);
    else {
      this.watchers.add(watcher);
      this.ensurePolling();
      // Our own child: its exit is the moment to look (the poll is the fallback).
      shim?.once('exit', () => void this.check(watcher));
      void watcher.exited.then(() => this.watchers.delete(watcher));
    }
    let stopping: Promise<void> | undefined;
    return {
      startedAt,
      exited: watcher.exited,
      stop: (gracePeriodMs: number): Promise<void> => {
        if (watcher.done) return Promise.resolve();
        stopping ??= (async () => {
          if (!state) return;
          signalProcess(state.pid, state.pidStartTime, 'SIGTERM');
          const timer = setTimeout(() => {
            watcher.killed = true;
            // The group may outlive its leader; it is still ours while the leader or its shim lives.
            if (isProcessAlive(state.pid, state.pidStartTime) || isProcessAlive(state.shimPid, state.shimStartTime)) killGroup(state.pid);
          }, Math.max(0, gracePeriodMs));
          try {
            await watcher.exited;
          } finally {
            clearTimeout(timer);
          }
        })();
        return stopping;
      },
    };
  }

  private ensurePolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => {
      if (this.polling) return;
      this.polling = true;
      void Promise.allSettled([...this.watchers].map((w) => this.check(w))).finally(() => {
        this.polling = false;
        if (this.watchers.size === 0 && this.pollTimer) {
          clearInterval(this.pollTimer);
          this.pollTimer = undefined;
        }
      });
    }, this.pollMs);
    this.pollTimer.unref();
  }

  private async check(watcher: ExitWatcher): Promise<void> {
    if (watcher.done) return;
    const exit = await this.store.readExit(watcher.ref.uid, watcher.ref.name, watcher.ref.instance).catch(() => undefined);
    if (exit) {
      watcher.resolve(exit);
      return;
    }
    const state = watcher.state;
    if (!state) return;
    if (isProcessAlive(state.pid, state.pidStartTime) || isProcessAlive(state.shimPid, state.shimStartTime)) return;
    // Both gone: the shim may have written the exit in between; otherwise it died without recording one.
    const last = await this.store.readExit(watcher.ref.uid, watcher.ref.name, watcher.ref.instance).catch(() => undefined);
    watcher.resolve(
      last ?? {
        exitCode: 137,
        reason: 'Error',
        message: watcher.killed
          ? 'killed after the grace period; its shim is gone and recorded no exit'
          : 'the container process and its shim are gone and no exit was recorded',
        finishedAt: new Date().toISOString(),
      },
    );
  }

  /** Stops the exit polling (the agent is shutting down; shims and containers keep running). */
  close(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  // ---- probes and hooks -----------------------------------------------------------------------

  async probe(pod: Pod, container: Container, action: ProbeAction, timeoutMs: number): Promise<ActionResult> {
    if (action.exec) return this.execIn(pod, container, action.exec.command ?? [], timeoutMs);
    if (action.httpGet) {
      const address = await this.podAddress(pod);
      if (typeof address !== 'string') return address;
      const target = resolveTarget(action.httpGet, container, address);
      if ('error' in target) return { success: false, message: target.error };
      return httpGetAttempt({ ...target, ...httpOptions(action.httpGet), timeoutMs });
    }
    if (action.tcpSocket) {
      const address = await this.podAddress(pod);
      if (typeof address !== 'string') return address;
      const target = resolveTarget(action.tcpSocket, container, address);
      if ('error' in target) return { success: false, message: target.error };
      return tcpAttempt({ ...target, timeoutMs });
    }
    if (action.grpc !== undefined && action.grpc !== null) return { success: true, message: 'grpc probes are not run by Flotilla' };
    return { success: false, message: 'the probe has no handler (exec, httpGet or tcpSocket)' };
  }

  async runHook(pod: Pod, container: Container, handler: LifecycleHandler, timeoutMs: number, signal?: AbortSignal): Promise<ActionResult> {
    if (handler.exec) return this.execIn(pod, container, handler.exec.command ?? [], timeoutMs, signal);
    if (handler.httpGet) {
      const address = await this.podAddress(pod);
      if (typeof address !== 'string') return address;
      const target = resolveTarget(handler.httpGet, container, address);
      if ('error' in target) return { success: false, message: target.error };
      // The kubelet does not look at a hook's status code: any response is success.
      return httpGetAttempt({ ...target, ...httpOptions(handler.httpGet), timeoutMs, anyStatus: true, ...(signal ? { signal } : {}) });
    }
    if (handler.sleep) {
      const ms = Math.max(0, handler.sleep.seconds) * 1000;
      if (ms <= timeoutMs) return sleepAction(handler.sleep.seconds, signal);
      await sleepAction(timeoutMs / 1000, signal);
      return { success: false, message: `sleep of ${handler.sleep.seconds}s was cut short after ${timeoutMs} ms` };
    }
    return { success: false, message: 'the hook has no handler (exec, httpGet or sleep)' };
  }

  /**
   * The pod's address, only while its network exists: without the pod's namespace (and so its veth
   * and the node's bridge) a pod IP would be routed off the machine.
   */
  private async podAddress(pod: Pod): Promise<string | { success: false; message: string }> {
    const uid = pod.metadata.uid;
    const sandbox = this.removing.has(uid) ? undefined : await this.sandbox(uid);
    const gone = { success: false as const, message: `the sandbox of pod ${pod.metadata.namespace}/${pod.metadata.name} does not exist on this node` };
    if (!sandbox) return gone;
    if (sandbox.mode === 'netns' && sandbox.netns !== undefined) {
      const exists = await stat(join(NETNS_DIR, sandbox.netns)).then(() => true, () => false);
      if (!exists) return gone;
    }
    return sandbox.podIP;
  }

  /** Runs a command in a running container's namespaces, with the container's env. */
  private async execIn(pod: Pod, container: Container, command: string[], timeoutMs: number, signal?: AbortSignal): Promise<ActionResult> {
    if (command.length === 0) return { success: false, message: 'exec: no command given' };
    const uid = pod.metadata.uid;
    const instance = await this.store.latestInstance(uid, container.name);
    const state = instance === undefined ? undefined : await this.store.readState(uid, container.name, instance);
    const exited = instance === undefined ? undefined : await this.store.readExit(uid, container.name, instance);
    if (instance === undefined || !state || exited || !isProcessAlive(state.pid, state.pidStartTime)) {
      return { success: false, message: `container ${JSON.stringify(container.name)} is not running` };
    }
    const spec = await readJson<ShimSpec>(join(this.store.instanceDir(uid, container.name, instance), 'spec.json'));
    const sandbox = await this.sandbox(uid);
    const argv = this.privileged
      ? execInContainerArgv({ containerPid: state.pid, command, privileged: true })
      : [...(sandbox?.execPrefix ?? []), ...execInContainerArgv({ containerPid: state.pid, command, privileged: false })];
    return execAttempt({
      argv,
      ...(spec ? { env: spec.env } : {}),
      ...(spec && !this.privileged ? { cwd: spec.cwd } : {}),
      timeoutMs,
      ...(signal ? { signal } : {}),
    });
  }

  // ---- logs -----------------------------------------------------------------------------------

  readLogs(pod: Pod, container: Container, options: LogReadOptions): AsyncIterable<string> {
    return this.logLines(pod, container, options);
  }

  private async *logLines(pod: Pod, container: Container, options: LogReadOptions): AsyncGenerator<string, void, undefined> {
    const uid = pod.metadata.uid;
    const name = container.name;
    const instances = await this.store.instances(uid, name);
    const latest = instances.at(-1);
    if (latest === undefined) {
      if (options.previous) throw new ContainerLogsNotFoundError(`previous terminated container ${JSON.stringify(name)} in pod ${JSON.stringify(pod.metadata.name)} not found`);
      throw new ContainerLogsNotFoundError(`container ${JSON.stringify(name)} in pod ${JSON.stringify(pod.metadata.name)} is waiting to start: ContainerCreating`);
    }
    const instance = options.previous ? latest - 1 : latest;
    const path = this.store.logPath(uid, name, instance);
    if (options.previous && !(instances.includes(instance) && (await logExists(path)))) {
      throw new ContainerLogsNotFoundError(`previous terminated container ${JSON.stringify(name)} in pod ${JSON.stringify(pod.metadata.name)} not found`);
    }
    yield* readContainerLog({
      path,
      follow: options.follow,
      timestamps: options.timestamps,
      ...(options.tailLines !== undefined ? { tailLines: options.tailLines } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      pollMs: this.pollMs,
      finished: () => this.instanceFinished({ uid, name, instance }),
    });
  }

  /** Whether an instance wrote its last output: exit recorded, or nothing of it is left to write. */
  private async instanceFinished(ref: InstanceRef): Promise<boolean> {
    if (await this.store.readExit(ref.uid, ref.name, ref.instance)) return true;
    const state = await this.store.readState(ref.uid, ref.name, ref.instance);
    if (state) return !isProcessAlive(state.pid, state.pidStartTime) && !isProcessAlive(state.shimPid, state.shimStartTime);
    const shim = await this.store.readShim(ref.uid, ref.name, ref.instance);
    return shim !== undefined && !isProcessAlive(shim.shimPid, shim.shimStartTime);
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** Runs tasks on one pod's sandbox one at a time (create, remove). */
  private async withPodLock<T>(uid: string, task: () => Promise<T>): Promise<T> {
    const previous = this.podLocks.get(uid) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((done) => (release = done));
    const tail = previous.then(() => current);
    this.podLocks.set(uid, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.podLocks.get(uid) === tail) this.podLocks.delete(uid);
    }
  }
}

/** The runtime with the network mode this host supports (netns as root with `ip`, else loopback). */
export async function createProcessRuntime(options: Omit<ProcessRuntimeOptions, 'networkMode'> & { networkMode?: PodNetworkMode }): Promise<{
  runtime: ProcessRuntime;
  networkModeReason: string;
}> {
  if (options.networkMode) return { runtime: new ProcessRuntime({ ...options, networkMode: options.networkMode }), networkModeReason: 'chosen by configuration' };
  const detected = await detectNetworkMode();
  return { runtime: new ProcessRuntime({ ...options, networkMode: detected.mode }), networkModeReason: detected.reason };
}

interface InstanceRef {
  uid: string;
  name: string;
  instance: number;
}

/** One container instance's `exited`, resolved once from its exit record. */
class ExitWatcher {
  readonly exited: Promise<ContainerExit>;
  done = false;
  /** Set when stop() had to SIGKILL (for a message when the shim is gone too). */
  killed = false;
  private resolveExit!: (exit: ContainerExit) => void;

  constructor(
    readonly ref: InstanceRef,
    readonly state: ShimState | undefined,
  ) {
    this.exited = new Promise((done) => (this.resolveExit = done));
  }

  resolve(record: ExitRecord): void {
    if (this.done) return;
    this.done = true;
    this.resolveExit(toContainerExit(record));
  }
}

/** The port's ContainerExit for an exit record. */
export function toContainerExit(record: ExitRecord): ContainerExit {
  const message = record.reason === 'StartError' ? (record.message ?? 'the container could not be started') : record.message;
  return { exitCode: record.exitCode, reason: record.reason, ...(message !== undefined ? { message } : {}), finishedAt: new Date(record.finishedAt) };
}

/**
 * Whether `dir` is (in) a cgroup v1 memory hierarchy. On cgroup v2 a mkdir there would make new
 * cgroups of a different kind, so per-container memory cgroups are then skipped.
 */
function isMemoryCgroupV1(dir: string): boolean {
  return existsSync(join(dir, 'memory.limit_in_bytes'));
}

function memoryLimitBytes(container: Container): number | undefined {
  const limit = container.resources?.limits?.memory;
  if (limit === undefined) return undefined;
  const bytes = parseQuantity(limit);
  return bytes !== undefined && bytes > 0 ? Math.ceil(bytes) : undefined;
}

function httpOptions(action: { path?: string | undefined; scheme?: 'HTTP' | 'HTTPS' | undefined; httpHeaders?: Array<{ name: string; value: string }> | undefined }): {
  path?: string;
  scheme?: 'HTTP' | 'HTTPS';
  headers?: Array<{ name: string; value: string }>;
} {
  return {
    ...(action.path !== undefined ? { path: action.path } : {}),
    ...(action.scheme !== undefined ? { scheme: action.scheme } : {}),
    ...(action.httpHeaders !== undefined ? { headers: action.httpHeaders } : {}),
  };
}

/** Signals `pid` only if it is still the process that started at `startTime` (pids are reused). */
function signalProcess(pid: number, startTime: string, signal: NodeJS.Signals): void {
  if (!isProcessAlive(pid, startTime)) return;
  try {
    process.kill(pid, signal);
  } catch {
    // exited in between
  }
}

/** SIGKILL to the process group led by `pid`. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: nothing left in it
  }
}

async function bridgeMembers(bridge: string): Promise<Set<string>> {
  try {
    const { stdout } = await runHostCommand(['ip', '-j', 'link', 'show', 'master', bridge], { timeoutMs: 10_000 });
    const links = JSON.parse(stdout.trim() || '[]') as Array<{ ifname?: unknown }>;
    return new Set(links.flatMap((link) => (typeof link.ifname === 'string' ? [link.ifname] : [])));
  } catch {
    // No such bridge: nothing of this node on it.
    return new Set();
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal?.aborted) {
      done();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      done();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      done();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
