import { describe, expect, it } from 'vitest';
import { createLogger, flushLogs, serialiseError, type LogLevel } from './logger.ts';

class NodeGoneError extends Error {
  override readonly name = 'NodeGoneError';
  readonly code = 'NODE_GONE';
}

function capture(level: LogLevel = 'debug', base: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const logger = createLogger('node-agent', base, level, { write: (line: string) => void lines.push(line) });
  const records = (): Array<Record<string, unknown>> => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, records };
}

describe('createLogger', () => {
  it('writes one JSON line per record with level, ISO time, service, base fields, msg and the fields', () => {
    const { logger, lines, records } = capture('debug', { replica: 'scheduler-a' });
    logger.info('pod bound', { pod: 'default/web-1', node: 'n1', attempts: 2 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(lines[0]!.trimEnd()).not.toContain('\n');
    const [record] = records();
    expect(record).toMatchObject({ level: 'info', service: 'node-agent', replica: 'scheduler-a', msg: 'pod bound', pod: 'default/web-1', node: 'n1', attempts: 2 });
    expect(new Date(String(record!.time)).toISOString()).toBe(record!.time);
    // pino's pid/hostname are replaced by the service fields.
    expect(record).not.toHaveProperty('pid');
    expect(record).not.toHaveProperty('hostname');
  });

  it('names every level and drops records below the threshold', () => {
    const { logger, records } = capture('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e', { n: 1 });
    expect(records().map((r) => [r.level, r.msg])).toEqual([
      ['warn', 'w'],
      ['error', 'e'],
    ]);
  });

  it('child loggers add their fields to every line and keep the service', () => {
    const { logger, records } = capture();
    const child = logger.child({ node: 'n7', component: 'leases' });
    child.info('lease renewed', { seq: 9 });
    child.child({ pod: 'p' }).warn('slow');
    expect(records()).toEqual([
      expect.objectContaining({ service: 'node-agent', node: 'n7', component: 'leases', seq: 9, msg: 'lease renewed' }),
      expect.objectContaining({ service: 'node-agent', node: 'n7', component: 'leases', pod: 'p', level: 'warn', msg: 'slow' }),
    ]);
  });

  it('serialises an Error field with name, message, stack, code and its cause chain', () => {
    const { logger, records } = capture();
    const root = new Error('connection refused');
    const error = new NodeGoneError('node n1 is gone', { cause: root });
    logger.error('eviction failed', { error, pod: 'default/a' });
    const [record] = records();
    expect(record).toMatchObject({
      level: 'error',
      pod: 'default/a',
      error: { name: 'NodeGoneError', message: 'node n1 is gone', code: 'NODE_GONE', cause: { name: 'Error', message: 'connection refused' } },
    });
    const serialised = record!.error as { stack: string; cause: { stack: string } };
    expect(serialised.stack).toContain('node n1 is gone');
    expect(serialised.cause.stack).toContain('connection refused');
  });

  it('keeps a non-Error cause as it is and stops a cyclic cause chain', () => {
    expect(serialiseError(new Error('x', { cause: { status: 503 } })).cause).toEqual({ status: 503 });
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    const out = JSON.stringify(serialiseError(a));
    expect(out).toContain('"message":"b"');
  });

  it('flushLogs resolves when nothing was written to stdout', async () => {
    await expect(flushLogs()).resolves.toBeUndefined();
  });
});
