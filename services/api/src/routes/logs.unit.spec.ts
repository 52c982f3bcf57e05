import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { MemoryEventLog } from '@flotilla/eventlog';
import { envelope, msgIdFor, subjectFor, type DomainEvent } from '@flotilla/events';
import {
  ContainerLogsRequestError,
  NodeAgentTimeoutError,
  NodeAgentUnavailableError,
  type ContainerLogStream,
  type ContainerLogsRequest,
  type ContainerLogsRequester,
} from '@flotilla/node-rpc';
import { LiveProjection, createLogger } from '@flotilla/service-kit';
import {
  container,
  containerStarted,
  containerTerminated,
  nodeRegistered,
  podBound,
  podCreated,
  podSandboxReady,
} from '@flotilla/state/testing';
import { waitFor } from '@flotilla/testkit';
import { buildApiServer } from '../server.ts';

/** A node agent's answer, scripted by the test: the double for node-rpc's requestContainerLogs. */
class FakeLogStream implements ContainerLogStream {
  readonly opened: Promise<void>;
  cancelled = false;
  private accept!: () => void;
  private refuse!: (error: unknown) => void;
  private readonly queue: Array<{ text: string } | { end: true } | { error: unknown }> = [];
  private waiter: (() => void) | undefined;

  constructor(
    readonly nodeName: string,
    readonly request: ContainerLogsRequest,
    readonly signal: AbortSignal | undefined,
  ) {
    this.opened = new Promise((resolve, reject) => {
      this.accept = resolve;
      this.refuse = reject;
    });
    this.opened.catch(() => undefined);
    signal?.addEventListener('abort', () => this.put({ error: signal.reason }), { once: true });
  }

  open(): this {
    this.accept();
    return this;
  }
  deny(error: unknown): this {
    this.refuse(error);
    this.put({ error });
    return this;
  }
  write(text: string): this {
    this.put({ text });
    return this;
  }
  end(): this {
    this.put({ end: true });
    return this;
  }
  fail(error: unknown): this {
    this.put({ error });
    return this;
  }
  cancel(): void {
    this.cancelled = true;
    this.put({ end: true });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    let done = false;
    try {
      for (;;) {
        if (this.queue.length === 0) await new Promise<void>((resolve) => (this.waiter = resolve));
        const item = this.queue.shift();
        if (item === undefined) continue;
        if ('text' in item) yield item.text;
        else if ('end' in item) {
          done = true;
          return;
        } else {
          done = true;
          throw item.error;
        }
      }
    } finally {
      if (!done) this.cancel();
    }
  }

  private put(item: { text: string } | { end: true } | { error: unknown }): void {
    this.queue.push(item);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

describe('GET /api/v1/namespaces/{ns}/pods/{name}/log', () => {
  let log: MemoryEventLog;
  let projection: LiveProjection;
  let app: FastifyInstance;
  let streams: FakeLogStream[];
  /** How the fake node answers each request (default: the whole log at once). */
  let answer: (stream: FakeLogStream) => void;
  let now: Date;

  const requester: ContainerLogsRequester = (nodeName, request, options) => {
    const stream = new FakeLogStream(nodeName, request, options?.signal);
    streams.push(stream);
    answer(stream);
    return stream;
  };

  async function append(...events: DomainEvent[]): Promise<void> {
    for (const event of events) {
      const { seq } = await log.append({ subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source: 'test', time: now.toISOString() }) });
      await projection.waitFor(seq, 1000);
    }
  }

  /** A pod bound to node-1 whose containers have started (init containers completed). */
  async function runningPod(name: string, containers = ['app'], initContainers: string[] = []): Promise<void> {
    const ref = { name, uid: `uid-${name}` };
    await append(
      podCreated({ ...ref, containers: containers.map((c) => container(c)), ...(initContainers.length ? { initContainers: initContainers.map((c) => container(c)) } : {}) }),
      podBound({ ...ref, nodeName: 'node-1' }),
      podSandboxReady({ ...ref, nodeName: 'node-1' }),
      ...initContainers.map((c) => containerTerminated({ ...ref, container: c, kind: 'init' })),
      ...containers.map((c) => containerStarted({ ...ref, container: c })),
    );
  }

  const get = (url: string) => app.inject({ method: 'GET', url });

  beforeEach(async () => {
    now = new Date('2026-01-01T12:00:00Z');
    streams = [];
    answer = (stream) => stream.open().write('hello\n').write('world\n').end();
    log = new MemoryEventLog();
    projection = new LiveProjection(log);
    await projection.start();
    app = await buildApiServer({ log, projection, logger: createLogger('api-test', {}, 'error'), containerLogs: requester, now: () => now });
    await append(nodeRegistered({ name: 'node-1' }));
  });

  afterEach(async () => {
    await app.close();
    await projection.stop();
    await log.close();
  });

  it("streams the only container's log as text from the node the pod is bound to", async () => {
    await runningPod('web');
    const response = await get('/api/v1/namespaces/default/pods/web/log?tailLines=5');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.body).toBe('hello\nworld\n');
    expect(streams).toHaveLength(1);
    expect(streams[0]!.nodeName).toBe('node-1');
    expect(streams[0]!.request).toEqual({ namespace: 'default', name: 'web', uid: 'uid-web', container: 'app', previous: false, follow: false, timestamps: false, tailLines: 5 });
  });

  it('answers HEAD from the checks alone, without asking the node', async () => {
    await runningPod('web');
    expect((await app.inject({ method: 'HEAD', url: '/api/v1/namespaces/default/pods/web/log?follow=true' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'HEAD', url: '/api/v1/namespaces/default/pods/ghost/log' })).statusCode).toBe(404);
    expect(streams).toHaveLength(0);
  });

  it('passes container, previous and timestamps on, and reads init containers', async () => {
    await runningPod('multi', ['app', 'side'], ['init']);
    const response = await get('/api/v1/namespaces/default/pods/multi/log?container=init&timestamps=true&previous=false');
    expect(response.statusCode).toBe(200);
    expect(streams[0]!.request).toMatchObject({ container: 'init', timestamps: true, previous: false });
  });

  it('answers 404 with a Status for an unknown pod', async () => {
    const response = await get('/api/v1/namespaces/default/pods/ghost/log');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'pods "ghost" not found', details: { name: 'ghost', kind: 'pods' } });
  });

  it('asks for a container name when the pod has several, and refuses unknown ones', async () => {
    await runningPod('multi', ['app', 'side'], ['init']);
    const unnamed = await get('/api/v1/namespaces/default/pods/multi/log');
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.json()).toMatchObject({
      reason: 'BadRequest',
      message: 'a container name must be specified for pod multi, choose one of: [app side] or one of the init containers: [init]',
    });
    await runningPod('pair', ['a', 'b']);
    expect((await get('/api/v1/namespaces/default/pods/pair/log')).json().message).toBe('a container name must be specified for pod pair, choose one of: [a b]');
    const unknown = await get('/api/v1/namespaces/default/pods/multi/log?container=nope');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toBe('container nope is not valid for pod multi');
    expect(streams).toHaveLength(0);
  });

  it('says a pod that is not running yet is waiting to start, without asking a node', async () => {
    await append(podCreated({ name: 'queued', uid: 'uid-queued' }));
    const pending = await get('/api/v1/namespaces/default/pods/queued/log');
    expect(pending.statusCode).toBe(400);
    expect(pending.json()).toMatchObject({ reason: 'BadRequest', message: 'container "app" in pod "queued" is waiting to start: ContainerCreating' });
    await append(podBound({ name: 'queued', uid: 'uid-queued', nodeName: 'node-1' }), podSandboxReady({ name: 'queued', uid: 'uid-queued', nodeName: 'node-1' }));
    expect((await get('/api/v1/namespaces/default/pods/queued/log')).json().message).toBe('container "app" in pod "queued" is waiting to start: ContainerCreating');
    await runningPod('web');
    const previous = await get('/api/v1/namespaces/default/pods/web/log?previous=true');
    expect(previous.statusCode).toBe(400);
    expect(previous.json().message).toBe('previous terminated container "app" in pod "web" not found');
    expect(streams).toHaveLength(0);
  });

  it('refuses bad query values naming the parameter', async () => {
    await runningPod('web');
    const cases: Array<[string, string]> = [
      ['tailLines=-1', 'tailLines: invalid value "-1": must be a non-negative integer'],
      ['tailLines=ten', 'tailLines: invalid value "ten": must be a non-negative integer'],
      ['follow=yes', 'follow: invalid value "yes": must be true or false'],
      ['previous=2', 'previous: invalid value "2": must be true or false'],
      ['limitBytes=0', 'limitBytes: invalid value "0": must be a positive integer'],
      ['sinceSeconds=1.5', 'sinceSeconds: invalid value "1.5": must be a positive integer'],
      ['sinceTime=yesterday', 'sinceTime: invalid value "yesterday": must be an RFC 3339 time, e.g. 2024-05-01T12:00:00Z'],
      ['sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z', 'at most one of sinceTime or sinceSeconds may be specified'],
    ];
    for (const [query, message] of cases) {
      const response = await get(`/api/v1/namespaces/default/pods/web/log?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({ kind: 'Status', reason: 'BadRequest', message });
    }
    expect(streams).toHaveLength(0);
  });

  it("maps the node's answers: no agent 503, no answer 504, no log 400, a failure 500", async () => {
    await runningPod('web');
    const cases: Array<[unknown, number, string, string]> = [
      [new NodeAgentUnavailableError('node-1', 'flotilla.node.node-1.logs'), 503, 'ServiceUnavailable', 'no node agent is serving node node-1 (nothing listens on flotilla.node.node-1.logs): is its node agent running?'],
      [new NodeAgentTimeoutError('node-1', 5000), 504, 'Timeout', 'node agent for node node-1 did not answer within 5s; the logs could not be read, and whether the node is still up is unknown (it may be down, overloaded or cut off from NATS)'],
      [new ContainerLogsRequestError('NotFound', 'previous terminated container "app" in pod "web" not found'), 400, 'BadRequest', 'previous terminated container "app" in pod "web" not found'],
      [new ContainerLogsRequestError('InternalError', 'reading the logs failed: EIO'), 500, 'InternalError', 'node node-1 could not read the logs: reading the logs failed: EIO'],
    ];
    for (const [error, code, reason, message] of cases) {
      answer = (stream) => stream.deny(error);
      const response = await get('/api/v1/namespaces/default/pods/web/log');
      expect(response.statusCode).toBe(code);
      expect(response.json()).toMatchObject({ kind: 'Status', code, reason, message });
    }
    expect(streams.every((s) => s.cancelled)).toBe(true);

    // The agent accepted, then its reader failed before the first line: still a Status.
    answer = (stream) => stream.open().fail(new ContainerLogsRequestError('NotFound', 'log rotated away'));
    const late = await get('/api/v1/namespaces/default/pods/web/log');
    expect(late.statusCode).toBe(400);
    expect(late.json().message).toBe('log rotated away');
  });

  it('answers 503 when the API has no connection to the node agents', async () => {
    await runningPod('web');
    const bare = await buildApiServer({ log, projection, logger: createLogger('api-test', {}, 'error') });
    const response = await bare.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/web/log' });
    expect(response.statusCode).toBe(503);
    expect(response.json().message).toBe('container logs are not available: this API server has no connection to the node agents');
    await bare.close();
  });

  it('cuts the output at limitBytes and stops the node stream', async () => {
    await runningPod('web');
    answer = (stream) => stream.open().write('héllo\n').write('more\n');
    const response = await get('/api/v1/namespaces/default/pods/web/log?limitBytes=2');
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload).toEqual(Buffer.from('héllo', 'utf8').subarray(0, 2));
    expect(streams[0]!.cancelled).toBe(true);
  });

  it('keeps lines since sinceSeconds, with timestamps only when asked', async () => {
    await runningPod('web');
    answer = (stream) =>
      stream
        .open()
        .write('2026-01-01T11:58:00.000000000Z old\n2026-01-01T11:59:30.123456789Z new\n')
        .write('2026-01-01T11:59:59Z newest')
        .end();
    const plain = await get('/api/v1/namespaces/default/pods/web/log?sinceSeconds=60');
    expect(streams[0]!.request.timestamps).toBe(true);
    expect(plain.body).toBe('new\nnewest');
    const stamped = await get('/api/v1/namespaces/default/pods/web/log?sinceTime=2026-01-01T11:59:00Z&timestamps=true');
    expect(stamped.body).toBe('2026-01-01T11:59:30.123456789Z new\n2026-01-01T11:59:59Z newest');
  });

  describe('over HTTP', () => {
    let base: string;
    beforeEach(async () => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });

    it('follows: answers at once, streams each piece as it comes, and ends when the container stops', async () => {
      await runningPod('web');
      answer = (stream) => stream.open();
      const response = await fetch(`${base}/api/v1/namespaces/default/pods/web/log?follow=true`);
      expect(response.status).toBe(200);
      expect(response.headers.get('transfer-encoding')).toBe('chunked');
      expect(streams[0]!.request.follow).toBe(true);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      streams[0]!.write('first\n');
      expect((await reader.read()).value).toBe('first\n');
      streams[0]!.write('second\n');
      expect((await reader.read()).value).toBe('second\n');
      streams[0]!.end();
      expect((await reader.read()).done).toBe(true);
    });

    it('stops the node stream when the client goes away', async () => {
      await runningPod('web');
      answer = (stream) => stream.open().write('first\n');
      const controller = new AbortController();
      const response = await fetch(`${base}/api/v1/namespaces/default/pods/web/log?follow`, { signal: controller.signal });
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      await waitFor(() => streams[0]!.signal?.aborted === true, 5_000, { description: 'the node stream is aborted' });
    });

    it('breaks the response off, instead of ending it cleanly, when the node stream fails midway', async () => {
      await runningPod('web');
      answer = (stream) => stream.open();
      const response = await fetch(`${base}/api/v1/namespaces/default/pods/web/log?follow=1`);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      streams[0]!.write('first\n');
      expect((await reader.read()).value).toBe('first\n');
      streams[0]!.fail(new Error('node went silent'));
      await expect(reader.read()).rejects.toThrow();
    });
  });
});
