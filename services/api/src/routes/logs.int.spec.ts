// The log route over a real nats-server: the API's node-rpc requester against a node-rpc server
// standing in for the node agent (its reader scripted here).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { MemoryEventLog } from '@flotilla/eventlog';
import { envelope, msgIdFor, subjectFor, type DomainEvent } from '@flotilla/events';
import { requestContainerLogs, serveContainerLogs, type ContainerLogsServer, type OpenContext } from '@flotilla/node-rpc';
import { ContainerLogsNotFoundError } from '@flotilla/runtime';
import { LiveProjection, createLogger } from '@flotilla/service-kit';
import { containerStarted, containerTerminated, nodeRegistered, podBound, podCreated, podSandboxReady } from '@flotilla/state/testing';
import { startNatsServer, waitFor, type RunningNatsServer } from '@flotilla/testkit';
import { buildApiServer } from '../server.ts';

let nats: RunningNatsServer;
let apiConn: NatsConnection;
let agentConn: NatsConnection;
let log: MemoryEventLog;
let projection: LiveProjection;
let app: FastifyInstance;
let agent: ContainerLogsServer;
let base: string;
const opened: OpenContext[] = [];

async function append(...events: DomainEvent[]): Promise<void> {
  for (const event of events) {
    const { seq } = await log.append({ subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source: 'test', time: '2026-01-01T00:00:00.000Z' }) });
    await projection.waitFor(seq, 1000);
  }
}

beforeAll(async () => {
  nats = await startNatsServer();
  apiConn = await connect({ servers: nats.url });
  agentConn = await connect({ servers: nats.url });
  log = new MemoryEventLog();
  projection = new LiveProjection(log);
  await projection.start();
  app = await buildApiServer({
    log,
    projection,
    logger: createLogger('api-test', {}, 'error'),
    containerLogs: (node, request, options) => requestContainerLogs(apiConn, node, request, { ...options, keepaliveMs: 100 }),
    logFirstReplyTimeoutMs: 2_000,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  agent = serveContainerLogs(agentConn, {
    nodeNames: ['node-1'],
    logger: { debug: () => undefined, warn: () => undefined },
    async *open(request, context) {
      if (request.previous) throw new ContainerLogsNotFoundError('previous terminated container "app" in pod "web" not found');
      opened.push(context);
      for (let i = 1; i <= 3; i++) yield `line ${i}\n`;
      if (!request.follow) return;
      for (let i = 4; !context.signal.aborted; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        yield `line ${i}\n`;
      }
    },
  });
  await agent.ready;
  const ref = { name: 'web', uid: 'uid-web' };
  await append(nodeRegistered({ name: 'node-1' }), nodeRegistered({ name: 'node-2' }), podCreated(ref), podBound({ ...ref, nodeName: 'node-1' }), podSandboxReady({ ...ref, nodeName: 'node-1' }), containerStarted(ref));
  const orphan = { name: 'orphan', uid: 'uid-orphan' };
  await append(podCreated(orphan), podBound({ ...orphan, nodeName: 'node-2' }), podSandboxReady({ ...orphan, nodeName: 'node-2' }), containerStarted({ ...orphan, nodeName: 'node-2' }));
});

afterAll(async () => {
  await app?.close();
  await agent?.close();
  await projection?.stop();
  await apiConn?.close();
  await agentConn?.close();
  await nats?.stop();
});

describe('log route through NATS', () => {
  it('reads a whole log', async () => {
    const response = await fetch(`${base}/api/v1/namespaces/default/pods/web/log`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('line 1\nline 2\nline 3\n');
  });

  it("answers the agent's NotFound as 400, and a node without an agent as 503", async () => {
    // The fold shows a previous instance, so the API asks; the agent has no log of it.
    const ref = { name: 'web', uid: 'uid-web' };
    await append(containerTerminated({ ...ref, exitCode: 1 }), containerStarted({ ...ref, restartCount: 1 }));
    const previous = await fetch(`${base}/api/v1/namespaces/default/pods/web/log?previous=true`);
    expect(previous.status).toBe(400);
    expect(await previous.json()).toMatchObject({ reason: 'BadRequest', message: 'previous terminated container "app" in pod "web" not found' });
    const orphan = await fetch(`${base}/api/v1/namespaces/default/pods/orphan/log`);
    expect(orphan.status).toBe(503);
    expect(await orphan.json()).toMatchObject({ reason: 'ServiceUnavailable', message: 'no node agent is serving node node-2 (nothing listens on flotilla.node.node-2.logs): is its node agent running?' });
  });

  it('follows until the client disconnects, then the agent stops reading', async () => {
    const before = opened.length;
    const controller = new AbortController();
    const response = await fetch(`${base}/api/v1/namespaces/default/pods/web/log?follow=true`, { signal: controller.signal });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('line 5\n')) text += (await reader.read()).value ?? '';
    expect(text.startsWith('line 1\nline 2\nline 3\nline 4\nline 5\n')).toBe(true);
    controller.abort();
    await waitFor(() => agent.activeStreams === 0, 5_000, { description: 'the agent ends the follow' });
    expect(opened[before]?.signal.aborted).toBe(true);
  });
});
