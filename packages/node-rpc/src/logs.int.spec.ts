import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ContainerLogsNotFoundError } from '@flotilla/runtime';
import { startNatsServer, waitFor, type RunningNatsServer } from '@flotilla/testkit';
import { ContainerLogsRequestError, NodeAgentTimeoutError, NodeAgentUnavailableError, NodeStreamBrokenError } from './errors.ts';
import { serveContainerLogs, type ContainerLogsServer, type OpenContext, type ServeContainerLogsOptions } from './logs-server.ts';
import { requestContainerLogs } from './logs-client.ts';
import { decodeJson, encodeJson, type ContainerLogsRequest } from './protocol.ts';
import { logsSubject } from './subjects.ts';

let server: RunningNatsServer;
let agentConn: NatsConnection;
let apiConn: NatsConnection;
const cleanups: Array<() => unknown> = [];

const quiet = { debug: () => undefined, warn: () => undefined };
const request = (overrides: Partial<ContainerLogsRequest> = {}): ContainerLogsRequest => ({
  namespace: 'default',
  name: 'web',
  uid: 'uid-1',
  container: 'app',
  previous: false,
  follow: false,
  timestamps: false,
  ...overrides,
});

async function serve(open: ServeContainerLogsOptions['open'], extra: Partial<ServeContainerLogsOptions> = {}): Promise<ContainerLogsServer> {
  const handle = serveContainerLogs(agentConn, { nodeNames: ['node-1'], open, logger: quiet, ...extra });
  cleanups.push(() => handle.close());
  await handle.ready;
  return handle;
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of iterable) out.push(chunk);
  return out;
}

/** A follow that yields a line every few ms until its signal aborts; records what it saw. */
function endlessFollow(record: { contexts: OpenContext[]; pulled: number }) {
  return async function* (_request: ContainerLogsRequest, context: OpenContext): AsyncIterable<string> {
    record.contexts.push(context);
    while (!context.signal.aborted) {
      record.pulled++;
      yield `line ${record.pulled}\n`;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
}

beforeAll(async () => {
  server = await startNatsServer();
  agentConn = await connect({ servers: server.url });
  apiConn = await connect({ servers: server.url });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await agentConn?.close();
  await apiConn?.close();
  await server?.stop();
});

describe('container logs over NATS', () => {
  it('streams every chunk in order, splitting long ones, through a small window', async () => {
    const seen: ContainerLogsRequest[] = [];
    await serve(
      async function* (req) {
        seen.push(req);
        for (let i = 1; i <= 200; i++) yield `line ${i}\n`;
        yield 'x'.repeat(2500) + '\n';
      },
      { window: 4, maxChunkChars: 1000 },
    );
    const stream = requestContainerLogs(apiConn, 'node-1', request({ tailLines: 10, timestamps: true }));
    await stream.opened;
    const text = (await collect(stream)).join('');
    const expected = Array.from({ length: 200 }, (_, i) => `line ${i + 1}\n`).join('') + 'x'.repeat(2500) + '\n';
    expect(text).toBe(expected);
    expect(seen).toEqual([request({ tailLines: 10, timestamps: true })]);
  });

  it('ends a follow the requester cancels, and the agent stops reading', async () => {
    const record = { contexts: [] as OpenContext[], pulled: 0 };
    const handle = await serve(endlessFollow(record));
    const stream = requestContainerLogs(apiConn, 'node-1', request({ follow: true }));
    const got: string[] = [];
    for await (const chunk of stream) {
      got.push(chunk);
      if (got.length === 3) break;
    }
    expect(got).toEqual(['line 1\n', 'line 2\n', 'line 3\n']);
    await waitFor(() => handle.activeStreams === 0, 5_000, { description: 'the agent ends the stream' });
    expect(record.contexts[0]?.signal.aborted).toBe(true);
    expect(record.contexts[0]?.nodeName).toBe('node-1');
  });

  it('ends a follow whose requester vanished once its keepalives stop', async () => {
    const record = { contexts: [] as OpenContext[], pulled: 0 };
    const handle = await serve(endlessFollow(record));
    const doomed = await connect({ servers: server.url });
    const stream = requestContainerLogs(doomed, 'node-1', request({ follow: true }), { keepaliveMs: 50 });
    await stream.opened;
    expect(handle.activeStreams).toBe(1);
    await doomed.close();
    await waitFor(() => handle.activeStreams === 0, 5_000, { description: 'keepalive timeout' });
    expect(record.contexts[0]?.signal.aborted).toBe(true);
  });

  it('aborting the signal stops the stream on both sides', async () => {
    const record = { contexts: [] as OpenContext[], pulled: 0 };
    const handle = await serve(endlessFollow(record));
    const controller = new AbortController();
    const stream = requestContainerLogs(apiConn, 'node-1', request({ follow: true }), { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe('line 1\n');
    controller.abort(new Error('client went away'));
    await expect(iterator.next()).rejects.toThrow('client went away');
    await waitFor(() => handle.activeStreams === 0, 5_000);
  });

  it('holds the agent to the window while the requester does not read', async () => {
    const record = { contexts: [] as OpenContext[], pulled: 0 };
    await serve(endlessFollow(record), { window: 4 });
    const stream = requestContainerLogs(apiConn, 'node-1', request({ follow: true }));
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await waitFor(() => record.pulled >= 5, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // One chunk read, four in flight, and at most one more the agent pulled and holds for credit.
    expect(record.pulled).toBeLessThanOrEqual(6);
    const next = await iterator.next();
    expect(next.value).toBe('line 2\n');
    stream.cancel();
  });

  it("maps the runtime's ContainerLogsNotFoundError to NotFound, from open and from the reader", async () => {
    await serve((req) => {
      if (req.previous) throw new ContainerLogsNotFoundError('previous terminated container "app" in pod "web" not found');
      return (async function* () {
        yield 'first\n';
        throw new ContainerLogsNotFoundError('log rotated away');
      })();
    });
    const refused = requestContainerLogs(apiConn, 'node-1', request({ previous: true }));
    const error = await refused.opened.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerLogsRequestError);
    expect(error).toMatchObject({ reason: 'NotFound', message: 'previous terminated container "app" in pod "web" not found' });
    await expect(collect(refused)).rejects.toThrow(ContainerLogsRequestError);

    const broken = requestContainerLogs(apiConn, 'node-1', request());
    await broken.opened;
    const got: string[] = [];
    const failure = await (async () => {
      for await (const chunk of broken) got.push(chunk);
    })().catch((e: unknown) => e);
    expect(got).toEqual(['first\n']);
    expect(failure).toMatchObject({ name: 'ContainerLogsRequestError', reason: 'NotFound', message: 'log rotated away' });
  });

  it('answers other failures as InternalError and reasons the server chose as given', async () => {
    await serve((req) => {
      if (req.container === 'nope') throw new ContainerLogsRequestError('BadRequest', 'container nope is not valid for pod web');
      throw new Error('disk on fire');
    });
    await expect(requestContainerLogs(apiConn, 'node-1', request({ container: 'nope' })).opened).rejects.toMatchObject({ reason: 'BadRequest' });
    await expect(requestContainerLogs(apiConn, 'node-1', request()).opened).rejects.toMatchObject({
      reason: 'InternalError',
      message: 'reading the logs failed: disk on fire',
    });
  });

  it('fails at once with a clear error when no agent serves the node', async () => {
    const stream = requestContainerLogs(apiConn, 'node-9', request(), { firstReplyTimeoutMs: 10_000 });
    const error = await stream.opened.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeAgentUnavailableError);
    expect((error as Error).message).toBe('no node agent is serving node node-9 (nothing listens on flotilla.node.node-9.logs)');
  });

  it('fails with a timeout naming the node when the agent does not answer', async () => {
    const mute = agentConn.subscribe(logsSubject('node-1'), { callback: () => undefined });
    cleanups.push(() => mute.unsubscribe());
    await agentConn.flush();
    const stream = requestContainerLogs(apiConn, 'node-1', request(), { firstReplyTimeoutMs: 200 });
    const error = await stream.opened.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeAgentTimeoutError);
    expect((error as Error).message).toBe('node agent for node node-1 did not answer within 200ms');
  });

  it('serves nodes whose names have dots', async () => {
    await serve(async function* () {
      yield 'hello\n';
    }, { nodeNames: ['worker.example.com'] });
    expect(logsSubject('worker.example.com')).toBe('flotilla.node.worker_2eexample_2ecom.logs');
    expect(await collect(requestContainerLogs(apiConn, 'worker.example.com', request()))).toEqual(['hello\n']);
  });

  it('fails a stream with a gap in seq, and one whose agent went silent', async () => {
    // A hand-made agent: opens, then skips seq 1.
    const fake = agentConn.subscribe(logsSubject('node-1'), {
      callback: (_error, msg) => {
        const { streamInbox, container } = decodeJson(msg.data) as { streamInbox: string; container: string };
        agentConn.publish(streamInbox, encodeJson({ seq: 0, open: { ctl: '_INBOX.fake-ctl', window: 8, heartbeatMs: 50 } }));
        if (container === 'gap') agentConn.publish(streamInbox, encodeJson({ seq: 2, data: 'late\n' }));
      },
    });
    cleanups.push(() => fake.unsubscribe());
    await agentConn.flush();
    await expect(collect(requestContainerLogs(apiConn, 'node-1', request({ container: 'gap' })))).rejects.toThrow(
      new NodeStreamBrokenError('node-1', 'the log stream from node node-1 lost messages: expected seq 1, got 2'),
    );
    const silent = requestContainerLogs(apiConn, 'node-1', request({ container: 'silent' }), { keepaliveMs: 50 });
    await expect(collect(silent)).rejects.toThrow(/node agent for node node-1 stopped answering: nothing heard for/);
  });

  it('refuses a malformed request with BadRequest', async () => {
    await serve(async function* () {
      yield 'never\n';
    });
    const inbox = `_INBOX.malformed.${Date.now()}`;
    const sub = apiConn.subscribe(inbox, { max: 1 });
    apiConn.publish(logsSubject('node-1'), encodeJson({ ...request(), tailLines: -1, streamInbox: inbox }));
    for await (const msg of sub) {
      expect(decodeJson(msg.data)).toEqual({ seq: 0, error: { reason: 'BadRequest', message: 'invalid container logs request: tailLines: Too small: expected number to be >=0' } });
    }
  });
});
