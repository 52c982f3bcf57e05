import type { FastifyReply, FastifyRequest } from 'fastify';
import { applyEvent, createClusterState, type StateChange } from '@flotilla/state';
import { toFlotillaRecord } from '@flotilla/events';
import { ApiError } from '../api-status.ts';
import type { ApiContext } from '../server.ts';
import type { WatchEvent } from '../watch-hub.ts';

export interface WatchSpec {
  /** Which changes this watch shows (kind, namespace, selectors). */
  accepts: (change: StateChange) => boolean;
  /** Objects to send as ADDED when the client gives no resourceVersion (Kubernetes' "start at now"). */
  initial: () => Array<{ seq: number; object: unknown }>;
}

/**
 * Streams changes as server-sent events (`id:` is the resourceVersion) in log order with no gaps and
 * no duplicates. From a resourceVersion older than the in-memory ring it refolds the log: the stream
 * keeps every event, so any version it holds can be resumed.
 */
export async function serveWatch(request: FastifyRequest, reply: FastifyReply, ctx: ApiContext, spec: WatchSpec, resourceVersion: string | undefined): Promise<void> {
  const from = parseResourceVersion(resourceVersion);
  const first = await ctx.log.firstSequence();
  if (from !== undefined && from > 0 && from < first - 1) {
    throw new ApiError('Gone', `too old resource version: ${from} (${first - 1})`);
  }

  // Subscribe before reading history so nothing between the two is missed; dedupe by seq below.
  const pending: WatchEvent[] = [];
  let live = false;
  let lastSent = 0;
  const send = (seq: number, type: string, object: unknown): void => {
    reply.raw.write(`id: ${seq}\ndata: ${JSON.stringify({ type, object })}\n\n`);
  };
  const deliver = (event: WatchEvent): void => {
    if (event.seq < lastSent || !spec.accepts(event.change)) return;
    lastSent = event.seq;
    send(event.seq, event.change.type, event.change.object);
  };
  const unsubscribe = ctx.hub.subscribe((event) => (live ? deliver(event) : pending.push(event)));

  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  reply.hijack();
  const heartbeat = setInterval(() => reply.raw.write(': ping\n\n'), ctx.watchHeartbeatMs);
  const close = (): void => {
    clearInterval(heartbeat);
    unsubscribe();
  };
  request.raw.on('close', close);

  try {
    const snapshotSeq = ctx.projection.state.seq;
    if (from === undefined || from === 0) {
      // The snapshot's objects carry no ids (their versions are not in order); one id-only message
      // after them marks the snapshot's version, so a client that drops mid-burst starts over and
      // one that drops later resumes from there, with nothing missed.
      for (const { object } of spec.initial()) reply.raw.write(`data: ${JSON.stringify({ type: 'ADDED', object })}\n\n`);
      reply.raw.write(`id: ${snapshotSeq}\n\n`);
      lastSent = snapshotSeq;
    } else {
      const recent = ctx.hub.since(from);
      const history = recent ?? (await refold(ctx, from, snapshotSeq));
      for (const event of history) if (event.seq <= snapshotSeq) deliver(event);
      lastSent = Math.max(lastSent, from);
    }
    for (const event of pending) if (event.seq > lastSent || event.seq > snapshotSeq) deliver(event);
    pending.length = 0;
    live = true;
  } catch (error) {
    ctx.logger.error('watch failed', { error });
    close();
    reply.raw.end();
  }
}

async function refold(ctx: ApiContext, after: number, upTo: number): Promise<WatchEvent[]> {
  const state = createClusterState({ maxEvents: ctx.projection.state.options.maxEvents });
  const out: WatchEvent[] = [];
  for await (const raw of ctx.log.read(1, upTo)) {
    const record = toFlotillaRecord(raw);
    if (!record) continue;
    const changes = applyEvent(state, record);
    if (record.seq > after) for (const change of changes) out.push({ seq: record.seq, change });
  }
  return out;
}

export function parseResourceVersion(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const seq = Number(value);
  if (!Number.isInteger(seq) || seq < 0) {
    throw new ApiError('BadRequest', `resourceVersion: invalid value ${JSON.stringify(value)}: must be a non-negative integer`);
  }
  return seq;
}
