import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '@flotilla/model';
import { ContainerLogsNotFoundError, ContainerStartError, type ContainerExit, type LogReadOptions } from './container-runtime.ts';
import { SimRuntime, type SimTimings } from './sim-runtime.ts';
import { ManualScheduler } from './timer-scheduler.ts';

const NO_JITTER: SimTimings = { sandboxMs: 10, containerStartMs: 20, initRunMs: 100, stopMs: 30, jitter: 0 };

function pod(annotations: Record<string, string> = {}, uid = 'uid-1'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid, creationTimestamp: '2025-01-01T00:00:00Z', annotations },
    spec: { containers: [{ name: 'app' }], initContainers: [{ name: 'init' }, { name: 'side', restartPolicy: 'Always' }] },
  };
}
const app: Container = { name: 'app' };
const init: Container = { name: 'init' };
const side: Container = { name: 'side', restartPolicy: 'Always' };

function setup(timings: Partial<SimTimings> = NO_JITTER, seed = 7): { clock: ManualScheduler; runtime: SimRuntime } {
  const clock = new ManualScheduler(1_000_000);
  return { clock, runtime: new SimRuntime({ timings, seed, scheduler: clock }) };
}

/** Records when a promise settled on the manual clock. */
function track<T>(clock: ManualScheduler, promise: Promise<T>): { at?: number; value?: T } {
  const out: { at?: number; value?: T } = {};
  void promise.then((value) => {
    out.at = clock.now();
    out.value = value;
  });
  return out;
}

describe('SimRuntime timings', () => {
  it('builds the sandbox after sandboxMs and starts a container after containerStartMs', async () => {
    const { clock, runtime } = setup();
    const sandbox = track(clock, runtime.createSandbox(pod(), { podIP: '10.244.0.2', node: { name: 'node-1', podCIDR: '10.244.0.0/24' } }));
    await clock.advance(9);
    expect(sandbox.at).toBeUndefined();
    await clock.advance(1);
    expect(sandbox.at).toBe(1_000_010);
    expect(sandbox.value).toEqual({ podIP: '10.244.0.2' });
    expect(runtime.hasSandbox('uid-1')).toBe(true);

    const started = track(clock, runtime.startContainer(pod(), app, 'app', new AbortController().signal));
    await clock.advance(20);
    expect(started.at).toBe(1_000_030);
    expect(started.value?.startedAt.getTime()).toBe(1_000_030);
    expect(runtime.runningContainers('uid-1')).toEqual(['app']);
  });

  it('runs a regular init container for initRunMs and exits 0; a sidecar and an app container keep running', async () => {
    const { clock, runtime } = setup();
    const abort = new AbortController();
    const starts = Promise.all([
      runtime.startContainer(pod(), init, 'init', abort.signal),
      runtime.startContainer(pod(), side, 'sidecar', abort.signal),
      runtime.startContainer(pod(), app, 'app', abort.signal),
    ]);
    await clock.advance(20);
    const [i, s, a] = await starts;
    const initExit = track(clock, i.exited);
    const sideExit = track(clock, s.exited);
    const appExit = track(clock, a.exited);
    await clock.advance(100);
    expect(initExit.value).toEqual<ContainerExit>({ exitCode: 0, reason: 'Completed', finishedAt: new Date(1_000_120) });
    await clock.advance(10 * 60_000);
    expect(sideExit.at).toBeUndefined();
    expect(appExit.at).toBeUndefined();
  });

  it('stops gracefully within the grace period (exit 0) and kills when the grace runs out (137)', async () => {
    const { clock, runtime } = setup();
    const signal = new AbortController().signal;
    const starts = Promise.all([runtime.startContainer(pod(), app, 'app', signal), runtime.startContainer(pod(), side, 'sidecar', signal)]);
    await clock.advance(20);
    const [a, s] = await starts;
    const graceful = track(clock, a.stop(1000));
    const killed = track(clock, s.stop(5));
    await clock.advance(5);
    expect(killed.at).toBe(1_000_025);
    expect(await s.exited).toMatchObject({ exitCode: 137, reason: 'Error' });
    await clock.advance(25);
    expect(graceful.at).toBe(1_000_050);
    expect(await a.exited).toMatchObject({ exitCode: 0, reason: 'Completed', finishedAt: new Date(1_000_050) });
    await a.stop(1000); // again: harmless
    expect(runtime.runningContainers('uid-1')).toEqual([]);
  });

  it('aborts a start in progress', async () => {
    const { clock, runtime } = setup();
    const abort = new AbortController();
    const start = runtime.startContainer(pod(), app, 'app', abort.signal);
    const rejected = expect(start).rejects.toMatchObject({ name: 'AbortError' });
    await clock.advance(5);
    abort.abort();
    await rejected;
    expect(runtime.runningContainers('uid-1')).toEqual([]);
  });

  it('applies jitter within ±jitter of each duration', async () => {
    const { clock, runtime } = setup({ ...NO_JITTER, containerStartMs: 1000, jitter: 0.5 });
    const at: number[] = [];
    for (let i = 0; i < 20; i++) {
      void runtime.startContainer(pod({}, `uid-${i}`), app, 'app', new AbortController().signal).then((c) => at.push(c.startedAt.getTime() - 1_000_000));
    }
    await clock.advance(2000);
    expect(at).toHaveLength(20);
    for (const ms of at) {
      expect(ms).toBeGreaterThanOrEqual(500);
      expect(ms).toBeLessThanOrEqual(1500);
    }
    expect(new Set(at).size).toBeGreaterThan(5);
  });
});

describe('SimRuntime annotations', () => {
  it('run-seconds and exit-code make app containers exit on their own', async () => {
    const { clock, runtime } = setup();
    const p = pod({ 'sim.flotilla.io/run-seconds': '2', 'sim.flotilla.io/exit-code': '3' });
    const start = runtime.startContainer(p, app, 'app', new AbortController().signal);
    await clock.advance(20);
    const exit = track(clock, (await start).exited);
    await clock.advance(1999);
    expect(exit.at).toBeUndefined();
    await clock.advance(1);
    expect(exit.value).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  it('run-seconds does not apply to sidecars', async () => {
    const { clock, runtime } = setup();
    const start = runtime.startContainer(pod({ 'sim.flotilla.io/run-seconds': '1' }), side, 'sidecar', new AbortController().signal);
    await clock.advance(20);
    const exit = track(clock, (await start).exited);
    await clock.advance(5000);
    expect(exit.at).toBeUndefined();
  });

  it('init-exit-code sets the exit code of regular init containers', async () => {
    const { clock, runtime } = setup();
    const start = runtime.startContainer(pod({ 'sim.flotilla.io/init-exit-code': '2' }), init, 'init', new AbortController().signal);
    await clock.advance(120);
    expect(await (await start).exited).toMatchObject({ exitCode: 2, reason: 'Error' });
  });

  it('fail-probability 1 makes every container exit 1 right after it started', async () => {
    const { clock, runtime } = setup();
    const start = runtime.startContainer(pod({ 'sim.flotilla.io/fail-probability': '1' }), side, 'sidecar', new AbortController().signal);
    await clock.advance(20);
    const c = await start;
    await clock.advance(0);
    expect(await c.exited).toMatchObject({ exitCode: 1, reason: 'Error', finishedAt: c.startedAt });
  });

  it('rejects a malformed annotation with CreateContainerConfigError', async () => {
    const { runtime } = setup();
    const start = runtime.startContainer(pod({ 'sim.flotilla.io/fail-probability': '2' }), app, 'app', new AbortController().signal);
    await expect(start).rejects.toBeInstanceOf(ContainerStartError);
    await expect(start).rejects.toMatchObject({ reason: 'CreateContainerConfigError' });
  });

  it('attaches to a container that started before: it keeps its original schedule', async () => {
    const { clock, runtime } = setup();
    const p = pod({ 'sim.flotilla.io/run-seconds': '10' });
    const c = await runtime.attachContainer(p, app, 'app', new Date(clock.now() - 4000));
    expect(c).toBeDefined();
    const exit = track(clock, c!.exited);
    await clock.advance(5999);
    expect(exit.at).toBeUndefined();
    await clock.advance(1);
    expect(exit.value).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });
});

describe('SimRuntime seeded determinism', () => {
  async function failures(seed: number): Promise<boolean[]> {
    const { clock, runtime } = setup({ ...NO_JITTER, jitter: 0.3 }, seed);
    const p = pod({ 'sim.flotilla.io/fail-probability': '0.5' });
    const results: boolean[] = [];
    for (let i = 0; i < 40; i++) {
      const start = runtime.startContainer(p, app, 'app', new AbortController().signal);
      await clock.advance(30);
      const c = await start;
      let failed = false;
      void c.exited.then(() => (failed = true));
      await clock.advance(0);
      results.push(failed);
      const stopped = c.stop(1000);
      await clock.advance(100);
      await stopped;
    }
    return results;
  }

  it('the same seed gives the same failures and timings; another seed differs', async () => {
    const a = await failures(42);
    const b = await failures(42);
    const c = await failures(43);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const fails = a.filter(Boolean).length;
    expect(fails).toBeGreaterThan(5);
    expect(fails).toBeLessThan(35);
  });

  it('draws per pod and container, independent of the order pods are started in', async () => {
    async function startTimes(order: string[]): Promise<Record<string, number>> {
      const { clock, runtime } = setup({ ...NO_JITTER, containerStartMs: 1000, jitter: 0.5 }, 5);
      const out: Record<string, number> = {};
      for (const uid of order) {
        void runtime.startContainer(pod({}, uid), app, 'app', new AbortController().signal).then((c) => (out[uid] = c.startedAt.getTime()));
      }
      await clock.advance(2000);
      return out;
    }
    expect(await startTimes(['a', 'b', 'c'])).toEqual(await startTimes(['c', 'a', 'b']));
  });
});

describe('SimRuntime probes, hooks and logs', () => {
  const read = (options: Partial<LogReadOptions> = {}): LogReadOptions => ({ previous: false, follow: false, timestamps: false, ...options });

  async function collect(iterable: AsyncIterable<string>): Promise<string> {
    let text = '';
    for await (const chunk of iterable) text += chunk;
    return text;
  }

  it('has nothing to probe: probes succeed; a sleep hook waits its seconds, or fails at the timeout', async () => {
    const { clock, runtime } = setup();
    expect(runtime.nodeLabels).toEqual({});
    expect(await runtime.probe(pod(), app, { exec: { command: ['true'] } }, 1000)).toEqual({ success: true });
    expect(await runtime.runHook(pod(), app, { exec: { command: ['true'] } }, 1000)).toEqual({ success: true });
    const slept = track(clock, runtime.runHook(pod(), app, { sleep: { seconds: 2 } }, 30_000));
    await clock.advance(1999);
    expect(slept.at).toBeUndefined();
    await clock.advance(1);
    expect(slept.value).toEqual({ success: true });
    const cut = track(clock, runtime.runHook(pod(), app, { sleep: { seconds: 5 } }, 1000));
    await clock.advance(1000);
    expect(cut.value).toMatchObject({ success: false });
    expect(await runtime.listSandboxes(new Set(['node-1']))).toEqual([]);
  });

  it('keeps synthetic lines per container instance: current and previous, tail, timestamps; Kubernetes wording when missing', async () => {
    const { clock, runtime } = setup();
    const p = pod({ 'sim.flotilla.io/run-seconds': '1', 'sim.flotilla.io/exit-code': '2' });
    await expect(collect(runtime.readLogs(p, app, read()))).rejects.toThrow(
      new ContainerLogsNotFoundError('container "app" in pod "p" is waiting to start: ContainerCreating'),
    );
    const first = runtime.startContainer(p, app, 'app', new AbortController().signal);
    await clock.advance(20);
    await clock.advance(1000);
    expect(await (await first).exited).toMatchObject({ exitCode: 2 });
    expect(await collect(runtime.readLogs(p, app, read()))).toBe('app started (simulated: no process runs)\napp exited with code 2 (Error)\n');
    await expect(collect(runtime.readLogs(p, app, read({ previous: true })))).rejects.toThrow(
      'previous terminated container "app" in pod "p" not found',
    );

    const second = runtime.startContainer(p, app, 'app', new AbortController().signal);
    await clock.advance(20);
    const running = await second;
    expect(await collect(runtime.readLogs(p, app, read({ previous: true })))).toContain('app exited with code 2 (Error)');
    expect(await collect(runtime.readLogs(p, app, read({ tailLines: 1, timestamps: true })))).toBe(
      `${running.startedAt.toISOString()} app started (simulated: no process runs)\n`,
    );
    expect(await collect(runtime.readLogs(p, app, read({ tailLines: 0 })))).toBe('');

    await runtime.removeSandbox(p);
    await expect(collect(runtime.readLogs(p, app, read()))).rejects.toBeInstanceOf(ContainerLogsNotFoundError);
  });

  it('follows the current instance until it exits, or until the reader aborts', async () => {
    const { clock, runtime } = setup();
    const start = runtime.startContainer(pod(), app, 'app', new AbortController().signal);
    await clock.advance(20);
    const c = await start;
    const chunks: string[] = [];
    const following = (async () => {
      for await (const chunk of runtime.readLogs(pod(), app, read({ follow: true }))) chunks.push(chunk);
    })();
    await clock.advance(0);
    expect(chunks).toEqual(['app started (simulated: no process runs)\n']);
    const stopped = c.stop(1000);
    await clock.advance(30);
    await stopped;
    await following;
    expect(chunks.join('')).toBe(
      'app started (simulated: no process runs)\napp received SIGTERM (grace period 1000 ms)\napp exited with code 0 (Completed)\n',
    );

    const again = runtime.startContainer(pod(), app, 'app', new AbortController().signal);
    await clock.advance(20);
    await again;
    const abort = new AbortController();
    let ended = false;
    const aborted = (async () => {
      for await (const _chunk of runtime.readLogs(pod(), app, read({ follow: true, signal: abort.signal }))) void _chunk;
      ended = true;
    })();
    await clock.advance(0);
    expect(ended).toBe(false);
    abort.abort();
    await aborted;
    expect(ended).toBe(true);
  });
});
