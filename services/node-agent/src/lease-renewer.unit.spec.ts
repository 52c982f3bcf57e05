import { describe, expect, it } from 'vitest';
import type { NodeLease } from '@flotilla/leases';
import { ManualScheduler } from '@flotilla/runtime';
import type { Logger } from '@flotilla/service-kit';
import { LeaseRenewer, type LeaseWriter } from './lease-renewer.ts';

/** Records each renewal with its (virtual) time; a renewal takes `latencyMs` and fails when `fail` says so. */
class FakeLeaseStore implements LeaseWriter {
  readonly renewals: Array<{ at: number; lease: NodeLease }> = [];
  inFlight = 0;
  maxInFlight = 0;
  latencyMs = 0;
  fail: (lease: NodeLease) => boolean = () => false;

  constructor(private readonly clock: ManualScheduler) {}

  async renew(lease: NodeLease): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.latencyMs > 0) await new Promise<void>((resolve) => this.clock.schedule(this.latencyMs, resolve));
      if (this.fail(lease)) throw new Error(`no responders (${lease.nodeName})`);
      this.renewals.push({ at: this.clock.now(), lease });
    } finally {
      this.inFlight--;
    }
  }

  timesOf(nodeName: string): number[] {
    return this.renewals.filter((r) => r.lease.nodeName === nodeName).map((r) => r.at);
  }
}

class RecordingLogger implements Logger {
  readonly lines: string[] = [];
  debug(): void {}
  info(message: string): void {
    this.lines.push(`info ${message}`);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(`warn ${message} failed=${String(fields?.['failed'])}`);
  }
  error(message: string): void {
    this.lines.push(`error ${message}`);
  }
  child(): Logger {
    return this;
  }
}

function setup(nodes: number, options: { intervalMs?: number; concurrency?: number; durationS?: number } = {}) {
  const clock = new ManualScheduler(Date.UTC(2024, 4, 1, 10, 0, 0));
  const t0 = clock.now();
  const store = new FakeLeaseStore(clock);
  const logger = new RecordingLogger();
  const nodeNames = Array.from({ length: nodes }, (_, i) => `node-${i + 1}`);
  const renewer = new LeaseRenewer({
    store,
    nodeNames,
    logger,
    scheduler: clock,
    renewIntervalMs: options.intervalMs ?? 1_000,
    leaseDurationSeconds: options.durationS ?? 4,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  });
  const rel = (times: number[]): number[] => times.map((at) => at - t0);
  return { clock, store, logger, renewer, nodeNames, rel, t0 };
}

describe('LeaseRenewer', () => {
  it('renews every node right at start, then each node once per interval at offset i*interval/n', async () => {
    const { clock, store, renewer, rel } = setup(4);
    renewer.start();
    await clock.advance(0);
    expect(store.renewals).toHaveLength(4);
    await clock.advance(3_000);
    expect(rel(store.timesOf('node-1'))).toEqual([0, 1_000, 2_000, 3_000]);
    expect(rel(store.timesOf('node-2'))).toEqual([0, 1_250, 2_250]);
    expect(rel(store.timesOf('node-3'))).toEqual([0, 1_500, 2_500]);
    expect(rel(store.timesOf('node-4'))).toEqual([0, 1_750, 2_750]);
    await renewer.stop();
  });

  it('writes the lease as the kubelet does: holder node-agent/<node>, renewTime now, the configured duration', async () => {
    const { clock, store, renewer, t0 } = setup(1, { durationS: 40 });
    renewer.start();
    await clock.advance(0);
    expect(store.renewals[0]!.lease).toEqual({
      nodeName: 'node-1',
      holderIdentity: 'node-agent/node-1',
      renewTime: new Date(t0).toISOString(),
      leaseDurationSeconds: 40,
    });
    await renewer.stop();
  });

  it('thousands of nodes: a steady trickle after the start, every node once per round, never more in flight than allowed', async () => {
    const { clock, store, renewer, nodeNames, rel } = setup(5_000, { intervalMs: 10_000, concurrency: 16 });
    store.latencyMs = 5;
    renewer.start();
    await clock.advance(9_999);
    // The start renews them all, 16 at a time.
    expect(store.renewals).toHaveLength(5_000);
    expect(store.maxInFlight).toBe(16);
    const firstRound = store.renewals.length;
    // Past the last node's second renewal (due at 19 998, sent with its 50 ms batch, done 5 ms later).
    await clock.advance(10_060);
    const secondRound = store.renewals.slice(firstRound, firstRound + 5_000);
    const spread = rel(secondRound.map((r) => r.at));
    expect(new Set(secondRound.map((r) => r.lease.nodeName)).size).toBe(nodeNames.length);
    // Evenly spread: one renewal due every 2 ms, sent in batches of those due within 50 ms, so every
    // 100 ms of the round holds about 50 of them (25 more when a batch straddles two windows).
    const perWindow = new Map<number, number>();
    for (const at of spread) {
      const window = Math.floor((at - 10_000) / 100);
      perWindow.set(window, (perWindow.get(window) ?? 0) + 1);
    }
    expect(perWindow.size).toBeGreaterThanOrEqual(100);
    expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(75);
    expect(store.maxInFlight).toBe(16);
    const stopping = renewer.stop();
    await clock.advance(5);
    await stopping;
  });

  it('thousands of nodes: one timer per batch window, not one per node', async () => {
    const clock = new ManualScheduler(0);
    let timers = 0;
    const scheduler = { now: () => clock.now(), schedule: (ms: number, fn: () => void) => (timers++, clock.schedule(ms, fn)) };
    const store = new FakeLeaseStore(clock);
    const nodeNames = Array.from({ length: 10_000 }, (_, i) => `node-${i + 1}`);
    const renewer = new LeaseRenewer({ store, nodeNames, logger: new RecordingLogger(), scheduler, renewIntervalMs: 10_000, batchMs: 50 });
    renewer.start();
    await clock.advance(9_999);
    timers = 0;
    store.renewals.length = 0;
    await clock.advance(10_001);
    const round = store.renewals.slice(0, 10_000);
    expect(new Set(round.map((r) => r.lease.nodeName)).size).toBe(10_000);
    expect(timers).toBeLessThanOrEqual(10_000 / 50 + 2);
    // Each batch goes out at once: the renewals share one instant per window.
    expect(new Set(round.map((r) => r.at)).size).toBeLessThanOrEqual(10_000 / 50 + 1);
    await renewer.stop();
  });

  it('a failed renewal is logged and tried again at the node’s next turn; the others go on', async () => {
    const { clock, store, logger, renewer, rel } = setup(3);
    let down = true;
    store.fail = (lease) => down && lease.nodeName === 'node-2';
    renewer.start();
    await clock.advance(1_500);
    expect(rel(store.timesOf('node-1'))).toEqual([0, 1_000]);
    expect(rel(store.timesOf('node-2'))).toEqual([]);
    expect(rel(store.timesOf('node-3'))).toEqual([0]);
    down = false;
    await clock.advance(1_000);
    expect(rel(store.timesOf('node-2'))).toEqual([2_333]);
    expect(logger.lines).toEqual([
      'warn could not renew node leases; retrying at their next turn failed=1',
      'warn could not renew node leases; retrying at their next turn failed=1',
      'info node leases are renewed again',
    ]);
    await renewer.stop();
  });

  it('logs one line per interval however many nodes fail (NATS down)', async () => {
    const { clock, store, logger, renewer } = setup(100);
    store.fail = () => true;
    renewer.start();
    await clock.advance(2_500);
    expect(store.renewals).toEqual([]);
    // The first failure at once, then one line per interval with what failed since.
    expect(logger.lines).toHaveLength(3);
    expect(logger.lines[0]).toBe('warn could not renew node leases; retrying at their next turn failed=1');
    for (const line of logger.lines.slice(1)) expect(line).toMatch(/^warn could not renew node leases; retrying at their next turn failed=(9\d|100)$/);
    await renewer.stop();
  });

  it('a slow store: a node still being renewed when its turn comes again is not queued twice', async () => {
    const { clock, store, renewer } = setup(10, { concurrency: 1 });
    store.latencyMs = 500; // 10 nodes one at a time take 5 s per round; the interval is 1 s
    renewer.start();
    await clock.advance(10_000);
    // Never more than one pending renewal per node: the 20 renewals possible in 10 s, spread over all nodes.
    expect(store.renewals).toHaveLength(20);
    const counts = new Map<string, number>();
    for (const r of store.renewals) counts.set(r.lease.nodeName, (counts.get(r.lease.nodeName) ?? 0) + 1);
    expect(Math.min(...counts.values())).toBeGreaterThanOrEqual(1);
    expect(store.maxInFlight).toBe(1);
    const stopping = renewer.stop();
    await clock.advance(500);
    await stopping;
  });

  it('after a stalled event loop, each node is renewed once, not once per missed turn', async () => {
    const clock = new ManualScheduler(0);
    // The renewer's clock jumps ahead of the timers: a timer firing 10 intervals late, as in a frozen process.
    let lag = 0;
    const scheduler = { now: () => clock.now() + lag, schedule: (ms: number, fn: () => void) => clock.schedule(ms, fn) };
    const store = new FakeLeaseStore(clock);
    const renewer = new LeaseRenewer({ store, nodeNames: ['a', 'b', 'c', 'd'], logger: new RecordingLogger(), scheduler, renewIntervalMs: 1_000 });
    renewer.start();
    await clock.advance(0);
    store.renewals.length = 0;
    lag = 10_000;
    await clock.advance(1_000);
    expect(store.renewals.map((r) => r.lease.nodeName).sort()).toEqual(['a', 'b', 'c', 'd']);
    // Then the spread goes on from where the clock is: one node per 250 ms.
    store.renewals.length = 0;
    await clock.advance(1_000);
    expect(store.renewals).toHaveLength(4);
    await renewer.stop();
  });

  it('stops renewing on stop() and waits for the renewals in flight', async () => {
    const { clock, store, renewer } = setup(2);
    store.latencyMs = 100;
    renewer.start();
    await clock.advance(50);
    let stopped = false;
    const stopping = renewer.stop().then(() => (stopped = true));
    await clock.advance(0);
    expect(stopped).toBe(false);
    await clock.advance(100);
    await stopping;
    expect(store.renewals).toHaveLength(2);
    await clock.advance(5_000);
    expect(store.renewals).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });
});
