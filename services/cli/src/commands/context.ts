import type { FlotillaClient } from '@flotilla/client';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface CommandContext {
  client: FlotillaClient;
  io: Io;
  now: () => Date;
  /** Print times in the local zone (describe); tests leave it off. */
  localTime: boolean;
  /** Prints server warnings as `Warning: ...` on stderr, each distinct text once per run (as kubectl does). */
  warn(warnings: readonly string[]): void;
  /** Ends watches (Ctrl-C). */
  signal?: AbortSignal;
}

export function warningPrinter(io: Io): (warnings: readonly string[]) => void {
  const seen = new Set<string>();
  return (warnings) => {
    for (const warning of warnings) {
      if (seen.has(warning)) continue;
      seen.add(warning);
      io.err(`Warning: ${warning}\n`);
    }
  };
}

export const DEFAULT_NAMESPACE = 'default';
