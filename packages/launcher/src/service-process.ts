import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export type ServiceName = 'api' | 'scheduler' | 'controller' | 'node-agent';

export interface ServiceSpec {
  /** Label used in logs and file names, e.g. 'node-agent-b'. */
  id: string;
  service: ServiceName;
  args: string[];
  env?: Record<string, string>;
  /** Where stdout/stderr go (appended across restarts). */
  logFile: string;
  /** Also echo output to this stream with a `[id]` prefix. */
  echo?: NodeJS.WritableStream;
}

/**
 * One Flotilla service as a separate OS process (node + tsx running services/<name>/src/main.ts),
 * restartable, with its output kept in a log file.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exitPromise: Promise<number | null> = Promise.resolve(null);
  private output: WriteStream | undefined;
  private recent: string[] = [];

  constructor(readonly spec: ServiceSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running) throw new Error(`${this.spec.id} is already running`);
    mkdirSync(dirname(this.spec.logFile), { recursive: true });
    this.output ??= createWriteStream(this.spec.logFile, { flags: 'a' });
    const main = join(REPO_ROOT, 'services', this.spec.service, 'src', 'main.ts');
    // FLOTILLA_PROFILE_DIR: every service writes V8 CPU profiles there when it exits, one per thread,
    // named CPU.<date>.<pid>.<thread>.cpuprofile (node refuses
    // --cpu-prof in NODE_OPTIONS, so it is passed here).
    const profileDir = this.spec.env?.FLOTILLA_PROFILE_DIR ?? process.env.FLOTILLA_PROFILE_DIR;
    const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const child = spawn(process.execPath, [...profiling, '--import', 'tsx', main, ...this.spec.args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const onData = (chunk: Buffer): void => {
      this.output?.write(chunk);
      const text = chunk.toString();
      this.recent.push(text);
      if (this.recent.length > 50) this.recent.shift();
      if (this.spec.echo) {
        for (const line of text.split('\n')) if (line) this.spec.echo.write(`[${this.spec.id}] ${line}\n`);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exitPromise = new Promise((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  }

  /** The last lines it printed, for error messages when a test fails. */
  tail(): string {
    return this.recent.join('').split('\n').slice(-30).join('\n');
  }

  /** Stops it: SIGTERM (graceful) by default, SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  /** Dies the hard way, as a crash would. */
  async kill(): Promise<void> {
    await this.stop('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    this.start();
  }

  exited(): Promise<number | null> {
    return this.exitPromise;
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((done) => (this.output ? this.output.end(done) : done()));
    this.output = undefined;
  }
}
