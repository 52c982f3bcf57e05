import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '@flotilla/events';
import type { Container, Probe } from '@flotilla/model';
import { ManualScheduler } from '@flotilla/runtime';
import { container, containerStarted, given, nodeRegistered, podBound, podCreated, podDeletionRequested, podSandboxReady, type PodInput } from '@flotilla/state/testing';
import type { PodRecord } from '@flotilla/state';
import { parseCidr } from './ip-allocator.ts';
import { PodWorker, type NodeContext } from './pod-worker.ts';
import { FakeRuntime, RecordingReporter, silentLogger } from './test-harness.ts';

// The pod worker's lifecycle engine on virtual time: probes, hooks, readiness and graceful stops,
// against a scripted runtime. Every time below is in virtual milliseconds since the pod was bound.

const CRASH_LOOP = { baseMs: 1_000, maxMs: 4_000, resetAfterMs: 600_000 };

function probe(command: string, fields: Omit<Probe, 'exec'> = {}): Probe {
  return { exec: { command: [command] }, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...fields };
}

function withSpec(name: string, spec: Partial<Container>, sidecar = false): Container {
  return { ...container(name, { sidecar }), ...spec };
}

interface Setup {
  clock: ManualScheduler;
  runtime: FakeRuntime;
  reporter: RecordingReporter;
  worker: PodWorker;
  node: NodeContext;
  /** Delivers a PodDeletionRequested to the worker as the fold would. */
  deleteWith(gracePeriodSeconds: number): void;
  /** Probe-related reports (and container ends/starts) as `t=<ms> ...` lines. */
  lines(): string[];
}

function setup(
  input: PodInput,
  configure: (runtime: FakeRuntime, clock: ManualScheduler) => void = () => undefined,
  history: DomainEvent[] = [],
  adjust: (record: PodRecord) => void = () => undefined,
): Setup {
  const clock = new ManualScheduler(0);
  const runtime = new FakeRuntime(clock);
  configure(runtime, clock);
  const reporter = new RecordingReporter(clock);
  const events: DomainEvent[] = [nodeRegistered(), podCreated(input), podBound(), ...history];
  const state = given(...events).state();
  const record = state.pods.get('default/pod-1')!;
  adjust(record);
  const podCIDR = state.nodes.get('node-1')!.node.spec.podCIDR!;
  const node: NodeContext = { name: 'node-1', source: 'node-agent/node-1', hostIP: '127.0.0.1', podCIDR, podCidr: parseCidr(podCIDR), reservedIPs: new Set() };
  const worker = new PodWorker(record, node, { state, runtime, reporter, scheduler: clock, crashLoop: CRASH_LOOP, logger: silentLogger });
  worker.start();
  return {
    clock,
    runtime,
    reporter,
    worker,
    node,
    deleteWith(gracePeriodSeconds) {
      const deleted = given(...events, podDeletionRequested({ gracePeriodSeconds })).state().pods.get('default/pod-1')!;
      worker.update(deleted);
    },
    lines: () => reporter.reports.map((r) => `t=${r.at} ${summary(r.event)}`),
  };
}

function summary(event: DomainEvent): string {
  switch (event.type) {
    case 'ContainerStarted':
      return `Started ${event.data.container}#${event.data.restartCount}`;
    case 'ContainerTerminated':
      return `Terminated ${event.data.container}#${event.data.restartCount} exit=${event.data.exitCode}${event.data.message !== undefined ? ` "${event.data.message}"` : ''}`;
    case 'ContainerWaiting':
      return `Waiting ${event.data.container}#${event.data.restartCount} ${event.data.reason}`;
    case 'ContainerReadinessChanged':
      return `Ready ${event.data.container}#${event.data.restartCount}=${event.data.ready}`;
    case 'ContainerStartupProbeSucceeded':
      return `StartupSucceeded ${event.data.container}#${event.data.restartCount}`;
    case 'ContainerProbeFailed':
      return `ProbeFailed ${event.data.container}#${event.data.restartCount} ${event.data.probe} x${event.data.consecutiveFailures} ${event.data.action}`;
    case 'PodSandboxReady':
      return `SandboxReady ${event.data.podIP}`;
    default:
      return event.type;
  }
}

const fail = (message = 'probe failed'): { success: false; message: string } => ({ success: false, message });
const ok = { success: true } as const;

describe('pod worker: readiness', () => {
  it('starts not ready, turns ready after successThreshold successes and unready after failureThreshold failures, reporting only changes', async () => {
    let ready = true;
    const t = setup(
      { containers: [withSpec('app', { readinessProbe: probe('ready', { initialDelaySeconds: 2, successThreshold: 2, failureThreshold: 2 }) })] },
      (runtime) => (runtime.probeResult = () => (ready ? ok : fail('not ready'))),
    );
    await t.clock.advance(1_999);
    expect(t.runtime.steps).toEqual(['start app']);
    await t.clock.advance(1_001); // first probe at 2 s (initialDelaySeconds), the second at 3 s
    ready = false;
    await t.clock.advance(4_000); // failures at 4 s and 5 s; more at 6 s and 7 s change nothing
    ready = true;
    await t.clock.advance(2_000);
    expect(t.lines()).toEqual([
      't=0 SandboxReady 10.244.1.2',
      't=0 Started app#0',
      't=3000 Ready app#0=true',
      't=5000 ProbeFailed app#0 readiness x2 None',
      't=5000 Ready app#0=false',
      't=9000 Ready app#0=true',
    ]);
    const probes = t.runtime.calls.filter((c) => c.includes('probe app ready'));
    expect(probes.map((c) => c.split(' ')[0])).toEqual(['t=2000', 't=3000', 't=4000', 't=5000', 't=6000', 't=7000', 't=8000', 't=9000']);
    expect(probes[0]).toContain('timeout=1000');

    // Each change gets its own Nats-Msg-Id discriminator (container, restart count, a count of changes).
    const ids = t.reporter.reports.filter((r) => r.event.type === 'ContainerReadinessChanged' || r.event.type === 'ContainerProbeFailed').map((r) => String(r.options.discriminator));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/:app:0:/);
    t.worker.detach();
  });

  it('reports a readiness failure once per crossing even when the container was never ready', async () => {
    const t = setup({ containers: [withSpec('app', { readinessProbe: probe('ready', { failureThreshold: 3 }) })] }, (runtime) => (runtime.probeResult = () => fail()));
    await t.clock.advance(10_000);
    expect(t.lines().filter((l) => !l.includes('Sandbox') && !l.includes('Started'))).toEqual(['t=2000 ProbeFailed app#0 readiness x3 None']);
    t.worker.detach();
  });

  it('keeps the readiness an adopted container had: only a change is reported', async () => {
    let ready = true;
    const t = setup(
      { containers: [withSpec('app', { readinessProbe: probe('ready', { failureThreshold: 1 }) })] },
      (runtime) => (runtime.probeResult = () => (ready ? ok : fail())),
      [podSandboxReady({ nodeName: 'node-1', podIP: '10.244.1.2' }), containerStarted({ startedAt: new Date(0).toISOString() })],
      (record) => {
        const status = record.pod.status!.containerStatuses![0]!;
        status.ready = true;
        status.started = true;
      },
    );
    // The agent restarted: the fold showed this container running and ready.
    await t.clock.advance(0);
    expect(t.runtime.steps).toContain('attach app');
    await t.clock.advance(2_000);
    expect(t.lines()).toEqual([]);
    ready = false;
    await t.clock.advance(1_000);
    expect(t.lines()).toEqual(['t=3000 ProbeFailed app#0 readiness x1 None', 't=3000 Ready app#0=false']);
    t.worker.detach();
  });
});

describe('pod worker: startup and liveness probes', () => {
  it('runs the startup probe first; liveness and readiness begin only once it succeeded', async () => {
    const t = setup(
      {
        containers: [
          withSpec('app', {
            startupProbe: probe('startup', { failureThreshold: 10 }),
            livenessProbe: probe('live'),
            readinessProbe: probe('ready'),
          }),
        ],
      },
      (runtime, clock) => (runtime.probeResult = (_c, command) => (command === 'startup' && clock.now() < 2_500 ? fail('not yet') : ok)),
    );
    await t.clock.advance(4_000);
    expect(t.lines()).toEqual(['t=0 SandboxReady 10.244.1.2', 't=0 Started app#0', 't=3000 StartupSucceeded app#0', 't=3000 Ready app#0=true']);
    const before = t.runtime.calls.filter((c) => Number(/^t=(\d+)/.exec(c)![1]) < 3_000);
    expect(before.filter((c) => c.includes('probe') && !c.includes('startup'))).toEqual([]);
    const after = t.runtime.calls.filter((c) => c.includes('probe app startup') && Number(/^t=(\d+)/.exec(c)![1]) > 3_000);
    expect(after).toEqual([]);
    expect(t.runtime.calls).toContain('t=3000 probe app live timeout=1000');
    expect(t.runtime.calls).toContain('t=4000 probe app live timeout=1000');
    t.worker.detach();
  });

  it('holds the next init container until a sidecar has passed its startup probe', async () => {
    const t = setup(
      {
        initContainers: [withSpec('proxy', { startupProbe: probe('proxy-up', { failureThreshold: 10 }) }, true), container('migrate')],
        containers: [container('app')],
      },
      (runtime, clock) => {
        runtime.behaviour = { migrate: { runMs: 500 } };
        runtime.probeResult = () => (clock.now() >= 2_000 ? ok : fail());
      },
    );
    await t.clock.advance(5_000);
    expect(t.runtime.calls.filter((c) => c.includes('start') || c.includes('exit'))).toEqual([
      't=0 start proxy',
      't=2000 start migrate',
      't=2500 exit migrate 0',
      't=2500 start app',
    ]);
    t.worker.detach();
  });

  it('kills a container whose liveness probe fails failureThreshold times (preStop, the probe grace) and restarts it with back-off', async () => {
    const t = setup(
      {
        terminationGracePeriodSeconds: 30,
        containers: [
          withSpec('app', {
            livenessProbe: probe('live', { failureThreshold: 3, terminationGracePeriodSeconds: 5 }),
            lifecycle: { preStop: { exec: { command: ['drain'] } } },
          }),
        ],
      },
      (runtime, clock) => {
        runtime.behaviour = { app: { stopMs: Number.POSITIVE_INFINITY } };
        runtime.hooks = { 'app/preStop': { ms: 1_000, result: ok } };
        // Hangs until 7 s; the instance started after that is healthy.
        runtime.probeResult = () => (clock.now() < 7_000 ? fail('Get "http://10.244.1.2:8080/healthz": context deadline exceeded') : ok);
      },
    );
    await t.clock.advance(12_000);
    expect(t.lines()).toEqual([
      't=0 SandboxReady 10.244.1.2',
      't=0 Started app#0',
      't=2000 ProbeFailed app#0 liveness x3 Restart',
      't=7000 Terminated app#0 exit=137 "Container app failed liveness probe, will be restarted"',
      't=7000 Waiting app#1 CrashLoopBackOff',
      't=8000 Started app#1',
    ]);
    expect(t.runtime.calls.filter((c) => /preStop|stop app|exit/.test(c))).toEqual([
      't=2000 preStop app timeout=5000',
      't=3000 preStop app done',
      // The hook took 1 s of the probe's 5 s grace: SIGTERM with the 4 s left, SIGKILL when they run out.
      't=3000 stop app grace=4000',
      't=7000 exit app 137',
    ]);
    // The killed instance is probed no more; the new one is probed from its start.
    const probes = t.runtime.calls.filter((c) => c.includes('probe app live')).map((c) => c.split(' ')[0]);
    expect(probes).toEqual(['t=0', 't=1000', 't=2000', 't=8000', 't=9000', 't=10000', 't=11000', 't=12000']);
    const failed = t.reporter.ofType('ContainerProbeFailed')[0]!;
    expect(failed).toMatchObject({ probe: 'liveness', action: 'Restart', consecutiveFailures: 3, message: expect.stringContaining('context deadline exceeded') });
    t.worker.detach();
  });

  it('kills a container whose startup probe never succeeds; restartPolicy Never leaves it dead and the pod finishes', async () => {
    const t = setup(
      { restartPolicy: 'Never', terminationGracePeriodSeconds: 2, containers: [withSpec('app', { startupProbe: probe('startup', { failureThreshold: 2 }), livenessProbe: probe('live') })] },
      (runtime) => {
        runtime.behaviour = { app: { stopMs: 100 } };
        runtime.probeResult = () => fail();
      },
    );
    await t.clock.advance(5_000);
    expect(t.lines()).toEqual([
      't=0 SandboxReady 10.244.1.2',
      't=0 Started app#0',
      't=1000 ProbeFailed app#0 startup x2 Restart',
      't=1100 Terminated app#0 exit=0 "Container app failed startup probe, will be restarted"',
      't=1100 PodSandboxRemoved',
    ]);
    expect(t.runtime.calls.some((c) => c.includes('probe app live'))).toBe(false);
  });
});

describe('pod worker: lifecycle hooks and graceful stops', () => {
  it('runs preStop before SIGTERM; the time it takes counts against the grace; apps first, then sidecars in reverse order', async () => {
    const t = setup(
      {
        initContainers: [container('proxy', { sidecar: true }), container('logs', { sidecar: true })],
        containers: [withSpec('web', { lifecycle: { preStop: { exec: { command: ['drain'] } } } }), container('worker')],
      },
      (runtime) => {
        runtime.behaviour = { web: { stopMs: 1_000 }, worker: { stopMs: 500 }, logs: { stopMs: 100 }, proxy: { stopMs: 100 } };
        runtime.hooks = { 'web/preStop': { ms: 3_000, result: ok } };
      },
    );
    await t.clock.advance(1_000);
    t.deleteWith(10);
    await t.clock.advance(10_000);
    expect(t.runtime.calls.filter((c) => /stop|exit|removeSandbox/i.test(c))).toEqual([
      't=1000 preStop web timeout=10000',
      't=1000 stop worker grace=10000',
      't=1500 exit worker 0',
      't=4000 preStop web done',
      't=4000 stop web grace=7000',
      't=5000 exit web 0',
      't=5000 stop logs grace=6000',
      't=5100 exit logs 0',
      't=5100 stop proxy grace=5900',
      't=5200 exit proxy 0',
      't=5200 removeSandbox',
    ]);
    expect(t.lines().slice(-2)).toEqual(['t=5200 PodSandboxRemoved', 't=5200 PodDeleted']);
  });

  it('still leaves the kubelet’s 2 s between SIGTERM and SIGKILL when preStop ran over the grace period', async () => {
    const t = setup({ containers: [withSpec('app', { lifecycle: { preStop: { exec: { command: ['hang'] } } } })] }, (runtime) => {
      runtime.behaviour = { app: { stopMs: Number.POSITIVE_INFINITY } };
      runtime.hooks = { 'app/preStop': { ms: 60_000, result: ok } };
    });
    await t.clock.advance(0);
    t.deleteWith(3);
    await t.clock.advance(6_000);
    expect(t.runtime.calls.filter((c) => /stop|exit/i.test(c) && !c.endsWith(' done'))).toEqual(['t=0 preStop app timeout=3000', 't=3000 stop app grace=2000', 't=5000 exit app 137']);
  });

  it('gives a sidecar its 2 s of SIGTERM even when an app container used the whole grace period', async () => {
    const t = setup({ initContainers: [container('proxy', { sidecar: true })], containers: [container('stubborn')] }, (runtime) => {
      runtime.behaviour = { stubborn: { stopMs: Number.POSITIVE_INFINITY }, proxy: { stopMs: 500 } };
    });
    await t.clock.advance(0);
    t.deleteWith(3);
    await t.clock.advance(10_000);
    expect(t.runtime.calls.filter((c) => /stop|exit/i.test(c))).toEqual([
      't=0 stop stubborn grace=3000',
      't=3000 exit stubborn 137',
      't=3000 stop proxy grace=2000',
      't=3500 exit proxy 0',
    ]);
  });

  it('a pod deleted with no grace skips preStop', async () => {
    const t = setup({ containers: [withSpec('app', { lifecycle: { preStop: { exec: { command: ['drain'] } } } })] });
    await t.clock.advance(0);
    t.deleteWith(0);
    await t.clock.advance(10);
    expect(t.runtime.calls.filter((c) => /stop|exit/i.test(c) && !c.endsWith(' done'))).toEqual(['t=0 stop app grace=0', 't=0 exit app 0']);
  });

  it('a failing postStart hook kills the container it started (FailedPostStartHook) and the restart policy applies', async () => {
    const t = setup(
      {
        restartPolicy: 'Always',
        containers: [withSpec('app', { lifecycle: { postStart: { exec: { command: ['setup'] } } }, readinessProbe: probe('ready') })],
      },
      (runtime) => {
        runtime.behaviour = { app: { stopMs: 200 } };
        runtime.hooks = { 'app/postStart': { ms: 300, result: fail('exit status 1: no config') } };
      },
    );
    await t.clock.advance(1_600);
    expect(t.lines()).toEqual([
      't=0 SandboxReady 10.244.1.2',
      't=0 Started app#0',
      't=500 Terminated app#0 exit=0 "FailedPostStartHook: exit status 1: no config"',
      't=500 Waiting app#1 CrashLoopBackOff',
      't=1500 Started app#1',
    ]);
    // Its probes never began: they wait for postStart.
    expect(t.runtime.calls.some((c) => c.includes('probe'))).toBe(false);
    t.worker.detach();
  });

  it('holds the next init container until a sidecar postStart hook has finished', async () => {
    const t = setup(
      { initContainers: [withSpec('proxy', { lifecycle: { postStart: { exec: { command: ['warm'] } } } }, true)], containers: [container('app')] },
      (runtime) => (runtime.hooks = { 'proxy/postStart': { ms: 1_500, result: ok } }),
    );
    await t.clock.advance(2_000);
    expect(t.runtime.calls.filter((c) => c.includes('start ') || c.includes('postStart'))).toEqual([
      't=0 start proxy',
      't=0 postStart proxy timeout=600000',
      't=1500 postStart proxy done',
      't=1500 start app',
    ]);
    t.worker.detach();
  });
});

describe('pod worker: sandbox', () => {
  it("passes the node's name and CIDR to the runtime and reports the address the runtime answered", async () => {
    const t = setup({}, (runtime) => (runtime.answerIP = (options) => options.podIP.replace(/^10\./, '127.')));
    await t.clock.advance(0);
    expect(t.runtime.sandboxOptions).toEqual([{ podIP: '10.244.1.2', node: { name: 'node-1', podCIDR: '10.244.1.0/24' } }]);
    expect(t.lines()[0]).toBe('t=0 SandboxReady 127.244.1.2');
    t.worker.detach();
  });

  it('treats an address a runtime chose outside the CIDR as holding the CIDR address with the same host part', async () => {
    // Another pod here runs at 127.244.1.2, the process runtime's stand-in for 10.244.1.2.
    const other = [podCreated({ name: 'other' }), podBound({ name: 'other' }), podSandboxReady({ name: 'other', podIP: '127.244.1.2' })];
    const t = setup({}, () => undefined, other);
    await t.clock.advance(0);
    expect(t.runtime.sandboxOptions.map((o) => o.podIP)).toEqual(['10.244.1.3']);
    t.worker.detach();
  });

  it('re-attaches an adopted sandbox with the CIDR address behind the address it reported', async () => {
    const t = setup({}, (runtime) => (runtime.answerIP = (options) => options.podIP.replace(/^10\./, '127.')), [
      podSandboxReady({ podIP: '127.244.1.9' }),
      containerStarted({ startedAt: new Date(0).toISOString() }),
    ]);
    await t.clock.advance(0);
    expect(t.runtime.sandboxOptions).toEqual([{ podIP: '10.244.1.9', node: { name: 'node-1', podCIDR: '10.244.1.0/24' } }]);
    expect(t.runtime.steps).toEqual(['attach app']);
    expect(t.node.reservedIPs).toEqual(new Set(['10.244.1.9']));
    t.worker.detach();
  });
});
