import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { v4 as uuidv4 } from 'uuid';
import { waitFor } from '@flotilla/testkit';
import type { EventEnvelope, EventLog, EventSubscription, RecordedEvent } from './envelope.ts';
import { InvalidSubjectError, WrongExpectedSequenceError } from './errors.ts';
import { NODE_EVENTS, nodeSubject, parseSubject, podSubject } from './subjects.ts';

export interface EventLogUnderTest {
  log: EventLog;
  teardown: () => Promise<void>;
}

const TIME = '2026-01-01T00:00:00.000Z';

function event(type: string, data: unknown = {}): EventEnvelope {
  return { id: uuidv4(), type, schemaVersion: 1, time: TIME, source: 'contract-test', data };
}

async function collect(iterable: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const rec of iterable) out.push(rec);
  return out;
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

/**
 * The behaviours every EventLog adapter must have. Register it from a spec file:
 * `eventLogContract('MemoryEventLog', async () => ({ log: new MemoryEventLog(), teardown: async () => {} }))`.
 */
export function eventLogContract(name: string, factory: () => Promise<EventLogUnderTest>): void {
  describe(`EventLog contract: ${name}`, () => {
    let log: EventLog;
    let teardown: () => Promise<void>;
    const subscriptions: EventSubscription[] = [];

    /** Subscribes and records what the handler receives. */
    function record(fromSeq: number, subjectFilter?: string): { received: RecordedEvent[]; sub: EventSubscription } {
      const received: RecordedEvent[] = [];
      const sub = log.subscribe(fromSeq, (rec) => void received.push(rec), subjectFilter === undefined ? {} : { subjectFilter });
      subscriptions.push(sub);
      return { received, sub };
    }

    function appendTo(subject: string, msgId = uuidv4(), type = 'Tested') {
      return log.append({ subject, msgId, event: event(type, { msgId }) });
    }

    beforeEach(async () => {
      ({ log, teardown } = await factory());
    });

    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((s) => s.stop()));
      await teardown();
    });

    it('starts empty: last sequence 0, first sequence 1', async () => {
      expect(await log.lastSequence()).toBe(0);
      expect(await log.firstSequence()).toBe(1);
      expect(await collect(log.read(1))).toEqual([]);
    });

    it('numbers events from 1, one by one, and append returns the sequence', async () => {
      const results = [];
      for (const subject of [podSubject('default', 'a'), nodeSubject('n1'), podSubject('default', 'a')]) {
        results.push(await appendTo(subject));
      }
      expect(results).toEqual([
        { seq: 1, duplicate: false },
        { seq: 2, duplicate: false },
        { seq: 3, duplicate: false },
      ]);
      expect(await log.lastSequence()).toBe(3);
      expect(await log.firstSequence()).toBe(1);
    });

    it('returns every field of the envelope unchanged, with subject and msgId', async () => {
      const original: EventEnvelope = {
        ...event('PodBound', { pod: { name: 'web', labels: { app: 'web' } }, node: 'n1', scores: [1, 2.5, -3] }),
        causationId: 'cmd-1',
        correlationId: 'corr-1',
      };
      const subject = podSubject('default', 'web');
      await log.append({ subject, msgId: 'web:PodBound:1', event: original });
      const [rec] = await collect(log.read(1, 1));
      expect(rec).toEqual({ seq: 1, subject, msgId: 'web:PodBound:1', event: original });
    });

    it('stores the same msgId once; the retry is reported as a duplicate with the original seq', async () => {
      const subject = podSubject('default', 'a');
      const first = await log.append({ subject, msgId: 'uid-1:PodCreated', event: event('PodCreated', { n: 1 }) });
      await appendTo(subject);
      const retry = await log.append({ subject, msgId: 'uid-1:PodCreated', event: event('PodCreated', { n: 2 }) });
      expect(first).toEqual({ seq: 1, duplicate: false });
      expect(retry).toEqual({ seq: 1, duplicate: true });
      expect(await log.lastSequence()).toBe(2);
      const stored = await collect(log.read(1));
      expect(stored.map((r) => r.msgId).filter((id) => id === 'uid-1:PodCreated')).toHaveLength(1);
      expect(stored[0]?.event.data).toEqual({ n: 1 });
    });

    it('treats a retry with the same msgId and expected sequence as a duplicate, not a conflict', async () => {
      const subject = podSubject('default', 'retry');
      const req = { subject, msgId: 'uid-2:PodCreated', event: event('PodCreated'), expectedLastSubjectSequence: 0 };
      expect(await log.append(req)).toEqual({ seq: 1, duplicate: false });
      expect(await log.append(req)).toEqual({ seq: 1, duplicate: true });
      expect(await log.lastSequence()).toBe(1);
    });

    it('rejects a wrong expected last subject sequence and stores nothing', async () => {
      const a = podSubject('default', 'a');
      await appendTo(a);
      await appendTo(nodeSubject('n1'));
      const attempt = log.append({ subject: a, msgId: 'conflict', event: event('PodBound'), expectedLastSubjectSequence: 2 });
      await expect(attempt).rejects.toBeInstanceOf(WrongExpectedSequenceError);
      await expect(attempt).rejects.toMatchObject({ code: 'WRONG_EXPECTED_SEQUENCE', expected: 2, actual: 1 });
      expect(await log.lastSequence()).toBe(2);
      // The refused append did not consume its msgId: the corrected retry is stored.
      expect(
        await log.append({ subject: a, msgId: 'conflict', event: event('PodBound'), expectedLastSubjectSequence: 1 }),
      ).toEqual({ seq: 3, duplicate: false });
    });

    it('accepts expected sequence 0 on a fresh subject and refuses it on a used one', async () => {
      const fresh = podSubject('default', 'fresh');
      await appendTo(nodeSubject('n1'));
      expect(await log.append({ subject: fresh, msgId: 'f1', event: event('PodCreated'), expectedLastSubjectSequence: 0 })).toEqual(
        { seq: 2, duplicate: false },
      );
      await expect(
        log.append({ subject: fresh, msgId: 'f2', event: event('PodCreated'), expectedLastSubjectSequence: 0 }),
      ).rejects.toMatchObject({ code: 'WRONG_EXPECTED_SEQUENCE', expected: 0, actual: 2 });
    });

    it('delivers history then live events in order, with no gaps and no duplicates', async () => {
      const subjects = [podSubject('default', 'a'), podSubject('default', 'b'), nodeSubject('n1')];
      const appendMany = (from: number, count: number) =>
        Promise.all(range(from, from + count - 1).map((i) => appendTo(subjects[i % 3] ?? '', `m-${i}`)));
      await appendMany(0, 100);
      const { received } = record(1);
      await appendMany(100, 100);
      await waitFor(() => received.length >= 200, 10_000, { description: '200 events delivered' });
      expect(received.map((r) => r.seq)).toEqual(range(1, 200));
      expect(new Set(received.map((r) => r.msgId)).size).toBe(200);
      for (const rec of received) expect(rec.event.data).toEqual({ msgId: rec.msgId });
      expect(await log.lastSequence()).toBe(200);
    });

    it('subscribes from a middle sequence', async () => {
      for (let i = 0; i < 10; i++) await appendTo(podSubject('default', `p${i}`));
      const { received } = record(6);
      await waitFor(() => received.length >= 5);
      await appendTo(nodeSubject('n1'));
      await waitFor(() => received.length >= 6);
      expect(received.map((r) => r.seq)).toEqual([6, 7, 8, 9, 10, 11]);
    });

    it('delivers only subjects matching the subject filter', async () => {
      for (let i = 0; i < 6; i++) {
        await appendTo(i % 2 === 0 ? podSubject('default', `p${i}`) : nodeSubject(`n${i}`));
      }
      const { received } = record(1, NODE_EVENTS);
      await waitFor(() => received.length >= 3);
      await appendTo(podSubject('default', 'late'));
      await appendTo(nodeSubject('late'));
      await waitFor(() => received.length >= 4);
      expect(received.map((r) => [r.seq, r.subject])).toEqual([
        [2, nodeSubject('n1')],
        [4, nodeSubject('n3')],
        [6, nodeSubject('n5')],
        [8, nodeSubject('late')],
      ]);
      const fromRead = await collect(log.read(1, undefined, { subjectFilter: NODE_EVENTS }));
      expect(fromRead.map((r) => r.seq)).toEqual([2, 4, 6, 8]);
    });

    it('reads exactly the requested range', async () => {
      for (let i = 0; i < 20; i++) await appendTo(podSubject('default', `p${i}`));
      expect((await collect(log.read(5, 9))).map((r) => r.seq)).toEqual([5, 6, 7, 8, 9]);
      expect((await collect(log.read(15))).map((r) => r.seq)).toEqual([15, 16, 17, 18, 19, 20]);
      expect((await collect(log.read(7, 7))).map((r) => r.seq)).toEqual([7]);
      expect(await collect(log.read(21))).toEqual([]);
      expect(await collect(log.read(9, 5))).toEqual([]);
      expect(await collect(log.read(1, 20, { subjectFilter: NODE_EVENTS }))).toEqual([]);
      await appendTo(nodeSubject('n1'));
      expect(await collect(log.read(1, 20, { subjectFilter: NODE_EVENTS }))).toEqual([]);
      expect((await collect(log.read(1, 21, { subjectFilter: NODE_EVENTS }))).map((r) => r.seq)).toEqual([21]);
    });

    it('never overlaps handler calls, even when the handler is slow', async () => {
      let inFlight = 0;
      let maxInFlight = 0;
      const seen: number[] = [];
      subscriptions.push(
        log.subscribe(1, async (rec) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          // The slowness is the behaviour under test, not a wait for a condition.
          await new Promise((resolve) => setTimeout(resolve, 2));
          seen.push(rec.seq);
          inFlight--;
        }),
      );
      await Promise.all(range(1, 20).map((i) => appendTo(podSubject('default', `p${i}`))));
      await waitFor(() => seen.length >= 20);
      expect(maxInFlight).toBe(1);
      expect(seen).toEqual(range(1, 20));
    });

    it('lets a handler append (a reactor) without stalling delivery', async () => {
      const pongs: number[] = [];
      subscriptions.push(
        log.subscribe(1, async (rec) => {
          if (rec.event.type === 'Ping') {
            await log.append({ subject: nodeSubject('n1'), msgId: `pong-for-${rec.msgId}`, event: event('Pong') });
          } else if (rec.event.type === 'Pong') {
            pongs.push(rec.seq);
          }
        }),
      );
      for (let i = 0; i < 5; i++) await appendTo(podSubject('default', `p${i}`), `ping-${i}`, 'Ping');
      await waitFor(() => pongs.length >= 5);
      expect(await log.lastSequence()).toBe(10);
    });

    it('stops delivering after stop(), and done resolves', async () => {
      const first = record(1);
      for (let i = 0; i < 3; i++) await appendTo(podSubject('default', `p${i}`));
      await waitFor(() => first.received.length >= 3);
      await first.sub.stop();
      await expect(first.sub.done).resolves.toBeUndefined();
      for (let i = 3; i < 5; i++) await appendTo(podSubject('default', `p${i}`));
      // A second subscriber proves the later events were deliverable.
      const second = record(1);
      await waitFor(() => second.received.length >= 5);
      expect(first.received.map((r) => r.seq)).toEqual([1, 2, 3]);
    });

    it('rejects done and stops when the handler throws', async () => {
      const seen: number[] = [];
      const sub = log.subscribe(1, (rec) => {
        seen.push(rec.seq);
        if (rec.seq === 2) throw new Error('handler failed on 2');
      });
      subscriptions.push(sub);
      for (let i = 0; i < 4; i++) await appendTo(podSubject('default', `p${i}`));
      await expect(sub.done).rejects.toThrow('handler failed on 2');
      expect(seen).toEqual([1, 2]);
    });

    it('keeps dotted names one token: subjects round-trip and filters do not leak', async () => {
      const dotted = podSubject('kube.system', 'web.v1.2');
      const prefixLike = podSubject('kube', 'system');
      await appendTo(prefixLike);
      await appendTo(dotted);
      const { received } = record(1, dotted);
      await waitFor(() => received.length >= 1);
      const all = await collect(log.read(1));
      expect(all.map((r) => parseSubject(r.subject))).toEqual([
        { kind: 'pod', namespace: 'kube', name: 'system' },
        { kind: 'pod', namespace: 'kube.system', name: 'web.v1.2' },
      ]);
      await appendTo(dotted);
      await waitFor(() => received.length >= 2);
      expect(received.map((r) => r.seq)).toEqual([2, 3]);
    });

    it('rejects subjects outside the event namespace or with wildcards', async () => {
      await expect(appendTo('other.subject')).rejects.toBeInstanceOf(InvalidSubjectError);
      await expect(appendTo('flotilla.ev.pod.*.x')).rejects.toBeInstanceOf(InvalidSubjectError);
      await expect(appendTo('flotilla.ev.pod..x')).rejects.toBeInstanceOf(InvalidSubjectError);
      await expect(appendTo('flotilla.ev.node.a b')).rejects.toMatchObject({ code: 'INVALID_SUBJECT' });
      expect(await log.lastSequence()).toBe(0);
    });
  });
}
