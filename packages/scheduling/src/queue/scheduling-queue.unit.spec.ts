import { describe, expect, it } from 'vitest';
import { SchedulingQueue } from './scheduling-queue.ts';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

function drain(queue: SchedulingQueue, now: number): string[] {
  const out: string[] = [];
  for (let key = queue.pop(now); key !== undefined; key = queue.pop(now)) {
    out.push(key);
    queue.done(key);
  }
  return out;
}

describe('SchedulingQueue activeQ', () => {
  it('pops higher priority first, then earlier enqueue time, then insertion order', () => {
    const queue = new SchedulingQueue();
    queue.add('low-early', 0, 100);
    queue.add('high-late', 1000, 300);
    queue.add('low-late', 0, 200);
    queue.add('high-early', 1000, 150);
    queue.add('low-early-twin', 0, 100);
    expect(drain(queue, 1_000)).toEqual(['high-early', 'high-late', 'low-early', 'low-early-twin', 'low-late']);
    expect(queue.pop(1_000)).toBeUndefined();
  });

  it('adding a queued pod again updates its priority without duplicating it', () => {
    const queue = new SchedulingQueue();
    queue.add('a', 0, 1);
    queue.add('b', 0, 2);
    queue.add('b', 10, 3);
    queue.add('a', 0, 4);
    expect(queue.stats()).toEqual({ active: 2, backoff: 0, unschedulable: 0, inFlight: 0 });
    expect(drain(queue, 10)).toEqual(['b', 'a']);
  });

  it('a popped pod is in flight until done', () => {
    const queue = new SchedulingQueue();
    queue.add('a', 0, 0);
    expect(queue.pop(0)).toBe('a');
    expect(queue.queueOf('a')).toBe('inFlight');
    queue.add('a', 0, 1); // a duplicate create event while in flight does not requeue it
    expect(queue.stats()).toEqual({ active: 0, backoff: 0, unschedulable: 0, inFlight: 1 });
    queue.done('a');
    expect(queue.has('a')).toBe(false);
  });
});

describe('SchedulingQueue backoff', () => {
  it('backs off 1 s doubling to 10 s by attempt count', () => {
    const queue = new SchedulingQueue();
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((attempts) => queue.backoffDuration(attempts))).toEqual([0, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
  });

  it('addBackoff holds the pod until its backoff has run out', () => {
    const queue = new SchedulingQueue();
    queue.add('a', 0, 0);
    queue.pop(0);
    queue.addBackoff('a', 3, 10_000); // 4 s
    expect(queue.queueOf('a')).toBe('backoff');
    expect(queue.pop(13_999)).toBeUndefined();
    expect(queue.nextWakeup(13_999)).toBe(1);
    expect(queue.pop(14_000)).toBe('a');
  });

  it('pops expired backoffs by priority among the active pods', () => {
    const queue = new SchedulingQueue();
    queue.add('high', 100, 0);
    queue.pop(0);
    queue.addBackoff('high', 1, 0);
    queue.add('low', 0, 500);
    expect(queue.pop(600)).toBe('low');
    queue.done('low');
    queue.add('low2', 0, 700);
    expect(queue.pop(1_000)).toBe('high'); // kept its priority through backoff
  });
});

describe('SchedulingQueue unschedulable pods', () => {
  function parked(attempts = 1, requeueOn?: Parameters<SchedulingQueue['addUnschedulable']>[3]) {
    const queue = new SchedulingQueue();
    queue.add('p', 0, 0);
    queue.pop(0);
    queue.addUnschedulable('p', attempts, 0, requeueOn);
    return queue;
  }

  it('waits for a cluster event, not for time', () => {
    const queue = parked();
    expect(queue.queueOf('p')).toBe('unschedulable');
    expect(queue.pop(4 * MINUTE)).toBeUndefined();
  });

  it('an event moves it to activeQ once its backoff has run out', () => {
    const queue = parked(1);
    expect(queue.moveAllToActiveOrBackoff('NodeAdded', 5 * SECOND)).toBe(1);
    expect(queue.queueOf('p')).toBe('active');
    expect(queue.pop(5 * SECOND)).toBe('p');
  });

  it('an event moves it to backoffQ while its backoff runs', () => {
    const queue = parked(3); // 4 s from t=0
    queue.moveAllToActiveOrBackoff('PodDeleted', 1 * SECOND);
    expect(queue.queueOf('p')).toBe('backoff');
    expect(queue.pop(3_999)).toBeUndefined();
    expect(queue.pop(4_000)).toBe('p');
  });

  it('only events that can help move it', () => {
    const queue = parked(1, { requeueOn: ['PodDeleted', 'PodReleased'] });
    expect(queue.moveAllToActiveOrBackoff('NodeUpdated', 5 * SECOND)).toBe(0);
    expect(queue.queueOf('p')).toBe('unschedulable');
    expect(queue.moveAllToActiveOrBackoff('PodReleased', 5 * SECOND)).toBe(1);
  });

  it('is retried anyway after 5 minutes without a helpful event', () => {
    const queue = parked(1, { requeueOn: [] });
    expect(queue.pop(5 * MINUTE - 1)).toBeUndefined();
    expect(queue.nextWakeup(5 * MINUTE - 1)).toBe(1);
    expect(queue.pop(5 * MINUTE)).toBe('p');
  });

  it('flushUnschedulableLeftover moves only pods parked for 5 minutes', () => {
    const queue = new SchedulingQueue();
    queue.addUnschedulable('old', 1, 0);
    queue.addUnschedulable('new', 1, 2 * MINUTE);
    expect(queue.flushUnschedulableLeftover(5 * MINUTE)).toBe(1);
    expect(queue.stats()).toEqual({ active: 1, backoff: 0, unschedulable: 1, inFlight: 0 });
  });

  it('a helpful event during the attempt sends the pod to backoff, not to wait for the next event', () => {
    const queue = new SchedulingQueue();
    queue.add('p', 0, 0);
    expect(queue.pop(0)).toBe('p');
    queue.moveAllToActiveOrBackoff('NodeAdded', 10); // the fold saw a new node while we were deciding
    queue.addUnschedulable('p', 1, 20, { requeueOn: ['NodeAdded'] });
    expect(queue.queueOf('p')).toBe('backoff');
    expect(queue.pop(1_020)).toBe('p');
  });

  it('an unhelpful event during the attempt, or one before it, does not', () => {
    const queue = new SchedulingQueue();
    queue.add('p', 0, 0);
    queue.moveAllToActiveOrBackoff('NodeAdded', 0); // before the pop
    queue.pop(0);
    queue.moveAllToActiveOrBackoff('NodeUpdated', 10);
    queue.addUnschedulable('p', 1, 20, { requeueOn: ['NodeAdded', 'PodDeleted'] });
    expect(queue.queueOf('p')).toBe('unschedulable');
  });
});

describe('SchedulingQueue bookkeeping', () => {
  it('delete removes a pod from whichever queue holds it', () => {
    const queue = new SchedulingQueue();
    queue.add('active', 0, 0);
    queue.addBackoff('backoff', 1, 0);
    queue.addUnschedulable('parked', 1, 0);
    queue.add('flying', 10, 0);
    queue.pop(0);
    expect(queue.stats()).toEqual({ active: 1, backoff: 1, unschedulable: 1, inFlight: 1 });
    for (const key of ['active', 'backoff', 'parked', 'flying']) expect(queue.delete(key)).toBe(true);
    expect(queue.delete('active')).toBe(false);
    expect(queue.stats()).toEqual({ active: 0, backoff: 0, unschedulable: 0, inFlight: 0 });
  });

  it('nextWakeup: 0 with work, else the nearest backoff expiry or 5-minute timeout, else undefined', () => {
    const queue = new SchedulingQueue();
    expect(queue.nextWakeup(0)).toBeUndefined();
    queue.addUnschedulable('parked', 1, 0);
    expect(queue.nextWakeup(0)).toBe(5 * MINUTE);
    queue.addBackoff('b', 2, 1_000);
    expect(queue.nextWakeup(1_000)).toBe(2_000);
    queue.add('a', 0, 1_000);
    expect(queue.nextWakeup(1_000)).toBe(0);
    expect(queue.nextWakeup(0)).toBe(0);
  });

  it('has configurable timings', () => {
    const queue = new SchedulingQueue({ initialBackoffMs: 100, maxBackoffMs: 250, maxUnschedulableMs: 1_000 });
    expect([1, 2, 3, 4].map((a) => queue.backoffDuration(a))).toEqual([100, 200, 250, 250]);
    queue.addUnschedulable('p', 1, 0, { requeueOn: [] });
    expect(queue.pop(1_000)).toBe('p');
  });

  it('stress: 10,000 pods pop by priority then time', () => {
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const queue = new SchedulingQueue();
    const pods = Array.from({ length: 10_000 }, (_, i) => ({ key: `pod-${i}`, priority: Math.floor(next() * 10) * 100, time: Math.floor(next() * 5_000) }));
    for (const pod of pods) queue.add(pod.key, pod.priority, pod.time);
    const expected = [...pods]
      .map((pod, index) => ({ ...pod, index }))
      .sort((a, b) => b.priority - a.priority || a.time - b.time || a.index - b.index)
      .map((pod) => pod.key);
    expect(drain(queue, 10_000)).toEqual(expected);
  });
});
