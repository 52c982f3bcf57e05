import { createInbox } from '@nats-io/transport-node';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { ContainerLogsNotFoundError } from '@flotilla/runtime';
import { ContainerLogsRequestError } from './errors.ts';
import {
  ContainerLogsWireRequestSchema,
  ControlMessageSchema,
  DEFAULT_KEEPALIVE_MS,
  DEFAULT_MAX_CHUNK_CHARS,
  DEFAULT_WINDOW,
  MISSED_INTERVALS,
  decodeJson,
  encodeJson,
  type ContainerLogsRequest,
  type ContainerLogsWireRequest,
  type StreamMessage,
  type WireError,
} from './protocol.ts';
import { NODE_RPC_QUEUE, logsSubject } from './subjects.ts';

/** The few logger methods the server uses (service-kit's Logger fits). */
export interface RpcLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface OpenContext {
  /** The node the request was addressed to (one of `nodeNames`). */
  nodeName: string;
  /** Aborted when the stream ends early (cancel, requester gone, server closing): stop reading. */
  signal: AbortSignal;
}

export interface ServeContainerLogsOptions {
  /** The nodes this process hosts; one subscription each. */
  nodeNames: Iterable<string>;
  /**
   * Opens the log. Throw ContainerLogsRequestError to answer with a reason (a runtime's
   * ContainerLogsNotFoundError counts as NotFound, anything else as InternalError); the same holds
   * for errors the iterable throws later.
   */
  open(request: ContainerLogsRequest, context: OpenContext): AsyncIterable<string> | Promise<AsyncIterable<string>>;
  logger: RpcLogger;
  /** Chunks in flight before waiting for an ack (default 32). */
  window?: number;
  /** Longest text per message; longer chunks are split (default 32 Ki characters). */
  maxChunkChars?: number;
}

export interface ContainerLogsServer {
  /** Resolves once the NATS server has the subscriptions (requests sent later reach this process). */
  readonly ready: Promise<void>;
  /** Streams in progress. */
  readonly activeStreams: number;
  /** Stops answering, ends every stream in progress and waits for them. */
  close(): Promise<void>;
}

/** Answers container-log requests for `nodeNames` on `flotilla.node.<token>.logs` (see protocol.ts). */
export function serveContainerLogs(nc: NatsConnection, options: ServeContainerLogsOptions): ContainerLogsServer {
  const sessions = new Set<ServerSession>();
  const running = new Set<Promise<void>>();
  let closed = false;
  const subscriptions: Subscription[] = [];
  for (const nodeName of new Set(options.nodeNames)) {
    subscriptions.push(
      nc.subscribe(logsSubject(nodeName), {
        queue: NODE_RPC_QUEUE,
        callback: (error, msg) => {
          if (error) {
            options.logger.warn('container logs subscription failed', { nodeName, error });
            return;
          }
          if (closed) return;
          const request = parseRequest(msg);
          if ('invalid' in request) {
            const inbox = request.inbox;
            if (inbox !== undefined) publish(nc, inbox, { seq: 0, error: { reason: 'BadRequest', message: request.invalid } }, options.logger);
            else options.logger.warn('dropped a container logs request without a reply subject', { nodeName, problem: request.invalid });
            return;
          }
          const session = new ServerSession(nc, nodeName, request.ok, options);
          sessions.add(session);
          const run = session.run().finally(() => {
            sessions.delete(session);
            running.delete(run);
          });
          running.add(run);
        },
      }),
    );
  }
  const ready = nc.flush().catch(() => undefined);
  return {
    ready,
    get activeStreams() {
      return sessions.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const sub of subscriptions) sub.unsubscribe();
      for (const session of sessions) session.abort('server closing');
      await Promise.allSettled([...running]);
      // Once close() resolves the server has dropped the subscriptions: a new server can take over.
      if (!nc.isClosed()) await nc.flush().catch(() => undefined);
    },
  };
}

function parseRequest(msg: Msg): { ok: ContainerLogsWireRequest } | { invalid: string; inbox: string | undefined } {
  const raw = decodeJson(msg.data);
  const parsed = ContainerLogsWireRequestSchema.safeParse(raw);
  if (parsed.success) return { ok: parsed.data };
  const claimed = (raw as { streamInbox?: unknown } | undefined)?.streamInbox;
  const inbox = typeof claimed === 'string' && /^[^\s*>]+$/.test(claimed) ? claimed : msg.reply;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'request'}: ${issue.message}`);
  return { invalid: `invalid container logs request: ${problems.join('; ')}`, inbox };
}

function publish(nc: NatsConnection, subject: string, message: StreamMessage, logger: RpcLogger): boolean {
  try {
    nc.publish(subject, encodeJson(message));
    return true;
  } catch (error) {
    logger.debug('container logs publish failed', { subject, error });
    return false;
  }
}

/** The reason and message a requester sees for an error `open` or the log threw. */
export function toWireError(error: unknown): WireError {
  if (error instanceof ContainerLogsRequestError) return { reason: error.reason, message: error.message };
  if (error instanceof ContainerLogsNotFoundError) return { reason: 'NotFound', message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { reason: 'InternalError', message: `reading the logs failed: ${message}` };
}

/** Splits text into pieces of at most `max` UTF-16 units without cutting a surrogate pair. */
export function splitChunk(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + max);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && end - start > 1 && last >= 0xd800 && last <= 0xdbff) end--;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

const ABORTED = Symbol('aborted');

class ServerSession {
  private readonly controller = new AbortController();
  private readonly keepaliveMs: number;
  private readonly window: number;
  private readonly maxChunkChars: number;
  private readonly inbox: string;
  private seq = 0;
  private acked = 0;
  private lastHeard = Date.now();
  private lastSent = Date.now();
  private opened = false;
  private creditWaiter: (() => void) | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly nodeName: string,
    private readonly wire: ContainerLogsWireRequest,
    private readonly options: ServeContainerLogsOptions,
  ) {
    this.keepaliveMs = wire.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
    this.window = options.window ?? DEFAULT_WINDOW;
    this.maxChunkChars = options.maxChunkChars ?? DEFAULT_MAX_CHUNK_CHARS;
    this.inbox = wire.streamInbox;
    this.controller.signal.addEventListener('abort', () => this.creditWaiter?.(), { once: true });
  }

  abort(why: string): void {
    if (this.controller.signal.aborted) return;
    this.options.logger.debug('container logs stream stopped', { nodeName: this.nodeName, pod: `${this.wire.namespace}/${this.wire.name}`, container: this.wire.container, why });
    this.controller.abort(new Error(why));
  }

  async run(): Promise<void> {
    const { signal } = this.controller;
    const ctl = createInbox();
    let ctlSub: Subscription | undefined;
    const timer = setInterval(() => this.tick(), this.keepaliveMs);
    timer.unref();
    try {
      const { streamInbox: _inbox, keepaliveMs: _keepalive, ...request } = this.wire;
      let iterable: AsyncIterable<string>;
      try {
        iterable = await this.options.open(request, { nodeName: this.nodeName, signal });
      } catch (error) {
        this.send({ seq: 0, error: toWireError(error) });
        return;
      }
      if (signal.aborted) return;
      ctlSub = this.nc.subscribe(ctl, { callback: (error, msg) => (error ? this.abort('control subscription failed') : this.onControl(msg)) });
      this.lastHeard = Date.now();
      this.opened = true;
      if (!this.send({ seq: 0, open: { ctl, window: this.window, heartbeatMs: this.keepaliveMs } })) return;
      await this.pump(iterable);
    } finally {
      clearInterval(timer);
      ctlSub?.unsubscribe();
      // Releases whatever the reader holds (a follow's file watch) when the stream ended here.
      if (!signal.aborted) this.controller.abort(new Error('stream ended'));
    }
  }

  private async pump(iterable: AsyncIterable<string>): Promise<void> {
    const { signal } = this.controller;
    const iterator = iterable[Symbol.asyncIterator]();
    let finished = false;
    const stopped = aborted(signal);
    try {
      for (;;) {
        const next = iterator.next();
        // A reader that ignores the signal must not keep the stream alive: race it, and keep a late
        // rejection from going unhandled.
        next.catch(() => undefined);
        const result = await Promise.race([next, stopped]);
        if (result === ABORTED) return;
        if (result.done) break;
        for (const piece of splitChunk(result.value, this.maxChunkChars)) {
          if (piece === '') continue;
          if (!(await this.credit())) return;
          if (!this.send({ seq: ++this.seq, data: piece })) return;
        }
      }
      finished = true;
      this.send({ seq: ++this.seq, end: true });
    } catch (error) {
      finished = true;
      if (signal.aborted) return;
      this.send({ seq: ++this.seq, error: toWireError(error) });
    } finally {
      if (!finished) void Promise.resolve(iterator.return?.()).catch(() => undefined);
    }
  }

  /** Resolves true once the next seq is within the window, false when the stream was stopped. */
  private async credit(): Promise<boolean> {
    while (this.seq + 1 > this.acked + this.window) {
      if (this.controller.signal.aborted) return false;
      await new Promise<void>((resolve) => (this.creditWaiter = resolve));
      this.creditWaiter = undefined;
    }
    return !this.controller.signal.aborted;
  }

  private onControl(msg: Msg): void {
    this.lastHeard = Date.now();
    const parsed = ControlMessageSchema.safeParse(decodeJson(msg.data));
    if (!parsed.success) return;
    if ('cancel' in parsed.data) {
      this.abort('cancelled by the requester');
      return;
    }
    if (parsed.data.ack > this.acked) {
      this.acked = parsed.data.ack;
      this.creditWaiter?.();
    }
  }

  private tick(): void {
    if (!this.opened || this.controller.signal.aborted) return;
    const now = Date.now();
    if (now - this.lastHeard > MISSED_INTERVALS * this.keepaliveMs) {
      this.abort(`no keepalive from the requester for ${now - this.lastHeard} ms`);
      return;
    }
    if (now - this.lastSent >= this.keepaliveMs) this.send({ heartbeat: true });
  }

  private send(message: StreamMessage): boolean {
    this.lastSent = Date.now();
    const ok = publish(this.nc, this.inbox, message, this.options.logger);
    if (!ok) this.abort('publishing to the requester failed');
    return ok;
  }
}

function aborted(signal: AbortSignal): Promise<typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(ABORTED), { once: true }));
}
