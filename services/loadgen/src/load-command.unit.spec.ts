import { describe, expect, it } from 'vitest';
import { LoadUsageError, parseLoadArgs, runLoadCommand } from './load-command.ts';

describe('parseLoadArgs', () => {
  it('reads the file and the flags', () => {
    expect(parseLoadArgs(['w.yaml', '--out', 'r', '--server=http://127.0.0.1:7070', '--nats', 'nats://127.0.0.1:4222', '--quiet', '--no-limit', '--timeout', '90'])).toEqual({
      file: 'w.yaml',
      out: 'r',
      server: 'http://127.0.0.1:7070',
      nats: 'nats://127.0.0.1:4222',
      quiet: true,
      limit: false,
      timeoutSeconds: 90,
    });
    expect(parseLoadArgs(['w.yaml'])).toEqual({ file: 'w.yaml', quiet: false, limit: true });
  });

  it('rejects what it cannot use', () => {
    expect(() => parseLoadArgs([])).toThrow(new LoadUsageError('expected a workload file'));
    expect(() => parseLoadArgs(['a.yaml', 'b.yaml'])).toThrow(/one workload file/);
    expect(() => parseLoadArgs(['a.yaml', '--bogus'])).toThrow('unknown flag --bogus');
    expect(() => parseLoadArgs(['a.yaml', '--out'])).toThrow('--out needs a value');
    expect(() => parseLoadArgs(['a.yaml', '--server', 'http://x'])).toThrow(/go together/);
    expect(() => parseLoadArgs(['a.yaml', '--timeout', '-1'])).toThrow(/positive/);
  });
});

describe('runLoadCommand', () => {
  it('exits 2 with the field problems of an invalid workload, starting nothing', async () => {
    let err = '';
    const code = await runLoadCommand({ file: '/nonexistent/workload.yaml', quiet: true, limit: false }, (t) => (err += t));
    expect(code).toBe(2);
    expect(err).toMatch(/workload\.yaml: invalid workload:\n {2}cannot read the file/);
  });
});
