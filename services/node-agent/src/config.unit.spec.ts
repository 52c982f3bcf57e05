import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseFlags } from '@flotilla/service-kit';
import { parseAgentConfig, parseLabels, parseTaints } from './config.ts';

const parse = (args: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof parseAgentConfig> => parseAgentConfig(parseFlags(args), env);

describe('node agent settings', () => {
  it('defaults: one node `node-1` with 4 CPUs, 8Gi, 110 pods; kubelet back-off 10 s doubling to 300 s', () => {
    const config = parse([]);
    expect(config.nodes).toEqual([{ name: 'node-1', index: 1, capacity: { cpu: '4', memory: '8Gi', pods: '110' }, labels: {}, taints: [] }]);
    expect(config.crashLoop).toEqual({ baseMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 });
    expect(config.nats).toBe('nats://127.0.0.1:4222');
  });

  it('hosts N nodes named prefix-1..N, or one node by name; flags win over the environment', () => {
    expect(parse(['--nodes', '3', '--name-prefix', 'sim']).nodes.map((n) => n.name)).toEqual(['sim-1', 'sim-2', 'sim-3']);
    expect(parse(['--name', 'edge']).nodes.map((n) => n.name)).toEqual(['edge']);
    expect(parse([], { FLOTILLA_NODES: '2' }).nodes).toHaveLength(2);
    expect(parse(['--nodes', '1'], { FLOTILLA_NODES: '2' }).nodes).toHaveLength(1);
    expect(parse(['--nats', 'nats://x:1']).nats).toBe('nats://x:1');
  });

  it('reads capacity, labels, taints, sim timings, seed and back-off', () => {
    const config = parse([
      '--cpu', '8', '--memory', '16Gi', '--pods', '50',
      '--labels', 'zone=a,tier=web', '--taints', 'dedicated=batch:NoSchedule,gpu:NoExecute',
      '--sim-start-ms', '5', '--sim-init-ms', '7', '--sim-stop-ms', '9', '--sim-jitter', '0.5', '--seed', '42',
      '--crashloop-base-ms', '100', '--crashloop-max-ms', '1000',
    ]);
    expect(config.nodes[0]).toMatchObject({
      capacity: { cpu: '8', memory: '16Gi', pods: '50' },
      labels: { zone: 'a', tier: 'web' },
      taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }, { key: 'gpu', effect: 'NoExecute' }],
    });
    expect(config.sim).toMatchObject({ containerStartMs: 5, initRunMs: 7, stopMs: 9, jitter: 0.5 });
    expect(config.seed).toBe(42);
    expect(config.crashLoop).toMatchObject({ baseMs: 100, maxMs: 1000 });
  });

  it('runs the sim runtime by default; --runtime process with its state folder and pod network mode', () => {
    const defaults = parse([]);
    expect(defaults).toMatchObject({ runtime: 'sim', podNetwork: 'auto', stateDir: resolve('.data', 'node-agent') });
    expect(parse([], { FLOTILLA_DATA_DIR: '/var/lib/flotilla' }).stateDir).toBe('/var/lib/flotilla/node-agent');
    expect(parse(['--runtime', 'process', '--state-dir', 'run/state', '--pod-network', 'loopback'])).toMatchObject({
      runtime: 'process',
      stateDir: join(process.cwd(), 'run/state'),
      podNetwork: 'loopback',
    });
    expect(parse([], { FLOTILLA_RUNTIME: 'process', FLOTILLA_NODE_STATE_DIR: '/srv/agent', FLOTILLA_POD_NETWORK: 'netns' })).toMatchObject({
      runtime: 'process',
      stateDir: '/srv/agent',
      podNetwork: 'netns',
    });
    expect(parse(['--runtime', 'sim'], { FLOTILLA_RUNTIME: 'process' }).runtime).toBe('sim');
  });

  it('node leases: renewed every 10 s for 40 s by default (the kubelet\'s), both settable; renewal must come before expiry', () => {
    expect(parse([]).lease).toEqual({ renewIntervalMs: 10_000, durationSeconds: 40 });
    expect(parse(['--lease-renew-ms', '300', '--lease-duration-s', '2']).lease).toEqual({ renewIntervalMs: 300, durationSeconds: 2 });
    expect(parse([], { FLOTILLA_LEASE_RENEW_MS: '500', FLOTILLA_LEASE_DURATION_S: '3' }).lease).toEqual({ renewIntervalMs: 500, durationSeconds: 3 });
    expect(parse(['--lease-renew-ms', '250'], { FLOTILLA_LEASE_RENEW_MS: '500' }).lease.renewIntervalMs).toBe(250);
    expect(() => parse(['--lease-renew-ms', '0'])).toThrow('--lease-renew-ms / FLOTILLA_LEASE_RENEW_MS must be an integer >= 1, got "0"');
    expect(() => parse(['--lease-duration-s', '1.5'])).toThrow('--lease-duration-s / FLOTILLA_LEASE_DURATION_S must be an integer >= 1, got "1.5"');
    expect(() => parse(['--lease-renew-ms', '2000', '--lease-duration-s', '2'])).toThrow(
      '--lease-renew-ms / FLOTILLA_LEASE_RENEW_MS (2000 ms) must be shorter than --lease-duration-s / FLOTILLA_LEASE_DURATION_S (2 s)',
    );
  });

  it('names the setting in errors', () => {
    expect(() => parse(['--runtime', 'docker'])).toThrow('--runtime / FLOTILLA_RUNTIME must be one of sim, process, got "docker"');
    expect(() => parse([], { FLOTILLA_POD_NETWORK: 'host' })).toThrow(/--pod-network \/ FLOTILLA_POD_NETWORK must be one of auto, netns, loopback/);
    expect(() => parse(['--state-dir', ' '])).toThrow(/--state-dir/);
    expect(() => parse(['--cpu', 'lots'])).toThrow(/--cpu/);
    expect(() => parse(['--nodes', '0'])).toThrow(ConfigError);
    expect(() => parse(['--sim-jitter', '2'])).toThrow(/--sim-jitter/);
    expect(() => parse(['--crashloop-base-ms', '100', '--crashloop-max-ms', '10'])).toThrow(/crashloop-max-ms/);
    expect(() => parse(['--bogus', '1'])).toThrow(/--bogus/);
    expect(() => parseLabels('novalue')).toThrow(ConfigError);
    expect(() => parseTaints('k=v:Sometimes')).toThrow(ConfigError);
    expect(() => parseTaints('k=v')).toThrow(ConfigError);
  });
});

describe('fleet and stages files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-config-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const fleet = file('fleet.yaml', 'groups:\n  - { name: web, count: 2, zones: [a, b], capacity: { cpu: 2 } }\n  - { name: gpu, count: 1, taints: ["gpu:NoSchedule"] }\n');
  const stages = file('stages.yaml', 'stages:\n  - { name: pull, step: start, delayMs: 5000, jitterMs: 1000 }\n');

  it('--fleet / FLOTILLA_FLEET hosts every node of the file', () => {
    const config = parse(['--fleet', fleet]);
    expect(config.nodes.map((n) => n.name)).toEqual(['web-1', 'web-2', 'gpu-1']);
    expect(config.nodes[1]).toMatchObject({ index: 2, capacity: { cpu: '2', memory: '8Gi', pods: '110' }, labels: { 'topology.kubernetes.io/zone': 'b' } });
    expect(config.nodes[2]?.taints).toEqual([{ key: 'gpu', effect: 'NoSchedule' }]);
    expect(config.files).toEqual({ fleet });
    expect(parse([], { FLOTILLA_FLEET: fleet }).nodes).toHaveLength(3);
  });

  it('--stages / FLOTILLA_STAGES loads the sim runtime\'s stages; none by default', () => {
    expect(parse([]).stages).toEqual([]);
    expect(parse(['--stages', stages]).stages).toEqual([{ name: 'pull', step: 'start', selector: {}, delayMs: 5000, jitterMs: 1000, next: 'started', exitCode: 0 }]);
    expect(parse([], { FLOTILLA_STAGES: stages }).files).toEqual({ stages });
  });

  it('a fleet with node flags, or stages with the process runtime, is a ConfigError naming both', () => {
    expect(() => parse(['--fleet', fleet, '--nodes', '3'])).toThrow(
      new ConfigError('--fleet / FLOTILLA_FLEET describes every hosted node: it cannot be combined with --nodes / FLOTILLA_NODES (put them in the fleet file)'),
    );
    expect(() => parse(['--fleet', fleet, '--cpu', '8'], { FLOTILLA_NODE_LABELS: 'a=b' })).toThrow(/cannot be combined with --cpu \/ FLOTILLA_NODE_CPU, --labels \/ FLOTILLA_NODE_LABELS/);
    expect(() => parse(['--name', 'edge'], { FLOTILLA_FLEET: fleet })).toThrow(/--name \/ FLOTILLA_NODE_NAME/);
    expect(() => parse(['--stages', stages, '--runtime', 'process'])).toThrow('--stages / FLOTILLA_STAGES drives simulated pods: it needs --runtime sim, got process');
  });

  it('names the setting and the file in errors', () => {
    expect(() => parse(['--fleet'])).toThrow('--fleet / FLOTILLA_FLEET: expected a file, got no value');
    expect(() => parse([], { FLOTILLA_STAGES: ' ' })).toThrow('--stages / FLOTILLA_STAGES: expected a file, got an empty value');
    expect(() => parse(['--fleet', join(dir, 'nope.yaml')])).toThrow(ConfigError);
    const badFleet = file('bad-fleet.yaml', 'groups:\n  - { name: web, count: 1, capacity: { memory: lots } }\n');
    expect(() => parse(['--fleet', badFleet])).toThrow(`${badFleet}: invalid fleet:\n  groups[0].capacity.memory: expected a quantity such as 4, 500m or 32Gi`);
    const badStages = file('bad-stages.yaml', 'stages:\n  - { name: x, step: run, next: started }\n');
    expect(() => parse(['--stages', badStages])).toThrow(`--stages / FLOTILLA_STAGES: ${badStages}: invalid stages:\n  stages[0].next: step run can only go to running or exit`);
    expect(() => parse(['--stages', file('not-yaml.yaml', 'stages: [')])).toThrow(/--stages \/ FLOTILLA_STAGES: .* is not valid YAML/);
  });
});
