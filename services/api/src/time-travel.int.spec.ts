// Time travel over the JetStream adapter: the API on a real stream answers `?at=` with the fold of the
// log up to that point, and history reads one object's subject.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { JetStreamEventLog, type RecordedEvent } from '@flotilla/eventlog';
import { envelope, msgIdFor, subjectFor, toFlotillaRecord, type DomainEvent } from '@flotilla/events';
import { LiveProjection, createLogger } from '@flotilla/service-kit';
import { applyEvent, createClusterState } from '@flotilla/state';
import { containerStarted, nodeRegistered, podBound, podCreated, podDeleted, podDeletionRequested, podSandboxReady, podSandboxRemoved } from '@flotilla/state/testing';
import { startNatsServer, type RunningNatsServer } from '@flotilla/testkit';
import { buildApiServer } from './server.ts';

let nats: RunningNatsServer;
let log: JetStreamEventLog;
let projection: LiveProjection;
let app: FastifyInstance;
const records: RecordedEvent[] = [];

const pod = (name: string, uid: string) => ({ namespace: 'default', name, uid, nodeName: 'node-1' });
const EVENTS: DomainEvent[] = [
  nodeRegistered({ name: 'node-1' }),
  podCreated({ name: 'a', uid: 'uid-a' }),
  podCreated({ name: 'b', uid: 'uid-b' }),
  podBound({ ...pod('a', 'uid-a'), attempt: 1 }),
  podSandboxReady(pod('a', 'uid-a')),
  containerStarted(pod('a', 'uid-a')),
  podBound({ ...pod('b', 'uid-b'), attempt: 1 }),
  podDeletionRequested({ ...pod('a', 'uid-a'), gracePeriodSeconds: 5 }),
  podSandboxRemoved(pod('a', 'uid-a')),
  podDeleted(pod('a', 'uid-a')),
  podCreated({ name: 'a', uid: 'uid-a2' }),
];

beforeAll(async () => {
  nats = await startNatsServer();
  log = await JetStreamEventLog.connect({ servers: nats.url, name: 'time-travel-spec' });
  for (const [i, event] of EVENTS.entries()) {
    await log.append({ subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source: 'spec', time: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() }) });
  }
  for await (const record of log.read(1)) records.push(record);
  projection = new LiveProjection(log);
  await projection.start();
  app = await buildApiServer({ log, projection, logger: createLogger('api-test', {}, 'error') });
});

afterAll(async () => {
  await app?.close();
  await projection?.stop();
  await log?.close();
  await nats?.stop();
});

describe('time travel on JetStream', () => {
  it('answers ?at=SEQ and ?at=TIME with a fresh fold of the log up to that point', async () => {
    expect(records).toHaveLength(EVENTS.length);
    for (let seq = 0; seq <= records.length; seq++) {
      const expected = createClusterState();
      for (const record of records.slice(0, seq)) applyEvent(expected, toFlotillaRecord(record)!);
      const pods = [...expected.pods.values()].map((r) => r.pod).sort((x, y) => x.metadata.name.localeCompare(y.metadata.name));
      const bySeq = (await app.inject({ method: 'GET', url: `/api/v1/namespaces/default/pods?at=${seq}` })).json();
      expect(bySeq.metadata.resourceVersion).toBe(String(seq));
      expect(bySeq.items).toEqual(JSON.parse(JSON.stringify(pods)));
      if (seq > 0) {
        // Half a second after event `seq` was written: the same state.
        const time = new Date(Date.UTC(2026, 0, 1) + (seq - 1) * 1000 + 500).toISOString();
        const byTime = (await app.inject({ method: 'GET', url: `/api/v1/namespaces/default/pods?at=${time}` })).json();
        expect(byTime).toEqual(bySeq);
      }
    }
  });

  it('reads the history of one pod name through its subject, both uids', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/a/history' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { uids: string[]; items: Array<{ seq: number; type: string }> };
    expect(body.uids).toEqual(['uid-a', 'uid-a2']);
    expect(body.items.map((i) => `${i.seq} ${i.type}`)).toEqual([
      '2 PodCreated',
      '4 PodBound',
      '5 PodSandboxReady',
      '6 ContainerStarted',
      '8 PodDeletionRequested',
      '9 PodSandboxRemoved',
      '10 PodDeleted',
      '11 PodCreated',
    ]);
    expect((await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/zzz/history' })).statusCode).toBe(404);
  });
});
