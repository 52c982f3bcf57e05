import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { getFreePort } from './free-port.ts';

export const NATS_SERVER_INSTALL_HINT =
  'nats-server not found on PATH. Install it: Debian/Ubuntu `sudo apt-get install nats-server`; ' +
  'macOS `brew install nats-server`; or run `docker compose up nats`. Or set NATS_SERVER_BIN.';

export class NatsServerNotFoundError extends Error {
  constructor(options?: ErrorOptions) {
    super(NATS_SERVER_INSTALL_HINT, options);
    this.name = 'NatsServerNotFoundError';
  }
}

export class NatsServerStartError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NatsServerStartError';
  }
}

export interface StartNatsServerOptions {
  /** JetStream store directory; default: a fresh temp dir that stop() removes. */
  storeDir?: string;
  /** Client port; default: a free port. */
  port?: number;
  /** Path or name of the binary; default: $NATS_SERVER_BIN, `nats-server` on PATH, /usr/sbin, /usr/local/bin. */
  binary?: string;
  /** How long to wait for the server to accept connections with JetStream ready (default 10 s). */
  readyTimeoutMs?: number;
}

export interface RunningNatsServer {
  /** 'nats://127.0.0.1:PORT' */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** The current child process (a new one after restart()). */
  readonly process: ChildProcess;
  /** SIGTERM, wait for exit (SIGKILL after 5 s); removes the store dir if it was created here. */
  stop(): Promise<void>;
  /** Sends a signal to the current process without waiting (default SIGKILL: a crash). */
  kill(signal?: NodeJS.Signals): boolean;
  /** Resolves when the current process has exited. */
  waitForExit(): Promise<void>;
  /**
   * Freezes the server (SIGSTOP) and resolves once it is really stopped: connections stay open
   * but nothing is answered, the way a hung or partitioned server looks to clients.
   */
  pause(): Promise<void>;
  /** Continues a paused server (SIGCONT). */
  resume(): void;
  /** Stops the server and starts it again on the same port with the same store (outage tests). */
  restart(): Promise<void>;
  /** The last lines the server wrote (stderr and stdout). */
  logs(): string;
}

const LOG_LIMIT_CHARS = 16_384;
const STOP_GRACE_MS = 5_000;
const DEFAULT_READY_TIMEOUT_MS = 10_000;
const FALLBACK_LOCATIONS = ['/usr/sbin/nats-server', '/usr/local/bin/nats-server'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Resolves the nats-server binary or throws NatsServerNotFoundError with install instructions. */
export function findNatsServerBinary(binary?: string): string {
  const explicit = binary ?? process.env['NATS_SERVER_BIN'];
  if (explicit !== undefined && explicit !== '') {
    const found = explicit.includes('/') ? (isExecutable(explicit) ? explicit : undefined) : findOnPath(explicit);
    if (found === undefined) {
      throw new NatsServerNotFoundError({ cause: new Error(`not executable or not found: ${explicit}`) });
    }
    return found;
  }
  const found = findOnPath('nats-server') ?? FALLBACK_LOCATIONS.find(isExecutable);
  if (found === undefined) throw new NatsServerNotFoundError();
  return found;
}

class LogRing {
  private text = '';
  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > LOG_LIMIT_CHARS * 2) this.text = this.text.slice(-LOG_LIMIT_CHARS);
  }
  toString(): string {
    return this.text.length > LOG_LIMIT_CHARS ? this.text.slice(-LOG_LIMIT_CHARS) : this.text;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * True once the server accepts a client connection and answers a JetStream account-info request.
 * The server name check makes sure it is our process answering, not another one on the same port.
 */
async function jetStreamReady(url: string, serverName: string): Promise<boolean> {
  let nc;
  try {
    nc = await connect({ servers: url, reconnect: false, timeout: 1_000 });
  } catch {
    return false;
  }
  try {
    if (nc.info?.server_name !== serverName) return false;
    const jsm = await jetstreamManager(nc, { timeout: 1_000 });
    await jsm.getAccountInfo();
    return true;
  } catch {
    return false;
  } finally {
    await nc.close().catch(() => undefined);
  }
}

class NatsServerProcess implements RunningNatsServer {
  readonly url: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private hasExited = true;
  private readonly log = new LogRing();
  private readonly onParentExit = (): void => {
    // Never leave a server behind when the test process dies.
    this.child?.kill('SIGKILL');
  };

  readonly port: number;
  readonly storeDir: string;
  private readonly serverName: string;
  private readonly binary: string;
  private readonly ownsStoreDir: boolean;
  private readonly readyTimeoutMs: number;

  constructor(binary: string, port: number, storeDir: string, ownsStoreDir: boolean, readyTimeoutMs: number) {
    this.binary = binary;
    this.port = port;
    this.storeDir = storeDir;
    this.ownsStoreDir = ownsStoreDir;
    this.readyTimeoutMs = readyTimeoutMs;
    this.url = `nats://127.0.0.1:${port}`;
    // Kept across restarts: the same server, the same store.
    this.serverName = `flotilla-test-${port}-${randomUUID().slice(0, 8)}`;
  }

  get process(): ChildProcess {
    if (this.child === undefined) throw new Error('nats-server was never started');
    return this.child;
  }

  logs(): string {
    return this.log.toString();
  }

  async start(): Promise<void> {
    const args = ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir, '-n', this.serverName];
    const child = spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.hasExited = false;
    let spawnError: Error | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        this.log.append(`[testkit] nats-server exited (code ${code ?? 'null'}, signal ${signal ?? 'null'})\n`);
        resolve();
      });
      child.once('error', (err) => {
        spawnError = err;
        this.hasExited = true;
        resolve();
      });
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.log.append(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.log.append(chunk));
    process.once('exit', this.onParentExit);

    const deadline = Date.now() + this.readyTimeoutMs;
    for (;;) {
      if (this.hasExited) {
        process.removeListener('exit', this.onParentExit);
        throw new NatsServerStartError(
          `nats-server (${this.binary} ${args.join(' ')}) exited before it was ready:\n${this.logs()}`,
          spawnError === undefined ? undefined : { cause: spawnError },
        );
      }
      if (await jetStreamReady(this.url, this.serverName)) return;
      if (Date.now() >= deadline) {
        await this.terminate();
        throw new NatsServerStartError(
          `nats-server on ${this.url} was not ready with JetStream within ${this.readyTimeoutMs} ms:\n${this.logs()}`,
        );
      }
      await delay(25);
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): boolean {
    return this.child?.kill(signal) ?? false;
  }

  waitForExit(): Promise<void> {
    return this.exited;
  }

  async pause(): Promise<void> {
    const pid = this.process.pid;
    this.kill('SIGSTOP');
    if (pid === undefined) return;
    // The signal is asynchronous: on Linux, wait until the kernel reports the process stopped.
    const statPath = `/proc/${pid}/stat`;
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      let stat: string;
      try {
        stat = await readFile(statPath, 'utf8');
      } catch {
        return; // no procfs (macOS): best effort
      }
      // "pid (comm) S ...": the state follows the last ')'.
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'T' || state === 't') return;
      await delay(5);
    }
    throw new Error(`nats-server (pid ${pid}) did not stop after SIGSTOP`);
  }

  resume(): void {
    this.kill('SIGCONT');
  }

  private async terminate(): Promise<void> {
    const child = this.child;
    if (child !== undefined && !this.hasExited) {
      // A SIGSTOPped server (hang simulation) only handles SIGTERM once continued.
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', this.onParentExit);
  }

  async restart(): Promise<void> {
    await this.terminate();
    await this.start();
  }

  async stop(): Promise<void> {
    await this.terminate();
    if (this.ownsStoreDir) await rm(this.storeDir, { recursive: true, force: true });
  }
}

/**
 * Starts a real nats-server with JetStream on 127.0.0.1 and waits until JetStream answers.
 * Throws NatsServerNotFoundError (with install instructions) when the binary is missing.
 */
export async function startNatsServer(opts: StartNatsServerOptions = {}): Promise<RunningNatsServer> {
  const binary = findNatsServerBinary(opts.binary);
  const ownsStoreDir = opts.storeDir === undefined;
  const storeDir = opts.storeDir ?? (await mkdtemp(join(tmpdir(), 'flotilla-nats-')));
  const port = opts.port ?? (await getFreePort());
  const server = new NatsServerProcess(
    binary,
    port,
    storeDir,
    ownsStoreDir,
    opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
  );
  try {
    await server.start();
  } catch (err) {
    if (ownsStoreDir) await rm(storeDir, { recursive: true, force: true });
    throw err;
  }
  return server;
}
