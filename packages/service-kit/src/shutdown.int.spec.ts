import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@flotilla/testkit';

const FIXTURE = fileURLToPath(new URL('./testdata/shutdown-fixture.ts', import.meta.url));

interface Fixture {
  child: ChildProcess;
  records: Array<Record<string, unknown>>;
  stderr: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function startFixture(mode: string, env: Record<string, string> = {}): Promise<Fixture> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, SHUTDOWN_MODE: mode, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  const records: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  // Every stdout line must be JSON: a torn or interleaved line fails the parse.
  createInterface({ input: child.stdout! }).on('line', (line) => records.push(JSON.parse(line) as Record<string, unknown>));
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  await waitFor(() => records.some((r) => r.msg === 'ready'), 20_000, { description: `fixture never became ready; stderr:\n${stderr.join('\n')}` });
  return { child, records, stderr, exit };
}

const messages = (records: Array<Record<string, unknown>>): unknown[] => records.map((r) => r.msg).filter((m) => m !== 'in-flight item finished');

describe('onShutdown (child process)', () => {
  it('runs the callback on SIGTERM, flushes every line it logged and exits 0', async () => {
    const fixture = await startFixture('clean');
    fixture.child.kill('SIGTERM');
    expect(await fixture.exit).toEqual({ code: 0, signal: null });
    expect(messages(fixture.records)).toEqual(['ready', 'shutting down', 'stop called', 'shutdown complete']);
    expect(fixture.records.find((r) => r.msg === 'shutting down')).toMatchObject({ level: 'info', service: 'fixture', replica: 'fixture-a', signal: 'SIGTERM', timeoutMs: 10_000 });
    expect(fixture.records.filter((r) => r.msg === 'in-flight item finished')).toHaveLength(2_000);
  });

  it('treats SIGINT the same way', async () => {
    const fixture = await startFixture('clean');
    fixture.child.kill('SIGINT');
    expect((await fixture.exit).code).toBe(0);
    expect(fixture.records.find((r) => r.msg === 'shutting down')).toMatchObject({ signal: 'SIGINT' });
  });

  it('exits 1 with a log line when the callback is still running at the deadline', async () => {
    const fixture = await startFixture('hang', { FLOTILLA_SHUTDOWN_TIMEOUT_MS: '300' });
    fixture.child.kill('SIGTERM');
    expect((await fixture.exit).code).toBe(1);
    expect(messages(fixture.records)).toEqual(['ready', 'shutting down', 'stop called', 'shutdown deadline passed, exiting']);
    expect(fixture.records.at(-1)).toMatchObject({ level: 'error', timeoutMs: 300 });
  });

  it('exits 1 and logs the serialised error when the callback fails', async () => {
    const fixture = await startFixture('fail');
    fixture.child.kill('SIGTERM');
    expect((await fixture.exit).code).toBe(1);
    expect(fixture.records.at(-1)).toMatchObject({
      level: 'error',
      msg: 'shutdown failed',
      error: { name: 'Error', message: 'drain failed', cause: { message: 'connection closed' } },
    });
  });

  it('runs the callback once and exits 1 at once on a second signal', async () => {
    const fixture = await startFixture('slow');
    fixture.child.kill('SIGTERM');
    await waitFor(() => fixture.records.some((r) => r.msg === 'stop called'), 10_000);
    fixture.child.kill('SIGTERM');
    expect((await fixture.exit).code).toBe(1);
    expect(messages(fixture.records)).toEqual(['ready', 'shutting down', 'stop called', 'second signal during shutdown, exiting now']);
  });
});
