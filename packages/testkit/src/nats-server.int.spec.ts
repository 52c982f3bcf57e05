import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { getFreePort } from './free-port.ts';
import { NatsServerNotFoundError, startNatsServer } from './nats-server.ts';
import { waitFor } from './wait-for.ts';

describe('startNatsServer', () => {
  it('starts a JetStream server, restarts it on the same port and store, and cleans up on stop', async () => {
    const server = await startNatsServer();
    try {
      expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
      const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({ name: 'KEEP', subjects: ['keep.>'] });
        const firstPid = server.process.pid;
        let reconnected = false;
        void (async () => {
          for await (const s of nc.status()) if (s.type === 'reconnect') reconnected = true;
        })();
        await server.restart();
        // A request sent before the client noticed the restart would be lost on the dead socket.
        await waitFor(() => reconnected, 10_000);
        expect(server.process.pid).not.toBe(firstPid);
        expect((await jsm.streams.info('KEEP')).config.name).toBe('KEEP');
      } finally {
        await nc.close();
      }
    } finally {
      await server.stop();
    }
    expect(existsSync(server.storeDir)).toBe(false);
    expect(server.logs()).toContain('Server is ready');
  });

  it('uses the requested port', async () => {
    const port = await getFreePort();
    const server = await startNatsServer({ port });
    try {
      expect(server.port).toBe(port);
    } finally {
      await server.stop();
    }
  });

  it('says how to install nats-server when the binary is missing', async () => {
    const attempt = startNatsServer({ binary: '/nonexistent/nats-server' });
    await expect(attempt).rejects.toBeInstanceOf(NatsServerNotFoundError);
    await expect(attempt).rejects.toThrow(
      'nats-server not found on PATH. Install it: Debian/Ubuntu `sudo apt-get install nats-server`; macOS `brew install nats-server`; or run `docker compose up nats`. Or set NATS_SERVER_BIN.',
    );
  });

  it('reports the server log when the server cannot start', async () => {
    const blocker = await startNatsServer();
    try {
      await expect(startNatsServer({ port: blocker.port })).rejects.toThrow(/exited before it was ready[\s\S]*address already in use/);
    } finally {
      await blocker.stop();
    }
  });
});
