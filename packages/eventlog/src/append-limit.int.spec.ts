import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { getFreePort, startNatsServer, waitFor } from '@flotilla/testkit';
import type { RunningNatsServer } from '@flotilla/testkit';
import { AppendLimitError, measureAppendLimit } from './append-limit.ts';
import { EventLogUnavailableError } from './errors.ts';

let server: RunningNatsServer;
let admin: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer();
  admin = await connect({ servers: server.url });
  jsm = await jetstreamManager(admin);
});

afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

async function streamNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const name of jsm.streams.names()) names.push(name);
  return names;
}

describe('measureAppendLimit', () => {
  it('appends the requested messages to a scratch stream, reports the rate and deletes the stream', async () => {
    const before = await streamNames();
    const limit = await measureAppendLimit({ servers: server.url, eventBytes: 300, count: 2_000, inFlight: 100, stream: 'LIMIT_SPEC' });

    expect(limit).toMatchObject({ eventBytes: 300, count: 2_000, inFlight: 100 });
    expect(limit.appendsPerSecond).toBeGreaterThan(0);
    expect(Number.isFinite(limit.appendsPerSecond)).toBe(true);
    expect(limit.ackP50Ms).toBeGreaterThan(0);
    expect(limit.ackP99Ms).toBeGreaterThanOrEqual(limit.ackP50Ms);
    expect(await streamNames()).toEqual(before);
  });

  it('uses a random scratch stream by default and leaves the real event stream alone', async () => {
    await jsm.streams.add({ name: 'FLOTILLA', subjects: ['flotilla.ev.>'] });
    try {
      const limit = await measureAppendLimit({ servers: server.url, eventBytes: 64, count: 50 });
      expect(limit.count).toBe(50);
      expect(limit.inFlight).toBe(50); // never more in flight than messages
      // The warm-up appends (2 000 by default) went to the scratch stream too, not to FLOTILLA.
      expect(await streamNames()).toEqual(['FLOTILLA']);
      expect((await jsm.streams.info('FLOTILLA')).state.messages).toBe(0);
    } finally {
      await jsm.streams.delete('FLOTILLA');
    }
  });

  it('deletes the scratch stream when the appends fail', async () => {
    // Appends time out while the server is frozen; the stream is deleted once it answers again.
    const measuring = measureAppendLimit({
      servers: server.url,
      eventBytes: 64,
      count: 1_000_000,
      inFlight: 50,
      warmup: 0,
      ackTimeoutMs: 300,
      stream: 'LIMIT_FROZEN',
    }).catch((e: unknown) => e);
    await waitFor(async () => (await streamNames()).includes('LIMIT_FROZEN'), 10_000, { intervalMs: 5, description: 'the scratch stream exists' });
    await server.pause();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    server.resume();
    const err = await measuring;
    expect(err).toBeInstanceOf(AppendLimitError);
    expect((err as Error).message).toMatch(/append to the scratch stream failed/);
    expect(await streamNames()).toEqual([]);
  });

  it('does not touch an existing stream of the requested name', async () => {
    await jsm.streams.add({ name: 'LIMIT_TAKEN', subjects: ['other.>'] });
    try {
      const err = await measureAppendLimit({ servers: server.url, eventBytes: 64, count: 10, stream: 'LIMIT_TAKEN' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppendLimitError);
      expect((err as Error).message).toContain('cannot create the scratch stream LIMIT_TAKEN');
      expect(await streamNames()).toEqual(['LIMIT_TAKEN']);
    } finally {
      await jsm.streams.delete('LIMIT_TAKEN');
    }
  });

  it('fails with a clear error when the server cannot be reached', async () => {
    const port = await getFreePort();
    const err: unknown = await measureAppendLimit({ servers: `nats://127.0.0.1:${port}`, eventBytes: 64, count: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventLogUnavailableError);
    expect((err as Error).message).toContain(`cannot connect to NATS at nats://127.0.0.1:${port}`);
  });

  it('rejects nonsensical options before connecting', async () => {
    await expect(measureAppendLimit({ servers: server.url, eventBytes: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(measureAppendLimit({ servers: server.url, eventBytes: 10, inFlight: 1.5 })).rejects.toBeInstanceOf(RangeError);
    await expect(measureAppendLimit({ servers: server.url, eventBytes: 10, warmup: -1 })).rejects.toBeInstanceOf(RangeError);
  });
});
