import { describe, expect, it } from 'vitest';
import type { Container } from '@flotilla/model';
import { ManualScheduler, type ActionResult } from '@flotilla/runtime';
import { ContainerProber, probeTiming, type ProberCallbacks, type ProbeKind } from './prober.ts';

const fail: ActionResult = { success: false, message: 'nope' };
const ok: ActionResult = { success: true };

function prober(
  container: Container,
  answer: (kind: ProbeKind, clock: ManualScheduler) => ActionResult | Promise<ActionResult>,
  options: { started?: boolean; ready?: boolean } = {},
): { clock: ManualScheduler; log: string[]; attempts: string[]; prober: ContainerProber } {
  const clock = new ManualScheduler(0);
  const log: string[] = [];
  const attempts: string[] = [];
  const callbacks: ProberCallbacks = {
    attempt: async (kind, _action, timeoutMs) => {
      attempts.push(`t=${clock.now()} ${kind} timeout=${timeoutMs}`);
      return answer(kind, clock);
    },
    onStartupSucceeded: async () => void log.push(`t=${clock.now()} started`),
    onReadinessChanged: async (ready) => void log.push(`t=${clock.now()} ready=${ready}`),
    onFailed: async (kind, _message, failures, action) => void log.push(`t=${clock.now()} ${kind} failed x${failures} ${action}`),
  };
  const p = new ContainerProber({ container, startedAtMs: 0, scheduler: clock, callbacks, ...options });
  p.start();
  return { clock, log, attempts, prober: p };
}

describe('probe timing', () => {
  it("fills in Kubernetes' defaults and forces successThreshold 1 for liveness and startup", () => {
    expect(probeTiming({ exec: { command: ['x'] } }, 'readiness')).toEqual({ initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1_000, successThreshold: 1, failureThreshold: 3 });
    expect(probeTiming({ initialDelaySeconds: 5, periodSeconds: 2, timeoutSeconds: 3, successThreshold: 4, failureThreshold: 6 }, 'readiness')).toEqual({
      initialDelayMs: 5_000,
      periodMs: 2_000,
      timeoutMs: 3_000,
      successThreshold: 4,
      failureThreshold: 6,
    });
    expect(probeTiming({ successThreshold: 4 }, 'liveness').successThreshold).toBe(1);
    expect(probeTiming({ periodSeconds: 0, failureThreshold: 0 }, 'startup')).toMatchObject({ periodMs: 1_000, failureThreshold: 1 });
  });
});

describe('ContainerProber', () => {
  it('a liveness failure is reported only once failureThreshold consecutive failures are reached; a success resets the run', async () => {
    const results = [fail, fail, ok, fail, fail, fail];
    const t = prober({ name: 'app', livenessProbe: { exec: { command: ['live'] }, periodSeconds: 1, failureThreshold: 3 } }, () => results.shift() ?? ok);
    await t.clock.advance(10_000);
    expect(t.log).toEqual(['t=5000 liveness failed x3 Restart']);
    // Probing stops once the container is to be restarted.
    expect(t.attempts.map((a) => a.split(' ')[0])).toEqual(['t=0', 't=1000', 't=2000', 't=3000', 't=4000', 't=5000']);
  });

  it('counts an attempt that never answers as failed after its timeout, and never overlaps attempts', async () => {
    const t = prober(
      { name: 'app', readinessProbe: { exec: { command: ['r'] }, periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 2 } },
      () => new Promise<ActionResult>(() => undefined),
    );
    await t.clock.advance(8_000);
    // Each attempt gives up at 2 s + 1 s of slack; the next begins right after (the period has passed).
    expect(t.attempts.map((a) => a.split(' ')[0])).toEqual(['t=0', 't=3000', 't=6000']);
    expect(t.log).toEqual(['t=6000 readiness failed x2 None']);
    await t.prober.stop();
  });

  it('a startup probe that never succeeds fails the container; liveness and readiness never run', async () => {
    const t = prober(
      {
        name: 'app',
        startupProbe: { exec: { command: ['s'] }, periodSeconds: 2, failureThreshold: 3, initialDelaySeconds: 1 },
        livenessProbe: { exec: { command: ['l'] } },
        readinessProbe: { exec: { command: ['r'] } },
      },
      () => fail,
    );
    await t.clock.advance(20_000);
    expect(t.attempts).toEqual(['t=1000 startup timeout=1000', 't=3000 startup timeout=1000', 't=5000 startup timeout=1000']);
    expect(t.log).toEqual(['t=5000 startup failed x3 Restart']);
    expect(t.prober.started).toBe(false);
  });

  it('liveness and readiness begin after the startup probe; their initial delay still counts from the start', async () => {
    const t = prober(
      {
        name: 'app',
        startupProbe: { exec: { command: ['s'] }, periodSeconds: 1, failureThreshold: 30 },
        livenessProbe: { exec: { command: ['l'] }, periodSeconds: 10, initialDelaySeconds: 5 },
        readinessProbe: { exec: { command: ['r'] }, periodSeconds: 10, initialDelaySeconds: 1 },
      },
      (kind, clock) => (kind === 'startup' && clock.now() < 2_000 ? fail : ok),
    );
    expect(t.prober.ready).toBe(false);
    await t.clock.advance(6_000);
    expect(t.attempts).toEqual([
      't=0 startup timeout=1000',
      't=1000 startup timeout=1000',
      't=2000 startup timeout=1000',
      't=2000 readiness timeout=1000',
      't=5000 liveness timeout=1000',
    ]);
    expect(t.log).toEqual(['t=2000 started', 't=2000 ready=true']);
    expect(t.prober.ready).toBe(true);
    await t.prober.stop();
  });

  it('an adopted instance keeps its started and ready state', async () => {
    const t = prober(
      { name: 'app', startupProbe: { exec: { command: ['s'] } }, readinessProbe: { exec: { command: ['r'] }, periodSeconds: 1 } },
      () => ok,
      { started: true, ready: true },
    );
    await t.clock.advance(3_000);
    expect(t.attempts.every((a) => a.includes('readiness'))).toBe(true);
    expect(t.log).toEqual([]);
    await t.prober.stop();
  });

  it('stop() waits for a report under way and nothing is reported after it', async () => {
    const clock = new ManualScheduler(0);
    const log: string[] = [];
    let release!: () => void;
    const p = new ContainerProber({
      container: { name: 'app', readinessProbe: { exec: { command: ['r'] }, periodSeconds: 1 } },
      startedAtMs: 0,
      scheduler: clock,
      callbacks: {
        attempt: async () => ok,
        onStartupSucceeded: async () => undefined,
        onReadinessChanged: (ready) =>
          new Promise<void>((resolve) => {
            release = () => {
              log.push(`ready=${ready}`);
              resolve();
            };
          }),
        onFailed: async () => undefined,
      },
    });
    p.start();
    await clock.advance(0);
    let stopped = false;
    const stopping = p.stop().then(() => (stopped = true));
    await clock.advance(0);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(log).toEqual(['ready=true']);
    await clock.advance(5_000);
    expect(log).toEqual(['ready=true']);
  });
});
