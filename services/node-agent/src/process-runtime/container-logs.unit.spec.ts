import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ContainerLogWriter,
  formatLogRecord,
  MAX_LINE_BYTES,
  outputTimestamp,
  parseLogRecord,
  readContainerLog,
  rfc3339Nano,
  rotatedLogFiles,
  type LogReadRequest,
} from './container-logs.ts';

let dir = '';
let path = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-logs-'));
  path = join(dir, '0.log');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fixedClock = (): Date => new Date('2024-05-01T10:00:00.123Z');

async function readAll(request: Partial<LogReadRequest> = {}): Promise<string> {
  let text = '';
  for await (const chunk of readContainerLog({ path, follow: false, timestamps: false, finished: () => true, ...request })) text += chunk;
  return text;
}

describe('the CRI log format', () => {
  it('writes one record per line with an RFC 3339 nanosecond time, the stream and F for full lines', async () => {
    const writer = new ContainerLogWriter(path, {}, fixedClock);
    writer.write('stdout', 'hello\nwor');
    writer.write('stderr', 'oops\n');
    writer.write('stdout', 'ld\n');
    writer.close();
    expect(await readFile(path, 'utf8')).toBe(
      [
        '2024-05-01T10:00:00.123000000Z stdout F hello',
        '2024-05-01T10:00:00.123000000Z stderr F oops',
        '2024-05-01T10:00:00.123000000Z stdout F world',
        '',
      ].join('\n'),
    );
  });

  it('splits a line longer than 16 KiB into P records ended by an F record, and the reader joins them', async () => {
    const writer = new ContainerLogWriter(path, {}, fixedClock);
    const long = 'x'.repeat(MAX_LINE_BYTES * 2 + 10);
    writer.write('stdout', `${long}\nshort\n`);
    writer.close();
    const tags = (await readFile(path, 'utf8')).trimEnd().split('\n').map((line) => parseLogRecord(line));
    expect(tags.map((r) => (r.full ? 'F' : 'P'))).toEqual(['P', 'P', 'F', 'F']);
    expect(await readAll()).toBe(`${long}\nshort\n`);
  });

  it('never cuts a multi-byte character between partial records', async () => {
    const writer = new ContainerLogWriter(path, {}, fixedClock);
    const text = `${'a'.repeat(MAX_LINE_BYTES - 1)}é${'b'.repeat(10)}`;
    writer.write('stdout', `${text}\n`);
    writer.close();
    expect(await readAll()).toBe(`${text}\n`);
    expect(await readFile(path, 'utf8')).not.toContain('\uFFFD');
  });

  it('writes an unfinished last line as a full record when closed', async () => {
    const writer = new ContainerLogWriter(path, {}, fixedClock);
    writer.write('stdout', 'no newline');
    writer.close();
    expect(await readAll()).toBe('no newline\n');
  });

  it('parses records and takes a foreign line as stdout', () => {
    expect(parseLogRecord('2024-05-01T10:00:00.123000000Z stderr P a b ')).toEqual({ time: '2024-05-01T10:00:00.123000000Z', stream: 'stderr', full: false, content: 'a b ' });
    expect(parseLogRecord('2024-05-01T10:00:00.123000000Z stdout F ')).toMatchObject({ full: true, content: '' });
    expect(parseLogRecord('garbage')).toEqual({ time: '', stream: 'stdout', full: true, content: 'garbage' });
    expect(formatLogRecord(fixedClock(), 'stdout', true, 'x').toString()).toBe('2024-05-01T10:00:00.123000000Z stdout F x\n');
    expect(rfc3339Nano(new Date('2024-01-02T03:04:05.006Z'))).toBe('2024-01-02T03:04:05.006000000Z');
    expect(outputTimestamp('2024-01-02T03:04:05.006000000Z')).toBe('2024-01-02T03:04:05.006Z');
    expect(outputTimestamp('2024-01-02T03:04:05.000000000Z')).toBe('2024-01-02T03:04:05Z');
    expect(outputTimestamp('2024-01-02T03:04:05.123456789+02:00')).toBe('2024-01-02T03:04:05.123456789+02:00');
    expect(outputTimestamp('2024-01-02T03:04:05.120000000+02:00')).toBe('2024-01-02T03:04:05.12+02:00');
  });
});

describe('rotation', () => {
  it('rotates at the size limit and keeps maxFiles files in all', async () => {
    const record = formatLogRecord(fixedClock(), 'stdout', true, 'line 00').length;
    const writer = new ContainerLogWriter(path, { maxBytes: record * 3, maxFiles: 3 }, fixedClock);
    for (let i = 0; i < 20; i++) writer.write('stdout', `line ${String(i).padStart(2, '0')}\n`);
    writer.close();
    expect((await readdir(dir)).sort()).toEqual(['0.log', '0.log.1', '0.log.2']);
    expect(await rotatedLogFiles(path)).toEqual([`${path}.2`, `${path}.1`]);
    // Lines 00..19, 3 per file: the last three files hold 12..19, read oldest first.
    const lines = Array.from({ length: 8 }, (_, i) => `line ${String(i + 12).padStart(2, '0')}\n`);
    expect(await readAll()).toBe(lines.join(''));
  });

  it('with maxFiles 1 starts the file over', async () => {
    const record = formatLogRecord(fixedClock(), 'stdout', true, 'line 0').length;
    const writer = new ContainerLogWriter(path, { maxBytes: record * 2, maxFiles: 1 }, fixedClock);
    for (let i = 0; i < 5; i++) writer.write('stdout', `line ${i}\n`);
    writer.close();
    expect(await readdir(dir)).toEqual(['0.log']);
    expect(await readAll()).toBe('line 4\n');
  });

  it('appends to an existing file (a restarted writer)', async () => {
    const first = new ContainerLogWriter(path, {}, fixedClock);
    first.write('stdout', 'one\n');
    first.close();
    const second = new ContainerLogWriter(path, {}, fixedClock);
    second.write('stdout', 'two\n');
    second.close();
    expect(await readAll()).toBe('one\ntwo\n');
  });
});

describe('reading', () => {
  function writeLines(count: number, rotation = {}): void {
    const writer = new ContainerLogWriter(path, rotation, fixedClock);
    for (let i = 1; i <= count; i++) writer.write(i % 2 ? 'stdout' : 'stderr', `line ${i}\n`);
    writer.close();
  }

  it('prefixes each line with its time when asked for timestamps', async () => {
    writeLines(2);
    expect(await readAll({ timestamps: true })).toBe('2024-05-01T10:00:00.123Z line 1\n2024-05-01T10:00:00.123Z line 2\n');
  });

  it('returns only the last tailLines lines, across rotated files', async () => {
    const record = formatLogRecord(fixedClock(), 'stdout', true, 'line 1').length;
    writeLines(9, { maxBytes: record * 2, maxFiles: 5 });
    expect(await readAll({ tailLines: 3 })).toBe('line 7\nline 8\nline 9\n');
    expect(await readAll({ tailLines: 0 })).toBe('');
    expect(await readAll({ tailLines: 100 })).toBe(Array.from({ length: 9 }, (_, i) => `line ${i + 1}\n`).join(''));
  });

  it('reads nothing from a log that does not exist yet', async () => {
    expect(await readAll()).toBe('');
  });

  it('follows appended output until the writer is finished and the file drained', async () => {
    const writer = new ContainerLogWriter(path, {}, fixedClock);
    writer.write('stdout', 'first\n');
    let finished = false;
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const chunk of readContainerLog({ path, follow: true, timestamps: false, pollMs: 5, finished: () => finished })) {
        chunks.push(chunk);
        if (chunk.includes('first')) {
          writer.write('stdout', 'second\n');
          writer.write('stderr', 'third\n');
          writer.close();
          finished = true;
        }
      }
    })();
    await reading;
    expect(chunks.join('')).toBe('first\nsecond\nthird\n');
  });

  it('follows across a rotation without losing lines', async () => {
    const record = formatLogRecord(fixedClock(), 'stdout', true, 'line 1').length;
    const writer = new ContainerLogWriter(path, { maxBytes: record * 2, maxFiles: 5 }, fixedClock);
    writer.write('stdout', 'line 1\n');
    let finished = false;
    let text = '';
    let step = 1;
    for await (const chunk of readContainerLog({ path, follow: true, timestamps: false, pollMs: 5, finished: () => finished })) {
      text += chunk;
      // One line at a time, each written after the previous one was read: every second one rotates.
      if (step < 6) {
        step++;
        writer.write('stdout', `line ${step}\n`);
      } else {
        writer.close();
        finished = true;
      }
    }
    expect(text).toBe(Array.from({ length: 6 }, (_, i) => `line ${i + 1}\n`).join(''));
  });

  it('follows from the tail', async () => {
    writeLines(5);
    let finished = false;
    let text = '';
    for await (const chunk of readContainerLog({ path, follow: true, tailLines: 2, timestamps: false, pollMs: 5, finished: () => finished })) {
      text += chunk;
      if (!finished) {
        await appendFile(path, formatLogRecord(fixedClock(), 'stdout', true, 'line 6'));
        finished = true;
      }
    }
    expect(text).toBe('line 4\nline 5\nline 6\n');
  });

  it('waits for the file to appear, and stops following when aborted', async () => {
    const controller = new AbortController();
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const chunk of readContainerLog({ path, follow: true, timestamps: false, pollMs: 5, signal: controller.signal, finished: () => false })) {
        chunks.push(chunk);
        controller.abort();
      }
    })();
    const writer = new ContainerLogWriter(path, {}, fixedClock);
    writer.write('stdout', 'late\n');
    writer.close();
    await reading;
    expect(chunks).toEqual(['late\n']);
  });

  it('leaves a record still being written for the next read', async () => {
    await appendFile(path, formatLogRecord(fixedClock(), 'stdout', true, 'whole'));
    await appendFile(path, '2024-05-01T10:00:00.123000000Z stdout F hal');
    let finished = false;
    let text = '';
    for await (const chunk of readContainerLog({ path, follow: true, timestamps: false, pollMs: 5, finished: () => finished })) {
      text += chunk;
      if (!finished) {
        await appendFile(path, 'f\n');
        finished = true;
      }
    }
    expect(text).toBe('whole\nhalf\n');
  });
});
