import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamEventLog } from '@flotilla/eventlog';
import { LeaseStore, connectLeases } from '@flotilla/leases';
import { LiveProjection } from '@flotilla/service-kit';
import { startNatsServer, waitFor, type RunningNatsServer } from '@flotilla/testkit';
import { fleetNodes, loadFleet } from './fleet.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const FLEET = join(REPO, 'bench/fleets/small.yaml');

/** The real agent (main.ts) in a process of its own, with its JSON log lines collected. */
function startAgent(args: string[]): { child: ChildProcess; lines: Array<Record<string, unknown>>; output: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'services/node-agent/src/main.ts'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  const output: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    output.push(text);
    try {
      lines.push(JSON.parse(text) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  });
  createInterface({ input: child.stderr! }).on('line', (text) => output.push(text));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, lines, output, exited };
}

let server: RunningNatsServer;

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await server?.stop();
});

describe('node agent with a fleet file', () => {
  it('registers every node of the fleet with its labels, capacity and taints, renews their leases, and finds them unchanged after a restart', async () => {
    const expected = fleetNodes(loadFleet(FLEET));
    const args = ['--fleet', FLEET, '--nats', server.url, '--lease-renew-ms', '500', '--lease-duration-s', '5'];
    const first = startAgent(args);
    const log = await JetStreamEventLog.connect({ servers: server.url, name: 'fleet-spec' });
    const projection = new LiveProjection(log);
    const leaseConnection = await connectLeases({ servers: server.url, name: 'fleet-spec-leases' });
    try {
      await waitFor(() => first.lines.some((l) => l.msg === 'node agent running'), 60_000, { description: `agent output:\n${first.output.join('\n')}` });
      expect(first.lines.find((l) => l.msg === 'nodes registered')).toMatchObject({ nodes: expected.length, new: expected.length, unchanged: 0 });
      expect(first.lines.find((l) => l.msg === 'registering nodes')).toMatchObject({ fleet: FLEET, groups: { worker: 9, gpu: 3 }, tainted: 3 });

      await projection.start();
      const nodes = projection.state.nodes;
      expect([...nodes.keys()].sort()).toEqual(expected.map((n) => n.name).sort());
      for (const config of expected) {
        const node = nodes.get(config.name)!.node;
        expect(node.metadata.labels).toMatchObject({ ...config.labels, 'kubernetes.io/hostname': config.name, 'node.flotilla.io/runtime': 'sim' });
        expect(node.status.capacity).toEqual(config.capacity);
        expect(node.spec.taints ?? []).toEqual(config.taints);
      }
      expect(nodes.get('worker-2')?.node.metadata.labels).toMatchObject({ 'topology.kubernetes.io/zone': 'zone-b', 'node.kubernetes.io/instance-type': 'm5.xlarge', 'node.flotilla.io/group': 'worker' });
      expect(nodes.get('gpu-1')?.node.spec.taints).toEqual([{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]);

      const leases = await LeaseStore.open(leaseConnection);
      await waitFor(async () => (await Promise.all(expected.map((n) => leases.get(n.name)))).every((lease) => lease !== undefined), 10_000);

      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      const eventsBefore = await log.lastSequence();

      const second = startAgent(args);
      try {
        await waitFor(() => second.lines.some((l) => l.msg === 'node agent running'), 60_000, { description: `agent output:\n${second.output.join('\n')}` });
        expect(second.lines.find((l) => l.msg === 'nodes registered')).toMatchObject({ nodes: expected.length, new: 0, reRegistered: 0, unchanged: expected.length });
        expect(await log.lastSequence()).toBe(eventsBefore);
      } finally {
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      }
    } finally {
      first.child.kill('SIGKILL');
      await projection.stop();
      await leaseConnection.close();
      await log.close();
    }
  }, 120_000);

  it('refuses a fleet combined with --nodes before connecting anywhere', async () => {
    const agent = startAgent(['--fleet', FLEET, '--nodes', '3', '--nats', server.url]);
    expect(await agent.exited).toBe(1);
    expect(agent.output.join('\n')).toContain('flotilla node-agent: --fleet / FLOTILLA_FLEET describes every hosted node: it cannot be combined with --nodes / FLOTILLA_NODES');
  }, 60_000);
});
