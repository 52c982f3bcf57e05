import { execFile } from 'node:child_process';

// Host commands (ip, mount, umount, nsenter) run through this one wrapper so that a failure always
// says which command line failed, how, and what it printed on stderr.

export interface HostCommandOptions {
  /** Kill the command after this long (it then fails with signal SIGTERM). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
}

export interface HostCommandResult {
  stdout: string;
  stderr: string;
}

/** A host command could not run or exited non-zero. */
export class HostCommandError extends Error {
  /** The argv that was run. */
  readonly command: readonly string[];
  /** The exit code; null when it did not exit normally (signal, not found, timeout). */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;

  constructor(
    command: readonly string[],
    details: { exitCode: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; reason: string },
    options?: ErrorOptions,
  ) {
    const stderr = details.stderr.trim();
    super(`${formatCommandLine(command)}: ${details.reason}${stderr ? `: ${stderr}` : ''}`, options);
    this.name = 'HostCommandError';
    this.command = command;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.stdout = details.stdout;
    this.stderr = details.stderr;
  }
}

/** Runs argv[0] with the rest as arguments (no shell); resolves with its output when it exits 0. */
export function runHostCommand(argv: readonly string[], options: HostCommandOptions = {}): Promise<HostCommandResult> {
  const [program, ...args] = argv;
  if (program === undefined) return Promise.reject(new TypeError('runHostCommand: empty argv'));
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      {
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
        ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
        ...(options.env ? { env: options.env } : {}),
        ...(options.cwd ? { cwd: options.cwd } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr });
          return;
        }
        const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
        const signal = (error as { signal?: NodeJS.Signals | null }).signal ?? null;
        const exitCode = typeof code === 'number' ? code : null;
        const reason =
          code === 'ENOENT'
            ? `${program} not found`
            : exitCode !== null
              ? `exited with code ${exitCode}`
              : signal
                ? `killed by ${signal}`
                : error.message;
        reject(new HostCommandError(argv, { exitCode, signal, stdout: String(stdout), stderr: String(stderr), reason }, { cause: error }));
      },
    );
  });
}

/** The command as a shell would read it (for messages only). */
export function formatCommandLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** Quotes one word for a POSIX shell: plain words stay as they are, anything else goes in single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

// Host state (a node's bridge, the mount point registry) is changed by read-check-write sequences of
// commands; one agent process owns a node, so an in-process lock per key is enough to keep them apart.
const locks = new Map<string, Promise<void>>();

/** Runs `task` once every earlier task holding the same key has finished (FIFO per key). */
export async function withHostLock<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  let release!: () => void;
  const current = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => current);
  locks.set(key, tail);
  await previous;
  try {
    return await task();
  } finally {
    release();
    if (locks.get(key) === tail) locks.delete(key);
  }
}
