import { describe, expect, it } from 'vitest';
import { formatCommandLine, shellQuote, withHostLock } from './command.ts';

describe('formatCommandLine', () => {
  it('quotes only the words a shell would split or expand', () => {
    expect(formatCommandLine(['ip', 'netns', 'add', 'flotilla-1'])).toBe('ip netns add flotilla-1');
    expect(formatCommandLine(['sh', '-c', "echo 'hi' $X"])).toBe(`sh -c 'echo '\\''hi'\\'' $X'`);
    expect(shellQuote('')).toBe("''");
  });
});

describe('withHostLock', () => {
  it('runs tasks of one key one after another, in order, and tasks of other keys alongside', async () => {
    const events: string[] = [];
    let releaseFirst!: () => void;
    const first = withHostLock('k', async () => {
      events.push('first start');
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      events.push('first end');
    });
    const second = withHostLock('k', async () => {
      events.push('second');
      return 2;
    });
    const other = withHostLock('other', async () => {
      events.push('other');
    });
    await other;
    await Promise.resolve();
    releaseFirst();
    await expect(second).resolves.toBe(2);
    await first;
    expect(events).toEqual(['first start', 'other', 'first end', 'second']);
  });

  it('keeps going after a task fails', async () => {
    await expect(withHostLock('f', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(withHostLock('f', async () => 'ok')).resolves.toBe('ok');
  });
});
