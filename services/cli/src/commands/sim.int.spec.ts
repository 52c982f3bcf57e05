import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamEventLog } from '@flotilla/eventlog';
import { LiveProjection } from '@flotilla/service-kit';
import { startNatsServer, waitFor, type RunningNatsServer } from '@flotilla/testkit';
import type { Io } from './context.ts';
import { runSimNodes } from './sim.ts';

let server: RunningNatsServer;

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await server?.stop();
});

describe('flotilla sim nodes against a real nats-server', () => {
  it('hosts N simulated nodes in a node agent, says how fast they registered, and stops cleanly when asked', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = { out: (text) => void out.push(text), err: (text) => void err.push(text) };
    const abort = new AbortController();
    const done = runSimNodes({ count: 25, nats: server.url, seed: 4 }, [], io, { signal: abort.signal });
    await waitFor(() => out.join('').includes('Ctrl-C stops the nodes'), 60_000, { description: `output so far:\n${out.join('')}${err.join('')}` });
    expect(out.join('')).toMatch(/^registering 25 simulated nodes \(the log held 0 events, folded in \d+ ms\)\n25 nodes registered in [\d.]+ s \([\d,]+ nodes\/s\): 25 new, 0 re-registered, 0 unchanged\n/);

    const log = await JetStreamEventLog.connect({ servers: server.url, name: 'sim-spec' });
    const projection = new LiveProjection(log);
    try {
      await projection.start();
      expect([...projection.state.nodes.keys()].sort()).toEqual(Array.from({ length: 25 }, (_, i) => `sim-${i + 1}`).sort());
    } finally {
      await projection.stop();
      await log.close();
    }

    abort.abort();
    expect(await done).toBe(0);
    expect(err.join('')).toContain('stopping the simulated nodes');
  }, 90_000);
});
