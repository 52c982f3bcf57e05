import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@flotilla/testkit';
import { FAST_SIM, podManifest, startTestCluster, type PodJson, type TestCluster } from './support/test-cluster.ts';

// cordon, uncordon and drain through the real CLI binary against the real services.

const run = promisify(execFile);
const CLI = resolve(import.meta.dirname, '../../services/cli/src/main.ts');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('cordon and drain with the CLI', () => {
  let t: TestCluster;

  async function flotilla(...args: string[]): Promise<CliResult> {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, FLOTILLA_SERVER: t.cluster.apiUrl }, timeout: 90_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  }

  const active = (pods: PodJson[]) => pods.filter((p) => p.metadata.deletionTimestamp === undefined && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded');

  beforeAll(async () => {
    t = await startTestCluster({ nodes: 3, nodeAgentArgs: FAST_SIM });
    await waitFor(async () => (await t.api.nodes()).length === 3, 20_000);
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('cordons a node, drains another onto the rest, refuses an unmanaged pod without --force, and uncordons', async () => {
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'drained' },
      spec: { replicas: 6, selector: { matchLabels: { app: 'drained' } }, template: { metadata: { labels: { app: 'drained' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'x' }] } } },
    };
    expect((await t.api.request('POST', '/apis/apps/v1/namespaces/default/replicasets', rs)).status).toBe(201);
    await waitFor(async () => active(await t.api.pods()).filter((p) => p.status?.phase === 'Running').length === 6, 30_000);

    const cordon = await flotilla('cordon', 'node-1');
    expect(cordon).toMatchObject({ code: 0, stdout: 'node/node-1 cordoned\n' });
    expect((await flotilla('get', 'nodes')).stdout).toMatch(/node-1\s+Ready,SchedulingDisabled/);

    const drain = await flotilla('drain', 'node-2', '--timeout', '60s');
    expect(drain.code, drain.stderr).toBe(0);
    expect(drain.stdout).toContain('node/node-2 drained');
    // Every replacement went to node-3: node-1 is cordoned, node-2 cordoned by the drain.
    await waitFor(async () => {
      const pods = active(await t.api.pods());
      return pods.length === 6 && pods.every((p) => p.spec.nodeName === 'node-3' || (p.spec.nodeName === 'node-1' && p.status?.phase === 'Running'));
    }, 30_000);
    expect(active(await t.api.pods()).some((p) => p.spec.nodeName === 'node-2')).toBe(false);

    expect((await t.api.createPod(podManifest('bare', { nodeName: 'node-3', containers: [{ name: 'c', image: 'x' }] }))).status).toBe(201);
    await t.api.waitForPod('bare', (p) => p.status?.phase === 'Running', 20_000);
    const refused = await flotilla('drain', 'node-3', '--timeout', '30s');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('cannot delete Pods that declare no controller (use --force to override): default/bare');
    expect((await t.api.pod('bare')).metadata.deletionTimestamp).toBeUndefined();

    expect(await flotilla('uncordon', 'node-1')).toMatchObject({ code: 0, stdout: 'node/node-1 uncordoned\n' });
    expect((await flotilla('get', 'nodes')).stdout).not.toMatch(/node-1\s+Ready,SchedulingDisabled/);
  });
});
