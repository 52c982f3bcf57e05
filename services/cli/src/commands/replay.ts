// `flotilla replay TRACE --profile A --profile B`: the same arrivals against each scheduler profile
// on a virtual clock, in this process (packages/replay), and their figures side by side. TRACE is a
// trace from `flotilla record` or a raw export of a log (`flotilla record --raw`).
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_PROFILE } from '@flotilla/scheduling';
import type { Profile } from '@flotilla/scheduling';
import { compareReplays, renderReplayComparison, replayTrace, traceCounts, traceFromText } from '@flotilla/replay';
import type { ComparisonFormat, ReplayResult, Trace } from '@flotilla/replay';
// The scheduler service's own reader of profile files (services/scheduler), so both accept the same files.
import { loadProfiles } from '../../../scheduler/src/config.ts';
import type { Io } from './context.ts';

export interface ReplayCommandOptions {
  profile?: string[];
  seed: number;
  output: ComparisonFormat;
  cycleMs?: number;
}

export interface NamedProfile {
  name: string;
  profile: Profile;
}

/** Thrown for a profile argument that cannot be used; the message names it. */
export class ReplayProfileError extends Error {
  override readonly name = 'ReplayProfileError';
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function parseNonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number >= 0');
  return Number(value);
}

/**
 * `default` is kube-scheduler's default profile; anything else is a scheduler configuration file
 * (services/scheduler/src/config.ts), each of its profiles a column named after the file.
 */
export function resolveProfiles(args: readonly string[], read?: (file: string) => string): NamedProfile[] {
  const out: NamedProfile[] = [];
  const taken = new Map<string, number>();
  const named = (name: string): string => {
    const seen = taken.get(name) ?? 0;
    taken.set(name, seen + 1);
    return seen === 0 ? name : `${name}#${seen + 1}`;
  };
  for (const arg of args.length > 0 ? args : ['default']) {
    if (arg === 'default') {
      out.push({ name: named('default'), profile: DEFAULT_PROFILE });
      continue;
    }
    let profiles: Profile[];
    try {
      profiles = read ? loadProfiles(arg, read) : loadProfiles(arg);
    } catch (error) {
      throw new ReplayProfileError(`--profile ${arg}: ${(error as Error).message}`, { cause: error });
    }
    const stem = basename(arg, extname(arg));
    for (const profile of profiles) out.push({ name: named(profiles.length === 1 ? stem : `${stem}/${profile.schedulerName}`), profile });
  }
  return out;
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

export async function runReplay(file: string, options: ReplayCommandOptions, io: Io): Promise<number> {
  let profiles: NamedProfile[];
  let trace: Trace;
  try {
    profiles = resolveProfiles(options.profile ?? []);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      io.err(`flotilla replay: cannot read ${file}: ${(error as Error).message}\n`);
      return 1;
    }
    trace = traceFromText(text);
  } catch (error) {
    io.err(`flotilla replay: ${error instanceof ReplayProfileError ? '' : `${file}: `}${(error as Error).message}\n`);
    return 1;
  }
  const counts = traceCounts(trace);
  const results: ReplayResult[] = [];
  for (const { name, profile } of profiles) {
    io.err(`replaying ${counts.pods.toLocaleString('en-US')} pods on ${counts.nodes.toLocaleString('en-US')} nodes with ${name}...\n`);
    // One profile at a time, synchronously: nothing else runs in this process meanwhile.
    await Promise.resolve();
    results.push(replayTrace(trace, { profile, name, seed: options.seed, cpuTime: cpuMs, ...(options.cycleMs !== undefined ? { cycleMs: options.cycleMs } : {}) }));
  }
  io.out(renderReplayComparison(compareReplays(results), options.output));
  return 0;
}

export function replayCommand(io: Io, run: (code: Promise<number>) => void): Command {
  return new Command('replay')
    .description('Replay a trace (flotilla record) against scheduler profiles on a virtual clock, in this process, and compare their placement and speed')
    .argument('<trace>', 'a trace file, or a raw log export (flotilla record --raw)')
    .option('--profile <profile>', '"default", or a scheduler configuration file (YAML/JSON, as the scheduler\'s --config); repeatable, one column each', collect)
    .addOption(new Option('--seed <n>', 'seeds score tie-breaks and the simulated node delays').argParser(parseNonNegativeInt).default(1))
    .addOption(new Option('-o, --output <format>', 'table, markdown or json').choices(['table', 'markdown', 'json']).default('table'))
    .addOption(new Option('--cycle-ms <ms>', 'virtual time one scheduling cycle takes (default 0: instant decisions)').argParser(parseNonNegativeInt))
    .action((file: string, options: ReplayCommandOptions) => {
      run(runReplay(file, options, io));
    });
}
