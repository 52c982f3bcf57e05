import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Io } from './context.ts';
import { simAgentArgs, simCommand } from './sim.ts';

/** A child process that prints what the test writes and exits when killed. */
class FakeAgent extends EventEmitter {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly signals: string[] = [];

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.signals.push(signal);
    return true;
  }

  log(record: Record<string, unknown>): void {
    this.stdout.write(`${JSON.stringify({ time: '2026-01-01T00:00:00.000Z', level: 'info', service: 'node-agent', ...record })}\n`);
  }

  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.exitCode = code;
    this.signalCode = signal;
    // Output first, as a real process's pipes close before 'exit' is seen.
    setImmediate(() => this.emit('exit', code, signal));
  }
}

interface Harness {
  agent: FakeAgent;
  spawned: string[][];
  out: string[];
  err: string[];
  abort: AbortController;
  /** Runs `flotilla sim ARGS...`; resolves with the exit code once the command ends. */
  start(args: string[]): Promise<number>;
}

function harness(env: Record<string, string | undefined> = {}): Harness {
  const agent = new FakeAgent();
  const spawned: string[][] = [];
  const out: string[] = [];
  const err: string[] = [];
  const abort = new AbortController();
  const io: Io = { out: (text) => void out.push(text), err: (text) => void err.push(text) };
  return {
    agent,
    spawned,
    out,
    err,
    abort,
    async start(args) {
      let pending: Promise<number> | undefined;
      const command = simCommand(io, (code) => (pending = code), {
        signal: abort.signal,
        env,
        cwd: '/home/me',
        spawnAgent: (agentArgs) => {
          spawned.push(agentArgs);
          return agent as unknown as ChildProcess;
        },
      });
      for (const each of [command, ...command.commands]) {
        each.exitOverride().configureOutput({ writeOut: (text) => void out.push(text), writeErr: (text) => void err.push(text) });
      }
      await command.parseAsync(args, { from: 'user' });
      return pending!;
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('flotilla sim nodes: the node agent it runs', () => {
  it('--count N hosts sim-1..N on the sim runtime; files become absolute; agent flags pass after --', () => {
    expect(simAgentArgs({ count: 5 }, [], {}, '/w')).toEqual(['--nats', 'nats://127.0.0.1:4222', '--runtime', 'sim', '--nodes', '5', '--name-prefix', 'sim']);
    expect(simAgentArgs({ fleet: 'bench/fleets/small.yaml', stages: '/abs/s.yaml', seed: 7, nats: 'nats://n:1' }, ['--lease-renew-ms', '500'], { NATS_URL: 'nats://env:2' }, '/w')).toEqual([
      '--nats', 'nats://n:1', '--runtime', 'sim', '--fleet', '/w/bench/fleets/small.yaml', '--stages', '/abs/s.yaml', '--seed', '7', '--lease-renew-ms', '500',
    ]);
    expect(simAgentArgs({ count: 1, namePrefix: 'edge' }, [], { NATS_URL: 'nats://env:2' }, '/w').slice(0, 2)).toEqual(['--nats', 'nats://env:2']);
  });

  it('refuses --count with --fleet, and neither (exit 2, nothing started)', async () => {
    const both = harness();
    expect(await both.start(['nodes', '--count', '3', '--fleet', 'f.yaml'])).toBe(2);
    expect(both.err.join('')).toBe('flotilla sim nodes: --fleet describes every node: it cannot be combined with --count or --name-prefix\n');
    const neither = harness();
    expect(await neither.start(['nodes'])).toBe(2);
    expect(neither.err.join('')).toContain('say how many nodes: --count N, or --fleet FILE');
    expect([...both.spawned, ...neither.spawned]).toEqual([]);
    await expect(harness().start(['nodes', '--count', '0'])).rejects.toThrow(/expected a whole number >= 1/);
  });

  it('prints what registered and how fast, then runs until Ctrl-C stops the agent once (exit 0)', async () => {
    const h = harness();
    const done = h.start(['nodes', '--fleet', 'bench/fleets/small.yaml', '--seed', '3', '--', '--lease-renew-ms', '2000']);
    await tick();
    expect(h.spawned).toEqual([['--nats', 'nats://127.0.0.1:4222', '--runtime', 'sim', '--fleet', '/home/me/bench/fleets/small.yaml', '--seed', '3', '--lease-renew-ms', '2000']]);
    h.agent.log({ msg: 'registering nodes', nodes: 12, foldedEvents: 0, foldMs: 3, fleet: '/home/me/bench/fleets/small.yaml', groups: { worker: 9, gpu: 3 }, zones: { 'zone-a': 4 }, instanceTypes: {}, tainted: 3 });
    h.agent.log({ msg: 'nodes registered', nodes: 12, new: 12, reRegistered: 0, unchanged: 0, durationMs: 1500, nodesPerSecond: 8 });
    h.agent.log({ level: 'warn', msg: 'could not renew node leases; retrying at their next turn', error: { name: 'X', message: 'down' } });
    h.agent.log({ msg: 'node agent running', nodes: 12, leaseRenewMs: 2000 });
    h.agent.log({ msg: 'something routine' });
    await tick();
    expect(h.out.join('')).toBe(
      'registering 12 simulated nodes from /home/me/bench/fleets/small.yaml (the log held 0 events, folded in 3 ms)\n' +
        '  groups: worker 9, gpu 3\n' +
        '  zones: zone-a 4\n' +
        '  tainted: 3\n' +
        '12 nodes registered in 1.50 s (8 nodes/s): 12 new, 0 re-registered, 0 unchanged\n' +
        'running: leases renewed every 2.0 s. Ctrl-C stops the nodes.\n',
    );
    expect(h.err.join('')).toBe('warn: could not renew node leases; retrying at their next turn: {"name":"X","message":"down"}\n');

    h.abort.abort();
    h.abort.abort();
    expect(h.agent.signals).toEqual(['SIGTERM']);
    h.agent.exit(0);
    expect(await done).toBe(0);
  });

  it('an agent that fails on its own passes its message and exit code on', async () => {
    const h = harness();
    const done = h.start(['nodes', '--count', '2']);
    await tick();
    h.agent.stderr.write('flotilla node-agent: --stages / FLOTILLA_STAGES: cannot read /x.yaml: ENOENT\n');
    await tick();
    h.agent.exit(1);
    expect(await done).toBe(1);
    expect(h.err.join('')).toBe('flotilla node-agent: --stages / FLOTILLA_STAGES: cannot read /x.yaml: ENOENT\n');
    expect(h.agent.signals).toEqual([]);
  });
});
