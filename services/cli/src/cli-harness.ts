// Runs the CLI in-process over an injected fetch (usually the fake API), for the command specs.
import type { Io } from './commands/context.ts';
import type { FakeApi } from './fake-api.ts';
import { buildProgram } from './program.ts';
import { NOW } from './render/test-fixtures.ts';

export interface Run {
  code: number;
  out: string;
  err: string;
}

export async function cli(args: string[], options: { api?: FakeApi; stdin?: string; fetch?: typeof fetch; signal?: AbortSignal } = {}): Promise<Run> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += t), err: (t) => (err += t) };
  let pending: Promise<number> | undefined;
  const program = buildProgram(io, (code) => (pending = code), {
    fetch: options.fetch ?? options.api?.fetch,
    now: () => NOW,
    localTime: false,
    readStdin: async () => options.stdin ?? '',
    exitOverride: true,
    env: {},
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let code = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
    code = pending ? await pending : 0;
  } catch (error) {
    code = (error as { exitCode?: number }).exitCode ?? 1;
  }
  return { code, out, err };
}
