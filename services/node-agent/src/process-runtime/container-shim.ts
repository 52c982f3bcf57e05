import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { ContainerLogWriter } from './container-logs.ts';
import type { ExitRecord, ShimIdentity, ShimSpec, ShimState } from './sandbox-store.ts';

// The container shim (containerd-shim / conmon): one small process per container, started detached
// by the runtime, that outlives the node agent. It runs the container's argv in a process group of
// its own, writes stdout and stderr into the container's log, records that the process runs
// (state.json) and, when it ends, how (exit.json), after killing what is left of its process group:
// the container's leftovers die with it, as when a pid namespace ends. SIGTERM to the shim aborts a
// start: the container's process group is killed and the exit recorded.

/** How long to wait for the output pipes to close once the process group is dead (an escaped daemon may hold them). */
const PIPE_DRAIN_MS = 2_000;

export async function runShim(specPath: string): Promise<void> {
  let child: ChildProcess | undefined;
  let aborted = false;
  process.on('SIGTERM', () => {
    aborted = true;
    if (child?.pid !== undefined) killGroup(child.pid);
  });
  process.on('SIGHUP', () => undefined);
  process.on('SIGINT', () => undefined);

  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as ShimSpec;
  // Who we are, before anything runs: a restarted agent can then tell a starting shim from a dead one.
  writeJsonSync(spec.shimPath, { shimPid: process.pid, ...optional('shimStartTime', processStartTime(process.pid)) } satisfies ShimIdentity);
  let writer: ContainerLogWriter;
  try {
    writer = new ContainerLogWriter(spec.logPath, { maxBytes: spec.logMaxBytes, maxFiles: spec.logMaxFiles });
  } catch (error) {
    const message = `cannot open the container log ${spec.logPath}: ${error instanceof Error ? error.message : String(error)}`;
    writeExit(spec, { exitCode: 128, reason: 'StartError', message, finishedAt: new Date().toISOString() });
    return;
  }
  const cgroup = spec.memoryCgroup ? createMemoryCgroup(spec.memoryCgroup.path, spec.memoryCgroup.limitBytes) : undefined;
  const [program, ...args] = cgroup ? joinCgroupArgv(cgroup, spec.argv) : spec.argv;
  if (program === undefined) {
    writeExit(spec, { exitCode: 128, reason: 'StartError', message: 'no command to run', finishedAt: new Date().toISOString() });
    return;
  }

  // The start of the output, to recognise a failure of the launch script before the command ran.
  let stdoutSeen = false;
  let stderrHead = '';
  const ended = new Promise<ExitRecord>((resolve) => {
    const proc = spawn(program, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let spawned = false;
    // A log that cannot be written (disk full) loses output, never the shim: it must record the exit.
    let writeFailed = false;
    const record = (stream: 'stdout' | 'stderr', chunk: Buffer): void => {
      try {
        writer.write(stream, chunk);
      } catch (error) {
        if (!writeFailed) log(`container output lost: ${error instanceof Error ? error.message : String(error)}`);
        writeFailed = true;
      }
    };
    proc.stdout?.on('data', (chunk: Buffer) => {
      stdoutSeen = true;
      record('stdout', chunk);
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      if (stderrHead.length < 4096) stderrHead += chunk.toString('utf8');
      record('stderr', chunk);
    });
    proc.on('error', (error: NodeJS.ErrnoException) => {
      if (spawned) {
        log(`container process error: ${error.message}`);
        return;
      }
      resolve({ exitCode: 128, reason: 'StartError', message: startErrorMessage(spec.argv[0] ?? program, spec.cwd, error), finishedAt: new Date().toISOString() });
    });
    proc.on('spawn', () => {
      spawned = true;
      const pid = proc.pid;
      if (pid === undefined) return;
      const state: ShimState = {
        shimPid: process.pid,
        ...optional('shimStartTime', processStartTime(process.pid)),
        pid,
        pidStartTime: processStartTime(pid) ?? '',
        startedAt: new Date().toISOString(),
      };
      writeJsonSync(spec.statePath, state);
      if (aborted) killGroup(pid);
    });
    proc.on('exit', (code, signal) => {
      if (proc.pid !== undefined) killGroup(proc.pid);
      const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
      // Wait for the pipes so that the last output is in the log before the exit is recorded.
      const timer = setTimeout(() => {
        proc.stdout?.destroy();
        proc.stderr?.destroy();
        finish();
      }, PIPE_DRAIN_MS);
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const oomKilled = exitCode !== 0 && cgroup !== undefined && oomKills(cgroup) > 0;
        const setup = stdoutSeen ? undefined : setupFailure(spec, exitCode, stderrHead);
        if (setup !== undefined) {
          resolve({ exitCode: 128, reason: 'StartError', message: setup, finishedAt: new Date().toISOString() });
          return;
        }
        resolve({
          exitCode,
          ...optional('signal', signal ?? undefined),
          reason: exitCode === 0 ? 'Completed' : oomKilled ? 'OOMKilled' : 'Error',
          ...(aborted ? { message: 'the container start was aborted' } : {}),
          finishedAt: new Date().toISOString(),
        });
      };
      proc.on('close', finish);
    });
  });

  const exit = await ended;
  try {
    writer.close();
  } catch (error) {
    log(`closing the container log failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (cgroup) removeCgroup(cgroup);
  writeExit(spec, exit);
}

function writeExit(spec: ShimSpec, exit: ExitRecord): void {
  writeJsonSync(spec.exitPath, exit);
}

/**
 * The launch script's own failure (mounts, workingDir, command not found), told apart from the
 * command's: one of its exit codes, and its one line of output is the script's message.
 */
function setupFailure(spec: ShimSpec, exitCode: number, stderr: string): string | undefined {
  const setup = spec.setupFailure;
  if (!setup || !setup.exitCodes.includes(exitCode)) return undefined;
  const text = stderr.replace(/\n$/, '');
  if (!text.startsWith(setup.prefix) || text.includes('\n')) return undefined;
  const message = text.slice(setup.prefix.length);
  const notFound = /^executable file not found in \$PATH: (.*)$/s.exec(message);
  if (notFound) return startErrorMessage(notFound[1] ?? '', '/', Object.assign(new Error('not found'), { code: 'ENOENT' }));
  return message;
}

/** SIGKILL to the whole process group led by `pid` (no-op once it is empty). */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: nothing left.
  }
}

/** Kubernetes' wording for a container that could not be started (runc's exec errors). */
export function startErrorMessage(program: string, cwd: string, error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT' && !existsSync(cwd)) return `chdir to cwd (${JSON.stringify(cwd)}) set in config.json failed: no such file or directory`;
  if (error.code === 'ENOENT') {
    return program.includes('/')
      ? `exec: ${JSON.stringify(program)}: stat ${program}: no such file or directory`
      : `exec: ${JSON.stringify(program)}: executable file not found in $PATH`;
  }
  if (error.code === 'EACCES') return `exec: ${JSON.stringify(program)}: permission denied`;
  return `exec: ${JSON.stringify(program)}: ${error.message}`;
}

/** /proc/<pid>/stat field 22: the process's start time in clock ticks since boot (undefined if it is gone). */
export function processStartTime(pid: number): string | undefined {
  return processStat(pid)?.startTime;
}

/** Whether `pid` is still the process that started at `startTime` and has not exited (a zombie has). */
export function isProcessAlive(pid: number, startTime: string | undefined): boolean {
  const stat = processStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === undefined || startTime === '' || stat.startTime === startTime;
}

function processStat(pid: number): { state: string; startTime: string } | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 (comm) is in parentheses and may contain spaces; count from the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field 22 is rest[19].
  const startTime = rest[19];
  if (startTime === undefined) return undefined;
  return { state: rest[0] ?? '', startTime };
}

function createMemoryCgroup(path: string, limitBytes: number | undefined): string | undefined {
  try {
    mkdirSync(path, { recursive: true });
    if (limitBytes !== undefined) writeFileSync(join(path, 'memory.limit_in_bytes'), String(limitBytes));
    return path;
  } catch (error) {
    log(`no memory cgroup for the container (${error instanceof Error ? error.message : String(error)}); running without`);
    return undefined;
  }
}

/** The container's argv behind a shell that first moves itself into the cgroup, so that everything it execs is accounted there. */
function joinCgroupArgv(cgroup: string, argv: string[]): string[] {
  return ['/bin/sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup, ...argv];
}

function oomKills(cgroup: string): number {
  try {
    const control = readFileSync(join(cgroup, 'memory.oom_control'), 'utf8');
    const match = /^oom_kill (\d+)$/m.exec(control);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function removeCgroup(cgroup: string): void {
  // The killed processes leave the cgroup a moment after they die.
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      rmdirSync(cgroup);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  log(`memory cgroup ${cgroup} could not be removed`);
}

function writeJsonSync(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The shim's diagnostics go to its stderr, which the runtime points at shim.log. */
function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${message}\n`);
}
