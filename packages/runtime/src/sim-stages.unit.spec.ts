import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '@flotilla/model';
import { ContainerStartError, type ContainerExit, type ContainerKind } from './container-runtime.ts';
import { SimRuntime, SimSandboxError, type SimTimings } from './sim-runtime.ts';
import { matchStage, parseSimStages, SimStagesError, stageDelay, type SimStage } from './sim-stages.ts';
import { ManualScheduler } from './timer-scheduler.ts';

const T0 = 1_000_000;
const NO_JITTER: SimTimings = { sandboxMs: 10, containerStartMs: 20, initRunMs: 100, stopMs: 30, jitter: 0 };

interface PodOptions {
  uid?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  priorityClassName?: string;
  nodeName?: string;
}

function pod(options: PodOptions = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'p',
      namespace: options.namespace ?? 'default',
      uid: options.uid ?? 'uid-1',
      creationTimestamp: '2025-01-01T00:00:00Z',
      labels: options.labels ?? {},
      annotations: options.annotations ?? {},
    },
    spec: {
      containers: [{ name: 'app', image: 'registry.example/big/app:1' }],
      initContainers: [{ name: 'init' }, { name: 'side', restartPolicy: 'Always' }],
      ...(options.priorityClassName !== undefined ? { priorityClassName: options.priorityClassName } : {}),
      ...(options.nodeName !== undefined ? { nodeName: options.nodeName } : {}),
    },
  };
}
const app: Container = { name: 'app', image: 'registry.example/big/app:1' };
const init: Container = { name: 'init' };
const side: Container = { name: 'side', restartPolicy: 'Always' };

const stages = (...list: unknown[]): SimStage[] => parseSimStages({ kind: 'SimStages', stages: list });

function problems(raw: unknown): string[] {
  try {
    parseSimStages(raw, 'stages.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(SimStagesError);
    return (error as SimStagesError).problems;
  }
  throw new Error('expected the stages to be rejected');
}

function setup(list: SimStage[], seed = 7, timings: Partial<SimTimings> = NO_JITTER): { clock: ManualScheduler; runtime: SimRuntime } {
  const clock = new ManualScheduler(T0);
  return { clock, runtime: new SimRuntime({ timings, seed, scheduler: clock, stages: list }) };
}

/** Settles a promise on the manual clock: when (relative to T0) and how. */
function track<T>(clock: ManualScheduler, promise: Promise<T>): { at?: number; value?: T; error?: unknown } {
  const out: { at?: number; value?: T; error?: unknown } = {};
  promise.then(
    (value) => {
      out.at = clock.now() - T0;
      out.value = value;
    },
    (error: unknown) => {
      out.at = clock.now() - T0;
      out.error = error;
    },
  );
  return out;
}

const SANDBOX = { podIP: '10.244.0.2', node: { name: 'node-1', podCIDR: '10.244.0.0/24' } };
const signal = (): AbortSignal => new AbortController().signal;

describe('stages files', () => {
  it('fills in the defaults: empty selector, no delay, the step\'s usual outcome, exit code 0, failure exit code 1', () => {
    const [sandbox, run, batch] = stages(
      { name: 'sandbox', step: 'sandbox' },
      { name: 'run', step: 'run', delayMs: 100, jitterMs: 10 },
      { name: 'batch', step: 'run', next: 'exit', exitCode: 3, delayMs: 5, failure: { probability: 0.5 } },
    );
    expect(sandbox).toEqual({ name: 'sandbox', step: 'sandbox', selector: {}, delayMs: 0, jitterMs: 0, next: 'ready', exitCode: 0 });
    expect(run).toMatchObject({ next: 'running', exitCode: 0, delayMs: 100, jitterMs: 10 });
    expect(batch).toMatchObject({ next: 'exit', exitCode: 3, failure: { probability: 0.5, exitCode: 1, reason: 'Error' } });
    expect(stages({ name: 'pull', step: 'start', failure: { probability: 1 } })[0]?.failure?.reason).toBe('CreateContainerError');
  });

  it('names the path of every problem', () => {
    expect(problems({ stages: [{ name: 'a', step: 'boot' }] })).toEqual([expect.stringMatching(/^stages\[0\]\.step: /)]);
    expect(problems({ stages: [{ name: 'a', step: 'run', delay: 5 }] })).toEqual([expect.stringMatching(/^stages\[0\]: .*delay/)]);
    expect(problems({ kind: 'Stage', stages: [] })).toEqual([expect.stringMatching(/^kind: /)]);
    expect(problems({ stages: [{ name: 'a', step: 'run' }, { name: 'a', step: 'stop' }] })).toEqual(['stages[1].name: already used by stages[0]']);
    expect(problems({ stages: [{ name: 'a', step: 'init', next: 'running' }] })).toEqual(['stages[0].next: step init can only go to exit']);
    expect(problems({ stages: [{ name: 'a', step: 'start', delayMs: 10, jitterMs: 11 }] })).toEqual(['stages[0].jitterMs: must not exceed delayMs (10)']);
    expect(problems({ stages: [{ name: 'a', step: 'run', exitCode: 2 }] })).toEqual(['stages[0].exitCode: only a stage whose next is exit has an exit code (this one: running)']);
    expect(problems({ stages: [{ name: 'a', step: 'sandbox', selector: { containerNames: ['app'] } }] })).toEqual([
      'stages[0].selector.containerNames: a sandbox belongs to the pod, not to a container',
    ]);
    expect(problems({ stages: [{ name: 'a', step: 'init', selector: { containerKinds: ['init', 'app'] } }] })).toEqual([
      'stages[0].selector.containerKinds[1]: step init applies to init containers only',
    ]);
    expect(problems({ stages: [{ name: 'a', step: 'stop', failure: { probability: 0.1 } }] })).toEqual([expect.stringMatching(/^stages\[0\]\.failure: a stop cannot fail/)]);
    expect(problems({ stages: [{ name: 'a', step: 'start', failure: { probability: 0.1, exitCode: 2 } }] })).toEqual([
      'stages[0].failure.exitCode: a start failure has a reason, not an exit code',
    ]);
    expect(problems({ stages: [{ name: 'a', step: 'run', failure: { probability: 1.5 } }] })).toEqual([expect.stringMatching(/^stages\[0\]\.failure\.probability: /)]);
    expect(problems({ stages: [{ name: 'a', step: 'run', selector: { matchExpressions: [{ key: 'k', operator: 'In' }] } }] })).toEqual([
      'stages[0].selector.matchExpressions[0].values: operator In needs values',
    ]);
    expect(() => parseSimStages(null, 'x.yaml')).toThrow(/^x\.yaml: invalid stages:\n {2}\(root\): /);
  });
});

describe('stage selectors', () => {
  const list = stages(
    { name: 'labelled', step: 'start', selector: { matchLabels: { tier: 'batch' }, matchAnnotations: { team: 'a' } } },
    { name: 'expression', step: 'start', selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] } },
    { name: 'fields', step: 'start', selector: { namespaces: ['kube-system'], priorityClassNames: ['system-node-critical'] } },
    { name: 'nodes', step: 'start', selector: { nodeNames: ['slow-*'] } },
    { name: 'images', step: 'start', selector: { images: ['registry.example/big/*'], containerKinds: ['app'] } },
    { name: 'named', step: 'start', selector: { containerNames: ['init'] } },
    { name: 'fallback', step: 'start' },
    { name: 'app-run', step: 'run' },
  );
  const first = (p: Pod, container: Container, kind: ContainerKind, step: 'start' | 'run' = 'start'): string | undefined => matchStage(list, step, { pod: p, container, kind })?.name;

  it('the first stage whose selector matches wins', () => {
    expect(first(pod({ labels: { tier: 'batch' }, annotations: { team: 'a' } }), app, 'app')).toBe('labelled');
    expect(first(pod({ labels: { tier: 'batch' } }), app, 'app')).toBe('images'); // the annotation is missing
    expect(first(pod({ labels: { tier: 'api' } }), app, 'app')).toBe('expression');
    expect(first(pod({ namespace: 'kube-system', priorityClassName: 'system-node-critical' }), side, 'sidecar')).toBe('fields');
    expect(first(pod({ namespace: 'kube-system' }), side, 'sidecar')).toBe('fallback');
    expect(first(pod({ nodeName: 'slow-17' }), side, 'sidecar')).toBe('nodes');
    expect(first(pod({ nodeName: 'fast-1' }), side, 'sidecar')).toBe('fallback');
    expect(first(pod(), { name: 'x', image: 'registry.example/big/x:2' }, 'init')).toBe('fallback'); // images: app containers only
    expect(first(pod(), init, 'init')).toBe('named');
  });

  it('a run stage selects app containers unless it names sidecars; regular init containers have the init step', () => {
    expect(first(pod(), app, 'app', 'run')).toBe('app-run');
    expect(first(pod(), side, 'sidecar', 'run')).toBeUndefined();
    expect(matchStage(stages({ name: 's', step: 'run', selector: { containerKinds: ['sidecar'] } }), 'run', { pod: pod(), container: side, kind: 'sidecar' })?.name).toBe('s');
  });

  it('draws a delay within delayMs ± jitterMs', () => {
    expect(stageDelay({ delayMs: 100, jitterMs: 0 }, 0.99)).toBe(100);
    expect(stageDelay({ delayMs: 100, jitterMs: 50 }, 0)).toBe(50);
    expect(stageDelay({ delayMs: 100, jitterMs: 50 }, 0.5)).toBe(100);
    expect(stageDelay({ delayMs: 100, jitterMs: 50 }, 0.9999)).toBe(150);
  });
});

describe('SimRuntime with stages', () => {
  it('a matching stage sets a step\'s delay; pods it does not select keep the built-in timings', async () => {
    const { clock, runtime } = setup(stages({ name: 'pull', step: 'start', selector: { matchLabels: { image: 'large' } }, delayMs: 5000 }));
    const slow = track(clock, runtime.startContainer(pod({ uid: 'a', labels: { image: 'large' } }), app, 'app', signal()));
    const fast = track(clock, runtime.startContainer(pod({ uid: 'b' }), app, 'app', signal()));
    await clock.advance(4999);
    expect(fast.at).toBe(20);
    expect(slow.at).toBeUndefined();
    await clock.advance(1);
    expect(slow.at).toBe(5000);
  });

  it('run: exit with the stage\'s code after its delay; the exit-code annotation wins, run-seconds replaces the stage', async () => {
    const list = stages({ name: 'batch', step: 'run', selector: { matchLabels: { kind: 'batch' } }, next: 'exit', exitCode: 4, delayMs: 1000 });
    const { clock, runtime } = setup(list);
    const labels = { kind: 'batch' };
    const plain = runtime.startContainer(pod({ uid: 'a', labels }), app, 'app', signal());
    const coded = runtime.startContainer(pod({ uid: 'b', labels, annotations: { 'sim.flotilla.io/exit-code': '9' } }), app, 'app', signal());
    const timed = runtime.startContainer(pod({ uid: 'c', labels, annotations: { 'sim.flotilla.io/run-seconds': '3' } }), app, 'app', signal());
    const sidecar = runtime.startContainer(pod({ uid: 'd', labels }), side, 'sidecar', signal());
    await clock.advance(20);
    const exits = (await Promise.all([plain, coded, timed, sidecar])).map((c) => track(clock, c.exited));
    await clock.advance(1000);
    expect(exits[0]).toMatchObject({ at: 1020, value: { exitCode: 4, reason: 'Error' } });
    expect(exits[1]).toMatchObject({ at: 1020, value: { exitCode: 9 } });
    expect(exits[2]?.at).toBeUndefined();
    await clock.advance(2000);
    expect(exits[2]).toMatchObject({ at: 3020, value: { exitCode: 0, reason: 'Completed' } });
    await clock.advance(60_000);
    expect(exits[3]?.at).toBeUndefined(); // sidecars keep running: the stage selects app containers only
  });

  it('init: completes after the stage\'s delay, or fails with the failure\'s exit code; init-exit-code wins', async () => {
    const list = stages(
      { name: 'broken', step: 'init', selector: { matchLabels: { broken: 'yes' } }, delayMs: 50, failure: { probability: 1, exitCode: 7 } },
      { name: 'init', step: 'init', delayMs: 500, next: 'exit' },
    );
    const { clock, runtime } = setup(list);
    const ok = runtime.startContainer(pod({ uid: 'a' }), init, 'init', signal());
    const broken = runtime.startContainer(pod({ uid: 'b', labels: { broken: 'yes' } }), init, 'init', signal());
    const forced = runtime.startContainer(pod({ uid: 'c', labels: { broken: 'yes' }, annotations: { 'sim.flotilla.io/init-exit-code': '0' } }), init, 'init', signal());
    await clock.advance(20);
    const [a, b, c] = (await Promise.all([ok, broken, forced])).map((r) => track(clock, r.exited));
    await clock.advance(500);
    expect(a).toMatchObject({ at: 520, value: { exitCode: 0, reason: 'Completed' } });
    expect(b).toMatchObject({ at: 70, value: { exitCode: 7, reason: 'Error', message: 'simulated failure (stage "broken")' } });
    expect(c).toMatchObject({ at: 70, value: { exitCode: 0 } });
  });

  it('start failure: the start is refused with the failure\'s reason after the delay, and the next attempt draws again', async () => {
    const list = stages({ name: 'pull', step: 'start', delayMs: 100, failure: { probability: 0.5, reason: 'ErrImagePull', message: 'pull failed' } });
    const { clock, runtime } = setup(list, 3);
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 30; attempt++) {
      const begin = clock.now() - T0;
      const start = track(clock, runtime.startContainer(pod(), app, 'app', signal()));
      await clock.advance(100);
      expect(start.at).toBe(begin + 100);
      if (start.error) {
        expect(start.error).toBeInstanceOf(ContainerStartError);
        expect(start.error).toMatchObject({ reason: 'ErrImagePull', message: 'pull failed' });
        outcomes.push('failed');
      } else {
        outcomes.push('started');
        void start.value!.stop(0);
        await clock.advance(0);
      }
    }
    expect(outcomes).toContain('failed');
    expect(outcomes).toContain('started');
  });

  it('sandbox failure: the build fails after the delay (the agent retries); a later attempt can succeed', async () => {
    const list = stages({ name: 'cni', step: 'sandbox', delayMs: 40, failure: { probability: 0.5, reason: 'FailedCreatePodSandBox' } });
    const { clock, runtime } = setup(list, 11);
    let attempts = 0;
    for (;;) {
      attempts++;
      const built = track(clock, runtime.createSandbox(pod(), SANDBOX));
      await clock.advance(40);
      if (built.value) break;
      expect(built.error).toBeInstanceOf(SimSandboxError);
      expect(built.error).toMatchObject({ reason: 'FailedCreatePodSandBox' });
      expect(attempts).toBeLessThan(30);
    }
    expect(runtime.hasSandbox('uid-1')).toBe(true);
    const always = setup(stages({ name: 'cni', step: 'sandbox', failure: { probability: 1 } }));
    const refused = expect(always.runtime.createSandbox(pod(), SANDBOX)).rejects.toMatchObject({ name: 'SimSandboxError', reason: 'FailedCreatePodSandBox' });
    await always.clock.advance(0);
    await refused;
  });

  it('stop: the stage\'s delay from SIGTERM to exit, killed when it exceeds the grace period', async () => {
    const { clock, runtime } = setup(stages({ name: 'slow-stop', step: 'stop', delayMs: 3000 }));
    const started = runtime.startContainer(pod(), app, 'app', signal());
    await clock.advance(20);
    const c = await started;
    void c.stop(1000);
    await clock.advance(1000);
    expect(await c.exited).toMatchObject({ exitCode: 137, reason: 'Error' });
  });

  it('a re-attached container keeps the stage\'s schedule (its nominal delay)', async () => {
    const { clock, runtime } = setup(stages({ name: 'batch', step: 'run', next: 'exit', delayMs: 10_000, jitterMs: 5_000 }));
    const c = await runtime.attachContainer(pod(), app, 'app', new Date(clock.now() - 4000));
    const exit = track(clock, c!.exited);
    await clock.advance(5999);
    expect(exit.at).toBeUndefined();
    await clock.advance(1);
    expect(exit.value).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });
});

describe('stages are seeded', () => {
  const list = stages(
    { name: 'sandbox', step: 'sandbox', delayMs: 400, jitterMs: 300 },
    { name: 'pull', step: 'start', delayMs: 1000, jitterMs: 900, failure: { probability: 0.3, reason: 'ErrImagePull' } },
    { name: 'batch', step: 'run', next: 'exit', delayMs: 5000, jitterMs: 4000, failure: { probability: 0.4, exitCode: 2 } },
  );

  /** Every pod's sandbox time, start time or failure, and exit time and code, in the given order. */
  async function lifecycles(order: readonly string[], seed: number): Promise<Record<string, string>> {
    const { clock, runtime } = setup(list, seed);
    const out: Record<string, string> = {};
    for (const uid of order) {
      const p = pod({ uid });
      void (async () => {
        await runtime.createSandbox(p, SANDBOX);
        const sandboxAt = clock.now() - T0;
        try {
          const c = await runtime.startContainer(p, app, 'app', signal());
          const exit: ContainerExit = await c.exited;
          out[uid] = `sandbox ${sandboxAt}, started ${c.startedAt.getTime() - T0}, exit ${exit.exitCode} at ${exit.finishedAt.getTime() - T0}`;
        } catch (error) {
          out[uid] = `sandbox ${sandboxAt}, ${(error as ContainerStartError).reason} at ${clock.now() - T0}`;
        }
      })();
    }
    await clock.advance(20_000);
    return out;
  }

  it('the same seed gives every pod the same lifecycle, whatever order the pods come in; another seed differs', async () => {
    const uids = Array.from({ length: 30 }, (_, i) => `pod-${i}`);
    const forward = await lifecycles(uids, 42);
    const backward = await lifecycles([...uids].reverse(), 42);
    expect(Object.keys(forward)).toHaveLength(30);
    expect(backward).toEqual(forward);
    expect(await lifecycles(uids, 43)).not.toEqual(forward);
    const outcomes = Object.values(forward).join('\n');
    expect(outcomes).toMatch(/ErrImagePull/);
    expect(outcomes).toMatch(/exit 2 /);
    expect(outcomes).toMatch(/exit 0 /);
  });

  it('a stage for one step does not move the draws of pods it does not select', async () => {
    const jittery: Partial<SimTimings> = { ...NO_JITTER, containerStartMs: 1000, initRunMs: 500, jitter: 0.5 };
    async function times(list: SimStage[]): Promise<number[]> {
      const { clock, runtime } = setup(list, 9, jittery);
      const out: number[] = [];
      for (let i = 0; i < 10; i++) {
        void runtime.startContainer(pod({ uid: `u${i}` }), init, 'init', signal()).then(async (c) => {
          out[2 * i] = c.startedAt.getTime() - T0;
          out[2 * i + 1] = (await c.exited).finishedAt.getTime() - T0;
        });
      }
      await clock.advance(5000);
      return out;
    }
    const other = stages({ name: 'elsewhere', step: 'run', selector: { namespaces: ['batch'] }, next: 'exit', delayMs: 10, failure: { probability: 0.9 } });
    expect(await times(other)).toEqual(await times([]));
  });
});
