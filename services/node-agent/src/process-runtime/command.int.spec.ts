import { describe, expect, it } from 'vitest';
import { HostCommandError, runHostCommand } from './command.ts';

describe('runHostCommand', () => {
  it('resolves with stdout and stderr when the command exits 0', async () => {
    await expect(runHostCommand(['sh', '-c', 'echo out; echo err >&2'])).resolves.toEqual({ stdout: 'out\n', stderr: 'err\n' });
  });

  it('throws HostCommandError with the command line, exit code and stderr on failure', async () => {
    const error = await runHostCommand(['sh', '-c', 'echo nope >&2; exit 3', 'it s']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostCommandError);
    const failure = error as HostCommandError;
    expect(failure.exitCode).toBe(3);
    expect(failure.stderr).toBe('nope\n');
    expect(failure.command).toEqual(['sh', '-c', 'echo nope >&2; exit 3', 'it s']);
    expect(failure.message).toBe(`sh -c 'echo nope >&2; exit 3' 'it s': exited with code 3: nope`);
    expect(failure.cause).toBeInstanceOf(Error);
  });

  it('says when the program does not exist', async () => {
    const error = (await runHostCommand(['flotilla-no-such-program']).catch((e: unknown) => e)) as HostCommandError;
    expect(error).toBeInstanceOf(HostCommandError);
    expect(error.exitCode).toBeNull();
    expect(error.message).toContain('flotilla-no-such-program not found');
  });

  it('kills a command that outlives its timeout', async () => {
    const error = (await runHostCommand(['sleep', '30'], { timeoutMs: 50 }).catch((e: unknown) => e)) as HostCommandError;
    expect(error).toBeInstanceOf(HostCommandError);
    expect(error.signal).toBe('SIGTERM');
  });
});
