// `flotilla record`: the arrival trace of a cluster's event log (packages/replay), or with --raw the
// log's records themselves as JSON Lines. Reads the JetStream log (--nats, $NATS_URL, or the local
// default); with only --server it falls back to what the API lists now (see traceFromSnapshot).
import { closeSync, openSync, writeSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { FlotillaClient, resolveServer } from '@flotilla/client';
import { JetStreamEventLog } from '@flotilla/eventlog';
import type { EventLog, RecordedEvent } from '@flotilla/eventlog';
import { toFlotillaRecord } from '@flotilla/events';
import type { FlotillaRecord } from '@flotilla/events';
import { serializeTrace, traceCounts, traceFromRecords, traceFromSnapshot } from '@flotilla/replay';
import type { Trace } from '@flotilla/replay';
import { formatError } from '../render/errors.ts';
import type { Io } from './context.ts';

export interface RecordOptions {
  /** File to write; stdout when absent. */
  output?: string;
  nats?: string;
  fromSeq?: number;
  raw?: boolean;
}

export interface RecordDeps {
  io: Io;
  /** The global --server, when given. */
  server?: string;
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  /** Opens the log (tests inject one). */
  connect?: (servers: string) => Promise<EventLog>;
}

const DEFAULT_NATS = 'nats://127.0.0.1:4222';

function parseSeq(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a sequence number >= 1');
  return Number(value);
}

/** Where the text goes: a file written piece by piece, or stdout. */
function sink(io: Io, file: string | undefined): { write(text: string): void; close(): void } {
  if (file === undefined || file === '-') return { write: (text) => io.out(text), close: () => undefined };
  const fd = openSync(file, 'w');
  return { write: (text) => void writeSync(fd, text), close: () => closeSync(fd) };
}

function plural(count: number, word: string): string {
  return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;
}

function describeTrace(trace: Trace): string {
  const counts = traceCounts(trace);
  const parts = [plural(counts.nodes, 'node'), plural(counts.pods, 'pod'), plural(counts.deletions, 'deletion')];
  if (counts.nodeFailures > 0) parts.push(plural(counts.nodeFailures, 'node failure'));
  if (counts.nodeRemovals > 0) parts.push(plural(counts.nodeRemovals, 'node removal'));
  return `${parts.join(', ')} over ${(counts.durationMs / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} s`;
}

export async function runRecord(options: RecordOptions, deps: RecordDeps): Promise<number> {
  const { io } = deps;
  const env = deps.env ?? process.env;
  // Only --server and no way to the log: what the API lists now.
  if (options.nats === undefined && deps.server !== undefined && env['NATS_URL'] === undefined) {
    if (options.raw) {
      io.err('flotilla record: --raw needs the log itself: give --nats URL (the API does not serve the log)\n');
      return 2;
    }
    return recordFromApi(options, deps);
  }
  const servers = options.nats ?? env['NATS_URL'] ?? DEFAULT_NATS;
  let log: EventLog | undefined;
  let out: ReturnType<typeof sink> | undefined;
  try {
    log = deps.connect ? await deps.connect(servers) : await JetStreamEventLog.connect({ servers, name: 'flotilla-record' });
    const last = await log.lastSequence();
    const fromSeq = options.fromSeq ?? 1;
    out = sink(io, options.output);
    if (options.raw) {
      let count = 0;
      let buffer = '';
      for await (const record of log.read(fromSeq, last)) {
        buffer += `${JSON.stringify(record)}\n`;
        count++;
        if (buffer.length > 1 << 20) {
          out.write(buffer);
          buffer = '';
        }
      }
      out.write(buffer);
      io.err(`flotilla record: ${plural(count, 'record')} (log seq ${fromSeq}-${last})${options.output ? ` -> ${options.output}` : ''}\n`);
      return 0;
    }
    // A trace needs the records before fromSeq too: they make the state its first arrivals come from.
    const records: FlotillaRecord[] = [];
    for await (const record of log.read(1, last)) {
      const domain = toFlotillaRecord(record as RecordedEvent);
      if (domain) records.push(domain);
    }
    const trace = traceFromRecords(records, { ...(options.fromSeq !== undefined ? { fromSeq: options.fromSeq } : {}), description: `flotilla record from ${servers}` });
    out.write(serializeTrace(trace));
    io.err(`flotilla record: ${describeTrace(trace)} (log seq ${trace.header.fromSeq ?? '-'}-${trace.header.toSeq ?? last})${options.output ? ` -> ${options.output}` : ''}\n`);
    return 0;
  } catch (error) {
    io.err(`flotilla record: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    out?.close();
    await log?.close().catch(() => undefined);
  }
}

async function recordFromApi(options: RecordOptions, deps: RecordDeps): Promise<number> {
  const { io } = deps;
  const client = new FlotillaClient({ server: resolveServer(deps.server, deps.env ?? process.env), ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  try {
    const [nodes, pods] = await Promise.all([client.listNodes(), client.listPods()]);
    const trace = traceFromSnapshot({ nodes: nodes.body.items, pods: pods.body.items }, { description: `flotilla record from the API at ${client.server} (a snapshot)` });
    const out = sink(io, options.output);
    try {
      out.write(serializeTrace(trace));
    } finally {
      out.close();
    }
    io.err(
      `flotilla record: ${describeTrace(trace)} from what ${client.server} lists now (no log: deleted and finished pods are missing; give --nats for the log)` +
        `${options.output ? ` -> ${options.output}` : ''}\n`,
    );
    return 0;
  } catch (error) {
    io.err(formatError(error));
    return 1;
  }
}

export function recordCommand(io: Io, run: (code: Promise<number>) => void, programOptions: { env?: Record<string, string | undefined>; fetch?: typeof fetch } = {}): Command {
  return new Command('record')
    .description("Save the arrival trace of the cluster's event log (nodes, pods, deletions, node failures; JSON Lines) for flotilla replay, or the log itself with --raw")
    .option('-o, --output <file>', 'write to this file (default: stdout)')
    .option('--nats <url>', 'NATS of the cluster (default: $NATS_URL, else nats://127.0.0.1:4222); with only the global --server, a snapshot of what the API lists')
    .option('--from-seq <n>', 'start at this log sequence: what exists there arrives at t = 0 (with --raw: export from there)', parseSeq)
    .option('--raw', "export the log's records (JSON Lines) instead of a trace")
    .action((options: RecordOptions, command: Command) => {
      const server = command.optsWithGlobals<{ server?: string }>().server;
      run(
        runRecord(options, {
          io,
          ...(server !== undefined ? { server } : {}),
          ...(programOptions.env ? { env: programOptions.env } : {}),
          ...(programOptions.fetch ? { fetch: programOptions.fetch } : {}),
        }),
      );
    });
}
