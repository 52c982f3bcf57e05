#!/usr/bin/env node
// `flotilla`: a kubectl-shaped CLI for the Flotilla API. Wiring only: program.ts builds the commands.
import type { Io } from './commands/context.ts';
import { hoistNamespaceFlags } from './hoist-flags.ts';
import { buildProgram } from './program.ts';
import { formatError } from './render/errors.ts';

async function main(argv: readonly string[]): Promise<void> {
  const io: Io = { out: (text) => void process.stdout.write(text), err: (text) => void process.stderr.write(text) };
  // `flotilla get pods | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  let pending: Promise<number> | undefined;
  const program = buildProgram(io, (code) => (pending = code), { signal: controller.signal });
  await program.parseAsync(hoistNamespaceFlags(argv), { from: 'user' });
  if (!pending) return;
  try {
    process.exitCode = await pending;
  } catch (error) {
    io.err(formatError(error));
    process.exitCode = 1;
  }
}

await main(process.argv.slice(2));
