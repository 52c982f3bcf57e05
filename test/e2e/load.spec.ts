import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkload, runWorkload, type RunResult } from '@flotilla/loadgen';

const SMALL = resolve(dirname(fileURLToPath(import.meta.url)), '../../bench/workloads/small.yaml');

// The small workload end to end (200 nodes, 200 unmeasured + 2,000 measured pods) on a cluster the
// runner starts and stops itself. Correctness only: nothing here depends on how fast it went.
describe('flotilla load: the small workload end to end', () => {
  const workload = loadWorkload(SMALL);
  const measured = workload.phases.filter((p) => p.measure).reduce((n, p) => n + p.pods.count, 0);
  const all = workload.phases.reduce((n, p) => n + p.pods.count, 0);
  let out: string;
  let result: RunResult;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'flotilla-load-e2e-'));
    result = await runWorkload(workload, { quiet: true, out });
  }, (workload.timeoutSeconds + 120) * 1000);

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('creates, binds and runs every workload pod, each bound by exactly one accepted binding', () => {
    const { summary, loadgen } = result;
    expect(measured).toBe(2_000);
    expect(loadgen.timedOut).toBe(false);
    for (const phase of loadgen.phases) expect(phase, phase.name).toMatchObject({ completed: true, created: phase.requested });
    expect(summary.pods).toEqual({ created: measured, bound: measured, running: measured, pending: 0 });
    // The fold accepts at most one binding per pod (a second is rejected as AlreadyBound), so as many
    // accepted bindings as bound pods means each pod was bound once; conflicts show as rejections.
    expect(summary.bindings.accepted).toBe(measured);
    expect(summary.bindings.rejected).toBeGreaterThanOrEqual(summary.bindings.duplicates ?? 0);
    expect(summary.schedulingLatency.count).toBe(measured);
    expect(summary.startupLatency.count).toBe(measured);
  });

  it('places every pod of the run on a registered node without going over any node capacity', () => {
    const { nodes } = result.summary;
    expect(nodes.count).toBe(workload.cluster.nodes);
    expect(nodes.perNode.reduce((n, node) => n + node.pods, 0)).toBe(all);
    for (const node of nodes.perNode) {
      expect(node.cpu, node.name).toBeGreaterThanOrEqual(0);
      expect(node.cpu, node.name).toBeLessThanOrEqual(1);
      expect(node.pods, node.name).toBeLessThanOrEqual(workload.cluster.node.pods);
    }
    expect(nodes.cpuUtilisation.max).toBeLessThanOrEqual(1);
  });

  it('measures the JetStream limit in the same run and writes JSON and HTML reports that agree with the result', async () => {
    const { meta, reportFiles, summary } = result;
    expect(meta.workload).toBe(workload.name);
    expect(meta.limit).toMatchObject({ count: expect.any(Number) as number, inFlight: expect.any(Number) as number });
    expect(meta.limit!.appendsPerSecond).toBeGreaterThan(0);
    expect(meta.eventsPerPodOnCriticalPath).toBeGreaterThan(0);

    expect(reportFiles.json).toBeDefined();
    expect(reportFiles.html).toBeDefined();
    expect(reportFiles.json!.startsWith(out)).toBe(true);
    const report = JSON.parse(await readFile(reportFiles.json!, 'utf8')) as {
      meta: { workload: string; limit?: unknown };
      limitRatio?: number;
      summary: { pods: unknown; bindings: unknown };
    };
    expect(report.meta.workload).toBe(workload.name);
    expect(report.meta.limit).toEqual(meta.limit);
    expect(report.limitRatio).toBeGreaterThan(0);
    expect(report.summary.pods).toEqual(summary.pods);
    expect(report.summary.bindings).toEqual(summary.bindings);

    const html = await readFile(reportFiles.html!, 'utf8');
    expect(html).toMatch(/<html/i);
    expect(html).toContain('<svg');
    expect(html).toContain('</html>');
  });
});
