import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { startNatsServer, waitFor } from '@flotilla/testkit';
import type { RunningNatsServer } from '@flotilla/testkit';
import { eventLogContract } from './contract.ts';
import type { EventEnvelope, EventLog, RecordedEvent } from './envelope.ts';
import { AppendTimeoutError, EventLogUnavailableError, StreamConfigMismatchError } from './errors.ts';
import { JetStreamEventLog } from './jetstream-event-log.ts';
import type { JetStreamEventLogOptions } from './jetstream-event-log.ts';
import { ALL_EVENTS, nodeSubject, podSubject } from './subjects.ts';

let server: RunningNatsServer;
let admin: NatsConnection;
let jsm: JetStreamManager;
let adminConnected = true;
let streamCounter = 0;

beforeAll(async () => {
  server = await startNatsServer();
  admin = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  jsm = await jetstreamManager(admin);
  void (async () => {
    for await (const s of admin.status()) {
      if (s.type === 'disconnect') adminConnected = false;
      if (s.type === 'reconnect') adminConnected = true;
    }
  })();
});

afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

/** Every test gets its own stream; streams are deleted after use since they all claim 'flotilla.ev.>'. */
async function openLog(opts: Partial<JetStreamEventLogOptions> = {}): Promise<{ log: JetStreamEventLog; teardown: () => Promise<void> }> {
  const streamName = `EVENTS_${++streamCounter}`;
  const log = await JetStreamEventLog.connect({ servers: server.url, streamName, name: `test-${streamName}`, ...opts });
  return {
    log,
    teardown: async () => {
      await log.close();
      await deleteStream(streamName);
    },
  };
}

/** Deletes a stream even right after a server restart (the admin connection may still be reconnecting). */
async function deleteStream(name: string): Promise<void> {
  await waitFor(
    async () => {
      if (!adminConnected) return false;
      try {
        await jsm.streams.delete(name);
        return true;
      } catch (err) {
        if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return true;
        throw err;
      }
    },
    20_000,
    { description: `stream ${name} deleted` },
  );
}

/**
 * Stops the server, waits until every log has noticed, starts it again on the same port and store,
 * and waits until every log has reconnected. Waiting for both edges keeps appends off a dead socket.
 */
async function restartServer(logs: EventLog[], signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  await stopServer(logs, signal);
  await startServerAgain(logs);
}

async function stopServer(logs: EventLog[], signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  server.kill(signal);
  await server.waitForExit();
  await waitFor(() => logs.every((log) => !log.status().connected) && !adminConnected, 10_000, {
    description: 'clients to notice the server is gone',
  });
}

async function startServerAgain(logs: EventLog[]): Promise<void> {
  await server.restart();
  await waitFor(() => logs.every((log) => log.status().connected) && adminConnected, 15_000, {
    description: 'clients to reconnect',
  });
}

function event(type: string): EventEnvelope {
  return { id: `id-${type}`, type, schemaVersion: 1, time: '2026-01-01T00:00:00.000Z', source: 'int-test', data: { type } };
}

async function collect(iterable: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const rec of iterable) out.push(rec);
  return out;
}

eventLogContract('JetStreamEventLog', () => openLog());

describe('JetStreamEventLog on a real nats-server', () => {
  it('creates the stream as the source of truth: file storage, no limits, no delete, no purge', async () => {
    const { log, teardown } = await openLog();
    try {
      await log.append({ subject: podSubject('default', 'web'), msgId: 'm1', event: event('PodCreated') });
      const { config } = await jsm.streams.info(log.streamName);
      expect(config).toMatchObject({
        subjects: [ALL_EVENTS],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        max_msgs: -1,
        max_bytes: -1,
        max_age: 0,
        deny_delete: true,
        deny_purge: true,
        duplicate_window: 120_000 * 1_000_000,
        num_replicas: 1,
      });
      expect(log.duplicateWindowMs).toBe(120_000);
      await expect(jsm.streams.purge(log.streamName)).rejects.toThrow();
      await expect(jsm.streams.deleteMessage(log.streamName, 1)).rejects.toThrow();
      expect(await log.lastSequence()).toBe(1);
    } finally {
      await teardown();
    }
  });

  it('reuses an existing stream and keeps its events', async () => {
    const { log, teardown } = await openLog();
    try {
      await log.append({ subject: nodeSubject('n1'), msgId: 'm1', event: event('NodeRegistered') });
      const again = await JetStreamEventLog.connect({ servers: server.url, streamName: log.streamName });
      try {
        expect(await again.lastSequence()).toBe(1);
        expect(await again.append({ subject: nodeSubject('n1'), msgId: 'm1', event: event('NodeRegistered') })).toEqual({
          seq: 1,
          duplicate: true,
        });
      } finally {
        await again.close();
      }
    } finally {
      await teardown();
    }
  });

  it('refuses a stream that exists with other subjects', async () => {
    await jsm.streams.add({ name: 'FOREIGN', subjects: ['foreign.>'], storage: StorageType.File });
    try {
      const attempt = JetStreamEventLog.connect({ servers: server.url, streamName: 'FOREIGN' });
      await expect(attempt).rejects.toBeInstanceOf(StreamConfigMismatchError);
      await expect(attempt).rejects.toThrow(/subjects are \["foreign\.>"\]/);
    } finally {
      await jsm.streams.delete('FOREIGN');
    }
  });

  it('reports a clear error when the server cannot be reached', async () => {
    await expect(JetStreamEventLog.connect({ servers: 'nats://127.0.0.1:1' })).rejects.toBeInstanceOf(
      EventLogUnavailableError,
    );
  });

  it('keeps a subscription going across a nats-server restart, without gaps or duplicates', async () => {
    // Small pull batches and a handler held up mid-backlog: the restart lands while messages are
    // buffered client-side and more are still on the server.
    const { log, teardown } = await openLog({ consumerBatchSize: 20 });
    try {
      const appendBatch = (from: number, count: number) =>
        Promise.all(
          Array.from({ length: count }, (_, i) =>
            log.append({ subject: podSubject('default', `p${from + i}`), msgId: `m${from + i}`, event: event('PodCreated') }),
          ),
        );
      await appendBatch(0, 300);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const received: number[] = [];
      const sub = log.subscribe(1, async (rec) => {
        received.push(rec.seq);
        if (rec.seq === 25) await gate;
      });
      await waitFor(() => received.length >= 25);

      expect(log.status().reconnects).toBe(0);
      await restartServer([log]);
      expect(log.status().reconnects).toBe(1);
      release();
      await appendBatch(300, 100);
      await waitFor(() => received.length >= 400, 20_000, { description: '400 events after the restart' });

      expect(received).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
      expect(await log.lastSequence()).toBe(400);
      await sub.stop();
    } finally {
      await teardown();
    }
  });

  it('keeps a subscription going across a server crash (SIGKILL) and loses nothing acked', async () => {
    const { log, teardown } = await openLog();
    try {
      const appendBatch = (from: number, count: number) =>
        Promise.all(
          Array.from({ length: count }, (_, i) =>
            log.append({ subject: nodeSubject(`n${(from + i) % 5}`), msgId: `m${from + i}`, event: event('NodeUpdated') }),
          ),
        );
      const received: number[] = [];
      const sub = log.subscribe(1, (rec) => void received.push(rec.seq));
      await appendBatch(0, 100);
      await waitFor(() => received.length >= 100);

      await restartServer([log], 'SIGKILL');
      expect(await log.lastSequence()).toBe(100);
      await appendBatch(100, 100);
      await waitFor(() => received.length >= 200, 20_000, { description: '200 events after the crash' });
      expect(received).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      await sub.stop();
    } finally {
      await teardown();
    }
  });

  it('continues a read() across a server restart without gaps or duplicates', async () => {
    const { log, teardown } = await openLog({ consumerBatchSize: 20 });
    try {
      await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          log.append({ subject: podSubject('default', `p${i}`), msgId: `m${i}`, event: event('PodCreated') }),
        ),
      );
      const seqs: number[] = [];
      for await (const rec of log.read(1)) {
        seqs.push(rec.seq);
        if (rec.seq === 25) await restartServer([log]);
      }
      expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    } finally {
      await teardown();
    }
  });

  it('starts a subscription made while the server is down once it is back', async () => {
    const { log, teardown } = await openLog();
    try {
      await log.append({ subject: nodeSubject('n1'), msgId: 'm1', event: event('NodeRegistered') });
      await stopServer([log]);
      const received: number[] = [];
      const sub = log.subscribe(1, (rec) => void received.push(rec.seq));
      await startServerAgain([log]);
      await log.append({ subject: nodeSubject('n1'), msgId: 'm2', event: event('NodeUpdated') });
      await waitFor(() => received.length >= 2, 10_000);
      expect(received).toEqual([1, 2]);
      await sub.stop();
      await expect(sub.done).resolves.toBeUndefined();
    } finally {
      await teardown();
    }
  });

  it('rejects an append while the server is down, and a retry with the same msgId stores once', async () => {
    const { log, teardown } = await openLog({ appendTimeoutMs: 1_000 });
    try {
      await log.append({ subject: podSubject('default', 'before'), msgId: 'before', event: event('PodCreated') });
      await stopServer([log]);

      const started = Date.now();
      const req = { subject: podSubject('default', 'web'), msgId: 'uid-9:PodCreated', event: event('PodCreated') };
      const outcome = await log.append(req).then(
        () => 'resolved',
        (err: unknown) => err,
      );
      expect(outcome).not.toBe('resolved');
      expect(outcome instanceof EventLogUnavailableError || outcome instanceof AppendTimeoutError).toBe(true);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(log.status()).toMatchObject({ connected: false, lastError: expect.any(String) });

      await startServerAgain([log]);
      expect(await log.append(req)).toEqual({ seq: 2, duplicate: false });
      expect(await log.append(req)).toEqual({ seq: 2, duplicate: true });
      const stored = await collect(log.read(1));
      expect(stored.map((r) => r.msgId)).toEqual(['before', 'uid-9:PodCreated']);
    } finally {
      await teardown();
    }
  });

  it('times out with an unknown outcome when the server hangs; the retry finds the original', async () => {
    const { log, teardown } = await openLog({ appendTimeoutMs: 500 });
    try {
      await log.append({ subject: podSubject('default', 'before'), msgId: 'before', event: event('PodCreated') });
      await server.pause();
      const req = { subject: podSubject('default', 'web'), msgId: 'uid-7:PodBound:1', event: event('PodBound') };
      let timeout: unknown;
      try {
        await log.append(req);
      } catch (err) {
        timeout = err;
      } finally {
        server.resume();
      }
      expect(timeout).toBeInstanceOf(AppendTimeoutError);
      expect(timeout).toMatchObject({ code: 'APPEND_TIMEOUT', msgId: 'uid-7:PodBound:1' });
      expect(String((timeout as Error).message)).toMatch(/outcome is unknown.*same msgId/);

      // The hung server still had the publish in its socket buffer and stored it when resumed:
      // only the retry with the same msgId tells the caller, as a duplicate.
      expect(await log.append(req)).toEqual({ seq: 2, duplicate: true });
      expect((await collect(log.read(1))).map((r) => r.msgId)).toEqual(['before', 'uid-7:PodBound:1']);
    } finally {
      await teardown();
    }
  });

  it('reads with read() across many pull batches', async () => {
    const { log, teardown } = await openLog({ consumerBatchSize: 16 });
    try {
      await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          log.append({ subject: nodeSubject(`n${i % 7}`), msgId: `m${i}`, event: event('NodeUpdated') }),
        ),
      );
      const all = await collect(log.read(1));
      expect(all.map((r) => r.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      const some = await collect(log.read(100, 250, { subjectFilter: nodeSubject('n3') }));
      expect(some.every((r) => r.subject === nodeSubject('n3') && r.seq >= 100 && r.seq <= 250)).toBe(true);
      expect(some.map((r) => r.seq)).toEqual(all.filter((r) => r.subject === nodeSubject('n3') && r.seq >= 100 && r.seq <= 250).map((r) => r.seq));
    } finally {
      await teardown();
    }
  });
});
