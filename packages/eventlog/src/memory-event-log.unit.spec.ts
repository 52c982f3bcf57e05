import { describe, expect, it } from 'vitest';
import { eventLogContract } from './contract.ts';
import { EventLogUnavailableError } from './errors.ts';
import { MemoryEventLog } from './memory-event-log.ts';
import { podSubject } from './subjects.ts';
import type { EventEnvelope } from './envelope.ts';

eventLogContract('MemoryEventLog', () => Promise.resolve({ log: new MemoryEventLog(), teardown: () => Promise.resolve() }));

const subject = podSubject('default', 'web');
function event(type = 'PodCreated'): EventEnvelope {
  return { id: 'e', type, schemaVersion: 1, time: '2026-01-01T00:00:00.000Z', source: 'test', data: {} };
}

describe('MemoryEventLog', () => {
  it('forgets a msgId once the duplicate window has passed (injected clock)', async () => {
    let now = 1_000_000;
    const log = new MemoryEventLog({ now: () => now, duplicateWindowMs: 120_000 });
    expect(await log.append({ subject, msgId: 'm', event: event() })).toEqual({ seq: 1, duplicate: false });
    now += 119_999;
    expect(await log.append({ subject, msgId: 'm', event: event() })).toEqual({ seq: 1, duplicate: true });
    now += 1;
    expect(await log.append({ subject, msgId: 'm', event: event() })).toEqual({ seq: 2, duplicate: false });
    expect(await log.append({ subject, msgId: 'm', event: event() })).toEqual({ seq: 2, duplicate: true });
  });

  it('defaults to a two-minute duplicate window', async () => {
    let now = 0;
    const log = new MemoryEventLog({ now: () => now });
    await log.append({ subject, msgId: 'm', event: event() });
    now = 119_000;
    expect((await log.append({ subject, msgId: 'm', event: event() })).duplicate).toBe(true);
    now = 120_000;
    expect((await log.append({ subject, msgId: 'm', event: event() })).duplicate).toBe(false);
  });

  it('rejects appends during a simulated outage, stores nothing, and recovers', async () => {
    const log = new MemoryEventLog();
    log.simulateOutage(true);
    expect(log.status().connected).toBe(false);
    const attempt = log.append({ subject, msgId: 'm', event: event() });
    await expect(attempt).rejects.toBeInstanceOf(EventLogUnavailableError);
    await expect(attempt).rejects.toMatchObject({ code: 'EVENT_LOG_UNAVAILABLE' });
    expect(await log.lastSequence()).toBe(0);
    log.simulateOutage(false);
    expect(log.status()).toEqual({ connected: true });
    expect(await log.append({ subject, msgId: 'm', event: event() })).toEqual({ seq: 1, duplicate: false });
  });

  it('hands every subscriber its own copy of the event', async () => {
    const log = new MemoryEventLog();
    const original = { ...event(), data: { labels: { app: 'web' } } };
    await log.append({ subject, msgId: 'm', event: original });
    const copies: EventEnvelope[] = [];
    for await (const rec of log.read(1)) copies.push(rec.event);
    for await (const rec of log.read(1)) copies.push(rec.event);
    expect(copies[0]).toEqual(original);
    expect(copies[0]).not.toBe(original);
    expect(copies[0]).not.toBe(copies[1]);
  });

  it('close() ends subscriptions and refuses further appends', async () => {
    const log = new MemoryEventLog();
    const sub = log.subscribe(1, () => undefined);
    await log.close();
    await expect(sub.done).resolves.toBeUndefined();
    await expect(log.append({ subject, msgId: 'm', event: event() })).rejects.toBeInstanceOf(EventLogUnavailableError);
    expect(log.status().connected).toBe(false);
  });

  it('delivers a long synchronous backlog without starving the event loop', async () => {
    const log = new MemoryEventLog();
    await Promise.all(
      Array.from({ length: 5_000 }, (_, i) => log.append({ subject, msgId: `m${i}`, event: event() })),
    );
    let delivered = 0;
    let timerFiredAt = -1;
    setTimeout(() => (timerFiredAt = delivered), 0);
    const sub = log.subscribe(1, () => void delivered++);
    await new Promise<void>((resolve) => {
      const check = (): void => (delivered >= 5_000 ? resolve() : void setImmediate(check));
      check();
    });
    await sub.stop();
    expect(timerFiredAt).toBeGreaterThanOrEqual(0);
    expect(timerFiredAt).toBeLessThan(5_000);
  });
});
