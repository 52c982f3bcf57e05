import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getFreePort } from '@flotilla/testkit';
import { LocalCluster } from './local-cluster.ts';

describe('LocalCluster', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function occupiedPort(): Promise<number> {
    const port = await getFreePort();
    // Accepts connections and never answers, as a port held by something else may.
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    );
    return port;
  }

  function dataDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-local-cluster-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it('moves the API to another free port when the one it was given is taken before it binds', async () => {
    const taken = await occupiedPort();
    const cluster = new LocalCluster({ dataDir: dataDir(), apiPort: taken, nodes: 0 });
    cleanup.push(() => cluster.stop());
    await cluster.start();
    expect(cluster.apiUrl).not.toBe(`http://127.0.0.1:${taken}`);
    expect((await fetch(`${cluster.apiUrl}/readyz`)).status).toBe(200);
  });

  it('fails with the bind error when the port was chosen by the user', async () => {
    const taken = await occupiedPort();
    const cluster = new LocalCluster({ dataDir: dataDir(), apiPort: taken, fixedApiPort: true, nodes: 0 });
    cleanup.push(() => cluster.stop());
    await expect(cluster.start()).rejects.toThrow(/EADDRINUSE/);
  });
});
