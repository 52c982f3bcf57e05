import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Container, Pod } from '@flotilla/model';
import { ContainerLogsRequestError, requestContainerLogs } from '@flotilla/node-rpc';
import { ContainerLogsNotFoundError, type LogReadOptions } from '@flotilla/runtime';
import { containerStarted, given, nodeRegistered, podBound, podCreated, podSandboxReady } from '@flotilla/state/testing';
import type { Logger } from '@flotilla/service-kit';
import { startNatsServer, waitFor, type RunningNatsServer } from '@flotilla/testkit';
import { startLogServer } from './log-server.ts';

const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silentLogger };

let server: RunningNatsServer;
let api: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  api = await connect({ servers: server.url });
});

afterAll(async () => {
  await api?.close();
  await server?.stop();
});

const pod = { name: 'web', uid: 'uid-web' };
const state = given(
  nodeRegistered({ name: 'node-1' }),
  podCreated(pod),
  podBound({ ...pod, nodeName: 'node-1' }),
  podSandboxReady({ ...pod, nodeName: 'node-1' }),
  containerStarted(pod),
).state();

describe('node agent log server', () => {
  it('serves a follow from the runtime over its own connection until the requester stops', async () => {
    const signals: AbortSignal[] = [];
    const runtime = {
      async *readLogs(_pod: Pod, _container: Container, options: LogReadOptions): AsyncIterable<string> {
        if (options.previous) throw new ContainerLogsNotFoundError('previous terminated container "app" in pod "web" not found (runtime)');
        signals.push(options.signal!);
        yield 'one\n';
        yield 'two\n';
        await new Promise<void>((resolve) => options.signal?.addEventListener('abort', () => resolve(), { once: true }));
      },
    };
    const logs = await startLogServer({ servers: server.url, connectionName: 'agent-test', nodeNames: ['node-1'], projection: { state }, runtime, logger: silentLogger });
    try {
      const base = { namespace: 'default', name: 'web', uid: 'uid-web', container: 'app', previous: false, timestamps: false };
      const got: string[] = [];
      for await (const chunk of requestContainerLogs(api, 'node-1', { ...base, follow: true })) {
        got.push(chunk);
        if (got.length === 2) break;
      }
      expect(got).toEqual(['one\n', 'two\n']);
      await waitFor(() => logs.activeStreams === 0 && signals[0]?.aborted === true, 5_000);

      const wrongNode = requestContainerLogs(api, 'node-1', { ...base, uid: 'other', follow: false });
      await expect(wrongNode.opened).rejects.toBeInstanceOf(ContainerLogsRequestError);
    } finally {
      await logs.close();
    }
  });
});
