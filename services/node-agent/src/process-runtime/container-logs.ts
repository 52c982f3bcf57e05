import { closeSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

// Container logs as the kubelet keeps them under /var/log/pods: one file per container instance in
// the CRI log format, `<RFC3339Nano time> <stdout|stderr> <F|P> <content>`, one record per line. A
// line longer than MAX_LINE_BYTES is split into P (partial) records ended by an F (full) one. The
// file rotates at a size limit: `x.log` -> `x.log.1` -> `x.log.2` ..., `maxFiles` files in all.

export type LogStream = 'stdout' | 'stderr';

export interface LogRotation {
  /** Rotate once the current file would grow past this many bytes. */
  maxBytes: number;
  /** Files kept in all, the current one included (the kubelet's containerLogMaxFiles). */
  maxFiles: number;
}

export const DEFAULT_LOG_ROTATION: LogRotation = { maxBytes: 10 * 1024 * 1024, maxFiles: 5 };

/** containerd splits lines at 16 KiB; longer lines become partial records. */
export const MAX_LINE_BYTES = 16 * 1024;

const NEWLINE = 0x0a;

/** `2024-05-01T10:00:00.123000000Z`: RFC 3339 with nanoseconds (the clock only has milliseconds). */
export function rfc3339Nano(time: Date): string {
  return `${time.toISOString().slice(0, -1)}000000Z`;
}

/** One CRI log record, newline included. */
export function formatLogRecord(time: Date, stream: LogStream, full: boolean, content: Buffer | string): Buffer {
  const head = Buffer.from(`${rfc3339Nano(time)} ${stream} ${full ? 'F' : 'P'} `);
  const body = typeof content === 'string' ? Buffer.from(content) : content;
  return Buffer.concat([head, body, Buffer.from('\n')]);
}

/**
 * A record's time as `kubectl logs --timestamps` shows it: Go's RFC3339Nano, which drops trailing
 * zeros of the fraction (the file keeps all nine digits, as containerd writes them).
 */
export function outputTimestamp(time: string): string {
  return time.replace(/\.(\d*?)0+(?=Z|[+-]\d\d:\d\d$)/, (_, digits: string) => (digits ? `.${digits}` : ''));
}

export interface LogRecord {
  time: string;
  stream: LogStream;
  full: boolean;
  content: string;
}

/** Parses one record (without its newline); a line that is not a record is taken as a full stdout line. */
export function parseLogRecord(line: string): LogRecord {
  const match = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/s.exec(line);
  if (!match) return { time: '', stream: 'stdout', full: true, content: line };
  return { time: match[1] ?? '', stream: match[2] as LogStream, full: match[3] === 'F', content: match[4] ?? '' };
}

/**
 * Writes a container's stdout and stderr into its log file (synchronously: the shim has nothing else
 * to do, and a record is then never torn by a crash between two writes of it).
 */
export class ContainerLogWriter {
  private readonly rotation: LogRotation;
  private fd: number;
  private size: number;
  private readonly pending: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly pendingBytes: Record<LogStream, number> = { stdout: 0, stderr: 0 };
  private closed = false;

  constructor(
    readonly path: string,
    rotation: Partial<LogRotation> = {},
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.rotation = { ...DEFAULT_LOG_ROTATION, ...rotation };
    if (!(this.rotation.maxBytes > 0)) throw new RangeError(`log maxBytes must be positive, got ${this.rotation.maxBytes}`);
    if (!(Number.isInteger(this.rotation.maxFiles) && this.rotation.maxFiles >= 1)) {
      throw new RangeError(`log maxFiles must be an integer >= 1, got ${this.rotation.maxFiles}`);
    }
    this.fd = openSync(path, 'a');
    this.size = fstatSync(this.fd).size;
  }

  /** Takes a chunk of the stream's output; whole lines are written now, the rest when its line ends. */
  write(stream: LogStream, chunk: Buffer | string): void {
    if (this.closed) return;
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (;;) {
      const nl = data.indexOf(NEWLINE);
      if (nl < 0) break;
      this.pending[stream].push(data.subarray(0, nl));
      this.pendingBytes[stream] += nl;
      while (this.pendingBytes[stream] > MAX_LINE_BYTES) this.emitPartial(stream);
      this.emitLine(stream, true);
      data = data.subarray(nl + 1);
    }
    if (data.length > 0) {
      this.pending[stream].push(data);
      this.pendingBytes[stream] += data.length;
      while (this.pendingBytes[stream] > MAX_LINE_BYTES) this.emitPartial(stream);
    }
  }

  /** Writes what is left of unfinished lines as full records (the stream ended without a newline). */
  flush(): void {
    if (this.closed) return;
    for (const stream of ['stdout', 'stderr'] as const) if (this.pendingBytes[stream] > 0) this.emitLine(stream, true);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }

  private emitLine(stream: LogStream, full: boolean): void {
    const content = Buffer.concat(this.pending[stream]);
    this.pending[stream] = [];
    this.pendingBytes[stream] = 0;
    this.append(formatLogRecord(this.clock(), stream, full, content));
  }

  /** Writes the first MAX_LINE_BYTES of the pending line as a P record, cut at a UTF-8 character boundary. */
  private emitPartial(stream: LogStream): void {
    const all = Buffer.concat(this.pending[stream]);
    let cut = MAX_LINE_BYTES;
    // Back up over continuation bytes (10xxxxxx) so that no character is split across records.
    while (cut > MAX_LINE_BYTES - 4 && cut < all.length && ((all[cut] ?? 0) & 0xc0) === 0x80) cut--;
    const rest = all.subarray(cut);
    this.pending[stream] = rest.length > 0 ? [rest] : [];
    this.pendingBytes[stream] = rest.length;
    this.append(formatLogRecord(this.clock(), stream, false, all.subarray(0, cut)));
  }

  private append(record: Buffer): void {
    if (this.size > 0 && this.size + record.length > this.rotation.maxBytes) this.rotate();
    let offset = 0;
    while (offset < record.length) offset += writeSync(this.fd, record, offset);
    this.size += record.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    const keep = this.rotation.maxFiles - 1;
    rmSync(`${this.path}.${Math.max(keep, 1)}`, { force: true });
    for (let n = keep - 1; n >= 1; n--) renameIfExists(`${this.path}.${n}`, `${this.path}.${n + 1}`);
    if (keep >= 1) renameSync(this.path, `${this.path}.1`);
    else rmSync(this.path, { force: true });
    this.fd = openSync(this.path, 'a');
    this.size = 0;
  }
}

function renameIfExists(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** The rotated files of `path` (`path.1`, `path.2`, ...), oldest first. */
export async function rotatedLogFiles(path: string): Promise<string[]> {
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const rotated: { n: number; file: string }[] = [];
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const suffix = name.slice(base.length + 1);
    if (/^[1-9][0-9]*$/.test(suffix)) rotated.push({ n: Number(suffix), file: join(dirname(path), name) });
  }
  return rotated.sort((a, b) => b.n - a.n).map((r) => r.file);
}

/** Whether a log (current or rotated files) exists for `path`. */
export async function logExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return (await rotatedLogFiles(path)).length > 0;
  }
}

export interface LogReadRequest {
  /** The current file; its rotated files are read first. */
  path: string;
  tailLines?: number;
  follow: boolean;
  timestamps: boolean;
  signal?: AbortSignal;
  /** Whether the writer is done (the container instance exited); following ends once this is true and the file is drained. */
  finished: () => boolean | Promise<boolean>;
  /** How often to look for new output when following. */
  pollMs?: number;
}

/**
 * Reads a container's log as text, in chunks of whole lines: the rotated files first, then the
 * current one; with `tailLines` only the last lines; with `follow` it keeps yielding what is appended
 * (across rotations) until `finished()` says the writer is done and everything was read, or `signal` aborts.
 */
export async function* readContainerLog(request: LogReadRequest): AsyncGenerator<string, void, undefined> {
  const { signal } = request;
  const pollMs = request.pollMs ?? 100;
  const decoder = new RecordDecoder(request.timestamps);
  // Open everything first so that a rotation while we read cannot make a file vanish under us.
  const rotated: FileHandle[] = [];
  for (const file of await rotatedLogFiles(request.path)) {
    const handle = await openIfExists(file);
    if (handle) rotated.push(handle);
  }
  let current = await openIfExists(request.path);
  let offset = 0;
  try {
    if (request.tailLines !== undefined) {
      const tail = Math.max(0, Math.floor(request.tailLines));
      // The current file (to its present end), then older files backwards, until there are enough lines.
      const lines: string[] = [];
      if (current) {
        let data = await readFrom(current, 0);
        // When following, a record still being written is left for the follow loop.
        if (request.follow) data = data.subarray(0, data.lastIndexOf(NEWLINE) + 1);
        offset = data.length;
        lines.unshift(...new RecordDecoder(request.timestamps).lines(data, true));
      }
      for (let i = rotated.length - 1; i >= 0 && lines.length < tail; i--) {
        const handle = rotated[i];
        if (handle) lines.unshift(...new RecordDecoder(request.timestamps).lines(await readFrom(handle, 0), true));
      }
      const chosen = tail === 0 ? [] : lines.slice(-tail);
      if (chosen.length > 0) yield chosen.join('');
    } else {
      for (const handle of rotated) {
        let position = 0;
        for (;;) {
          const data = await readChunk(handle, position);
          if (data.length === 0) break;
          position += data.length;
          const text = decoder.push(data);
          if (text) yield text;
        }
      }
      if (current) {
        for (;;) {
          const data = await readChunk(current, offset);
          if (data.length === 0) break;
          offset += data.length;
          const text = decoder.push(data);
          if (text) yield text;
        }
      }
    }
    if (!request.follow) {
      const rest = decoder.end();
      if (rest) yield rest;
      return;
    }
    let finishing = false;
    for (;;) {
      if (signal?.aborted) return;
      // Read whatever was appended; if the file was rotated away, drain it and move to the new one.
      let progressed = false;
      if (current) {
        for (;;) {
          const data = await readChunk(current, offset);
          if (data.length === 0) break;
          progressed = true;
          offset += data.length;
          const text = decoder.push(data);
          if (text) yield text;
        }
      }
      if (await replacedFile(request.path, current)) {
        await current?.close();
        current = await openIfExists(request.path);
        offset = 0;
        continue;
      }
      if (progressed) continue;
      if (finishing) {
        const rest = decoder.end();
        if (rest) yield rest;
        return;
      }
      // The writer closes the file before it says it is done: one more round drains what is left.
      if (await request.finished()) {
        finishing = true;
        continue;
      }
      if (!(await pause(pollMs, signal))) return;
    }
  } finally {
    await Promise.allSettled([...rotated.map((h) => h.close()), current?.close()]);
  }
}

/** Turns record lines into text: contents of partial records are joined, each full record ends a line. */
class RecordDecoder {
  private carry: Buffer = Buffer.alloc(0);
  private partial = '';
  private partialTime = '';

  constructor(private readonly timestamps: boolean) {}

  /** The text of the complete records in `data` (plus what was carried over). */
  push(data: Buffer): string {
    return this.lines(data, false).join('');
  }

  /** The text of an unfinished record or line left at the end. */
  end(): string {
    const rest = this.lines(Buffer.alloc(0), true).join('');
    const partial = this.partial ? this.prefix(this.partialTime) + this.partial : '';
    this.partial = '';
    return rest + partial;
  }

  /** Logical lines (each ending in '\n') completed by `data`; with `final`, a last record without newline counts too. */
  lines(data: Buffer, final: boolean): string[] {
    const all = this.carry.length > 0 ? Buffer.concat([this.carry, data]) : data;
    const out: string[] = [];
    let start = 0;
    for (;;) {
      const nl = all.indexOf(NEWLINE, start);
      if (nl < 0) break;
      this.record(all.subarray(start, nl).toString('utf8'), out);
      start = nl + 1;
    }
    this.carry = Buffer.from(all.subarray(start));
    if (final && this.carry.length > 0) {
      this.record(this.carry.toString('utf8'), out);
      this.carry = Buffer.alloc(0);
    }
    return out;
  }

  private record(line: string, out: string[]): void {
    if (line === '') return;
    const record = parseLogRecord(line);
    if (!this.partial) this.partialTime = record.time;
    this.partial += record.content;
    if (record.full) {
      out.push(`${this.prefix(this.partialTime)}${this.partial}\n`);
      this.partial = '';
    }
  }

  private prefix(time: string): string {
    return this.timestamps && time ? `${outputTimestamp(time)} ` : '';
  }
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const CHUNK_BYTES = 64 * 1024;

async function readChunk(handle: FileHandle, position: number): Promise<Buffer> {
  const buffer = Buffer.alloc(CHUNK_BYTES);
  const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
  return buffer.subarray(0, bytesRead);
}

async function readFrom(handle: FileHandle, position: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const chunk = await readChunk(handle, position);
    if (chunk.length === 0) return Buffer.concat(parts);
    parts.push(chunk);
    position += chunk.length;
  }
}

/** Whether `path` now names another file than the open `handle` (rotated, or created since). */
async function replacedFile(path: string, handle: FileHandle | undefined): Promise<boolean> {
  let ino: number;
  try {
    ino = (await stat(path)).ino;
  } catch {
    return false;
  }
  if (!handle) return true;
  return (await handle.stat()).ino !== ino;
}

/** Waits `ms`; false when `signal` aborted instead. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
