import { createInbox } from '@nats-io/transport-node';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { ContainerLogsRequestError, NodeAgentTimeoutError, NodeAgentUnavailableError, NodeRpcError, NodeStreamBrokenError, formatMs } from './errors.ts';
import {
  DEFAULT_FIRST_REPLY_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_MS,
  MISSED_INTERVALS,
  StreamMessageSchema,
  decodeJson,
  encodeJson,
  type ContainerLogsRequest,
  type ContainerLogsWireRequest,
  type ControlMessage,
} from './protocol.ts';
import { logsSubject } from './subjects.ts';

export interface RequestContainerLogsOptions {
  /** Aborting stops the stream (the agent is told) and fails the iteration with the signal's reason. */
  signal?: AbortSignal;
  /** How long to wait for the agent's first reply before NodeAgentTimeoutError (default 5 s). */
  firstReplyTimeoutMs?: number;
  /** How often to tell the agent the requester is still there (default 2 s). */
  keepaliveMs?: number;
}

/** The text of a container's log as the node agent streams it. Read it once, to the end, or cancel it. */
export interface ContainerLogStream extends AsyncIterable<string> {
  /**
   * Resolves when the agent accepted the request (before any text), rejects with why it did not:
   * ContainerLogsRequestError, NodeAgentUnavailableError, NodeAgentTimeoutError, ...
   */
  readonly opened: Promise<void>;
  /** Stops the stream and tells the agent; an iteration in progress ends without an error. */
  cancel(): void;
}

/** requestContainerLogs' shape, for injecting a test double. */
export type ContainerLogsRequester = (nodeName: string, request: ContainerLogsRequest, options?: RequestContainerLogsOptions) => ContainerLogStream;

/**
 * Asks the agent hosting `nodeName` for a container's log and streams it (see protocol.ts). The
 * request is sent at once; iterate the result, or cancel() it, so that its timers and subscription end.
 */
export function requestContainerLogs(
  nc: NatsConnection,
  nodeName: string,
  request: ContainerLogsRequest,
  options: RequestContainerLogsOptions = {},
): ContainerLogStream {
  return new ClientStream(nc, nodeName, request, options);
}

type Item = { data: string; seq: number } | { end: true } | { error: unknown };

class ClientStream implements ContainerLogStream {
  readonly opened: Promise<void>;
  private resolveOpened!: () => void;
  private rejectOpened!: (error: unknown) => void;
  private readonly subject: string;
  private readonly keepaliveMs: number;
  private readonly queue: Item[] = [];
  private waiter: (() => void) | undefined;
  private readonly sub: Subscription;
  private firstReplyTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private readonly onAbort: () => void;
  private done = false;
  private iterated = false;
  private nextSeq = 0;
  private ctl: string | undefined;
  private window = 1;
  private heartbeatMs = DEFAULT_KEEPALIVE_MS;
  private consumed = 0;
  private lastAckSent = 0;
  private lastHeard = Date.now();

  constructor(
    private readonly nc: NatsConnection,
    private readonly nodeName: string,
    request: ContainerLogsRequest,
    private readonly options: RequestContainerLogsOptions,
  ) {
    this.opened = new Promise<void>((resolve, reject) => {
      this.resolveOpened = resolve;
      this.rejectOpened = reject;
    });
    // Callers that only iterate still get the error there; this keeps it from going unhandled.
    this.opened.catch(() => undefined);
    this.subject = logsSubject(nodeName);
    this.keepaliveMs = options.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
    this.onAbort = () => this.fail(options.signal?.reason ?? new Error('aborted'), { discardQueued: true });

    const inbox = createInbox();
    this.sub = nc.subscribe(inbox, {
      callback: (error, msg) => (error ? this.fail(new NodeRpcError(nodeName, `log stream subscription failed: ${error.message}`, { cause: error })) : this.onMessage(msg)),
    });
    if (options.signal?.aborted) {
      this.onAbort();
      return;
    }
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    const timeoutMs = options.firstReplyTimeoutMs ?? DEFAULT_FIRST_REPLY_TIMEOUT_MS;
    this.firstReplyTimer = setTimeout(() => this.fail(new NodeAgentTimeoutError(nodeName, timeoutMs)), timeoutMs);
    this.firstReplyTimer.unref();
    const wire: ContainerLogsWireRequest = { ...request, streamInbox: inbox, keepaliveMs: this.keepaliveMs };
    try {
      // The reply subject makes the server answer "no responders" when no agent listens.
      nc.publish(this.subject, encodeJson(wire), { reply: inbox });
    } catch (error) {
      this.fail(new NodeRpcError(nodeName, `cannot send the container logs request for node ${nodeName}: ${(error as Error).message}`, { cause: error }));
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    if (this.iterated) throw new Error('a container log stream can be read only once');
    this.iterated = true;
    let completed = false;
    try {
      for (;;) {
        const item = await this.take();
        if ('data' in item) {
          yield item.data;
          // The consumer asked for more: that chunk is handled, and its window slot is free.
          this.consumed = item.seq;
          this.maybeAck();
          continue;
        }
        completed = true;
        if ('end' in item) return;
        throw item.error;
      }
    } finally {
      if (!completed) this.cancel();
    }
  }

  cancel(): void {
    if (this.done) return;
    this.sendControl({ cancel: true });
    this.finish();
    this.rejectOpened(new NodeRpcError(this.nodeName, 'the log stream was cancelled'));
    this.push({ end: true });
  }

  private take(): Promise<Item> {
    const item = this.queue.shift();
    if (item) return Promise.resolve(item);
    return new Promise<void>((resolve) => (this.waiter = resolve)).then(() => this.take());
  }

  private push(item: Item): void {
    this.queue.push(item);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private onMessage(msg: Msg): void {
    if (this.done) return;
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      this.fail(new NodeAgentUnavailableError(this.nodeName, this.subject));
      return;
    }
    this.lastHeard = Date.now();
    const parsed = StreamMessageSchema.safeParse(decodeJson(msg.data));
    if (!parsed.success) {
      this.fail(new NodeStreamBrokenError(this.nodeName, `node agent for node ${this.nodeName} sent a malformed log stream message`), { tellServer: true });
      return;
    }
    const message = parsed.data;
    if ('heartbeat' in message) return;
    if (message.seq !== this.nextSeq) {
      this.fail(
        new NodeStreamBrokenError(this.nodeName, `the log stream from node ${this.nodeName} lost messages: expected seq ${this.nextSeq}, got ${message.seq}`),
        { tellServer: true },
      );
      return;
    }
    this.nextSeq++;
    if ('open' in message) {
      clearTimeout(this.firstReplyTimer);
      this.ctl = message.open.ctl;
      this.window = message.open.window;
      this.heartbeatMs = message.open.heartbeatMs;
      this.keepaliveTimer = setInterval(() => this.tick(), this.keepaliveMs);
      this.keepaliveTimer.unref();
      this.resolveOpened();
    } else if ('data' in message) {
      this.push({ data: message.data, seq: message.seq });
    } else if ('end' in message) {
      this.finish();
      this.push({ end: true });
    } else {
      this.fail(new ContainerLogsRequestError(message.error.reason, message.error.message));
    }
  }

  private tick(): void {
    if (this.done) return;
    const silentMs = Date.now() - this.lastHeard;
    if (silentMs > MISSED_INTERVALS * this.heartbeatMs) {
      this.fail(new NodeStreamBrokenError(this.nodeName, `node agent for node ${this.nodeName} stopped answering: nothing heard for ${formatMs(silentMs)}`), {
        tellServer: true,
      });
      return;
    }
    this.sendAck();
  }

  private maybeAck(): void {
    if (!this.done && this.consumed - this.lastAckSent >= Math.max(1, Math.floor(this.window / 2))) this.sendAck();
  }

  private sendAck(): void {
    this.lastAckSent = this.consumed;
    this.sendControl({ ack: this.consumed });
  }

  private sendControl(message: ControlMessage): void {
    if (this.ctl === undefined || this.nc.isClosed()) return;
    try {
      this.nc.publish(this.ctl, encodeJson(message));
    } catch {
      // The agent's keepalive timeout ends its side.
    }
  }

  private fail(error: unknown, how: { discardQueued?: boolean; tellServer?: boolean } = {}): void {
    if (this.done) return;
    if (how.tellServer || how.discardQueued) this.sendControl({ cancel: true });
    this.finish();
    if (how.discardQueued) this.queue.length = 0;
    this.rejectOpened(error);
    this.push({ error });
  }

  private finish(): void {
    this.done = true;
    clearTimeout(this.firstReplyTimer);
    clearInterval(this.keepaliveTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.sub.unsubscribe();
  }
}
