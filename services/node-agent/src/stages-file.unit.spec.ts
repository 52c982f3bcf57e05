import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '@flotilla/model';
import { ManualScheduler, SimRuntime, type ContainerKind } from '@flotilla/runtime';
import { loadStages } from './stages-file.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const T0 = 1_000_000;

function pod(uid: string, labels: Record<string, string> = {}, namespace = 'default'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: uid, namespace, uid, creationTimestamp: '2025-01-01T00:00:00Z', labels },
    spec: { containers: [{ name: 'app' }], initContainers: [{ name: 'init' }] },
  };
}

/** Sandbox, start and exit times of the pods (one init and one app container each) on a manual clock. */
async function timeline(runtime: SimRuntime, clock: ManualScheduler, pods: Pod[]): Promise<Record<string, number[] | string>> {
  const out: Record<string, number[] | string> = {};
  const run = async (p: Pod): Promise<void> => {
    const times: number[] = [];
    try {
      await runtime.createSandbox(p, { podIP: '10.244.0.2', node: { name: 'node-1', podCIDR: '10.244.0.0/24' } });
      times.push(clock.now() - T0);
      for (const [container, kind] of [[{ name: 'init' }, 'init'], [{ name: 'app' }, 'app']] as Array<[Container, ContainerKind]>) {
        const c = await runtime.startContainer(p, container, kind, new AbortController().signal);
        times.push(c.startedAt.getTime() - T0);
        if (kind === 'init') times.push((await c.exited).finishedAt.getTime() - T0);
        else {
          void c.stop(30_000);
          const exit = await c.exited;
          times.push(exit.finishedAt.getTime() - T0, exit.exitCode);
        }
      }
      out[p.metadata.uid] = times;
    } catch (error) {
      out[p.metadata.uid] = `${(error as Error).name}: ${(error as Error).message}`;
    }
  };
  for (const p of pods) void run(p);
  await clock.advance(120_000);
  return out;
}

describe('the shipped stages files', () => {
  it('bench/stages/default.yaml simulates pods exactly as the built-in timings do', async () => {
    const stages = loadStages(join(REPO, 'bench/stages/default.yaml'));
    const pods = Array.from({ length: 25 }, (_, i) => pod(`pod-${i}`));
    const withFile = new ManualScheduler(T0);
    const builtIn = new ManualScheduler(T0);
    const a = await timeline(new SimRuntime({ seed: 3, scheduler: withFile, stages }), withFile, pods);
    const b = await timeline(new SimRuntime({ seed: 3, scheduler: builtIn }), builtIn, pods);
    expect(Object.keys(a)).toHaveLength(25);
    expect(a).toEqual(b);
  });

  it('bench/stages/realistic.yaml: batch pods complete (or fail) after 20-40 s, large images pull for 5-15 s, system pods start fast', async () => {
    const stages = loadStages(join(REPO, 'bench/stages/realistic.yaml'));
    const clock = new ManualScheduler(T0);
    const runtime = new SimRuntime({ seed: 1, scheduler: clock, stages });
    const app: Container = { name: 'app' };
    const started: Record<string, number | string> = {};
    const exits: Array<{ after: number; code: number }> = [];
    const start = (p: Pod): void => {
      runtime.startContainer(p, app, 'app', new AbortController().signal).then(
        (c) => {
          started[p.metadata.uid] = c.startedAt.getTime() - T0;
          void c.exited.then((exit) => exits.push({ after: exit.finishedAt.getTime() - c.startedAt.getTime(), code: exit.exitCode }));
        },
        (error: { reason?: string }) => (started[p.metadata.uid] = error.reason ?? 'failed'),
      );
    };
    for (let i = 0; i < 30; i++) start(pod(`batch-${i}`, { 'workload-type': 'batch' }));
    for (let i = 0; i < 10; i++) start(pod(`big-${i}`, { 'sim.flotilla.io/image-size': 'large' }));
    for (let i = 0; i < 10; i++) start(pod(`dns-${i}`, {}, 'kube-system'));
    await clock.advance(60_000);

    for (let i = 0; i < 10; i++) {
      const big = started[`big-${i}`];
      expect(big === 'ErrImagePull' || (typeof big === 'number' && big >= 5_000 && big <= 15_000)).toBe(true);
      expect(started[`dns-${i}`]).toBeGreaterThanOrEqual(200);
      expect(started[`dns-${i}`]).toBeLessThanOrEqual(400);
    }
    const batchStarted = Object.entries(started).filter(([uid, at]) => uid.startsWith('batch-') && typeof at === 'number');
    expect(exits.length).toBe(batchStarted.length);
    for (const exit of exits) {
      expect(exit.after).toBeGreaterThanOrEqual(20_000);
      expect(exit.after).toBeLessThanOrEqual(40_000);
      expect([0, 1]).toContain(exit.code);
    }
    expect(exits.filter((e) => e.code === 0).length).toBeGreaterThan(20);
  });
});
