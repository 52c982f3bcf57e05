import { join, resolve } from 'node:path';
import { isValidQuantity, TaintEffect, type Taint } from '@flotilla/model';
import { DEFAULT_SIM_TIMINGS, type SimStage, type SimTimings } from '@flotilla/runtime';
import { ConfigError, intSetting, natsServers, numberSetting } from '@flotilla/service-kit';
import { fleetNodes, loadFleet, taintFromText } from './fleet.ts';
import type { HostedNodeConfig } from './node-registration.ts';
import { loadStages } from './stages-file.ts';
import { DEFAULT_LEASE_DURATION_S, DEFAULT_LEASE_RENEW_MS } from './lease-renewer.ts';
import { DEFAULT_CRASH_LOOP, type CrashLoopSettings } from './pod-worker.ts';

export type RuntimeChoice = 'sim' | 'process';
/** `auto` detects: netns as root with a working `ip netns`, else loopback. */
export type PodNetworkChoice = 'auto' | 'netns' | 'loopback';

export interface AgentConfig {
  nats: string;
  nodes: HostedNodeConfig[];
  /** sim: simulated containers (the default, for large simulations); process: real processes. */
  runtime: RuntimeChoice;
  /** The process runtime's state (sandboxes, container state, logs); absolute. */
  stateDir: string;
  podNetwork: PodNetworkChoice;
  /** `--remove-pods`: stop every pod the state dir holds for the hosted nodes, then exit (tearing a local cluster down). */
  removePods: boolean;
  sim: SimTimings;
  /** `--stages FILE`: the sim runtime's stages (empty: its timings alone). */
  stages: SimStage[];
  /** Where the nodes and the stages came from, when from files (logged at start). */
  files: { fleet?: string; stages?: string };
  seed: number;
  crashLoop: CrashLoopSettings;
  /** Node leases: each hosted node's lease is renewed every renewIntervalMs and counts for durationSeconds. */
  lease: { renewIntervalMs: number; durationSeconds: number };
}

/** Each setting: its flag and the environment variable read when the flag is absent. */
const SETTINGS = {
  nodes: ['nodes', 'FLOTILLA_NODES'],
  namePrefix: ['name-prefix', 'FLOTILLA_NODE_NAME_PREFIX'],
  name: ['name', 'FLOTILLA_NODE_NAME'],
  cpu: ['cpu', 'FLOTILLA_NODE_CPU'],
  memory: ['memory', 'FLOTILLA_NODE_MEMORY'],
  pods: ['pods', 'FLOTILLA_NODE_PODS'],
  labels: ['labels', 'FLOTILLA_NODE_LABELS'],
  taints: ['taints', 'FLOTILLA_NODE_TAINTS'],
  fleet: ['fleet', 'FLOTILLA_FLEET'],
  stages: ['stages', 'FLOTILLA_STAGES'],
  simSandboxMs: ['sim-sandbox-ms', 'FLOTILLA_SIM_SANDBOX_MS'],
  simStartMs: ['sim-start-ms', 'FLOTILLA_SIM_START_MS'],
  simInitMs: ['sim-init-ms', 'FLOTILLA_SIM_INIT_MS'],
  simStopMs: ['sim-stop-ms', 'FLOTILLA_SIM_STOP_MS'],
  simJitter: ['sim-jitter', 'FLOTILLA_SIM_JITTER'],
  seed: ['seed', 'FLOTILLA_SEED'],
  crashLoopBaseMs: ['crashloop-base-ms', 'FLOTILLA_CRASHLOOP_BASE_MS'],
  crashLoopMaxMs: ['crashloop-max-ms', 'FLOTILLA_CRASHLOOP_MAX_MS'],
  crashLoopResetMs: ['crashloop-reset-ms', 'FLOTILLA_CRASHLOOP_RESET_MS'],
  runtime: ['runtime', 'FLOTILLA_RUNTIME'],
  stateDir: ['state-dir', 'FLOTILLA_NODE_STATE_DIR'],
  podNetwork: ['pod-network', 'FLOTILLA_POD_NETWORK'],
  removePods: ['remove-pods', 'FLOTILLA_REMOVE_PODS'],
  leaseRenewMs: ['lease-renew-ms', 'FLOTILLA_LEASE_RENEW_MS'],
  leaseDurationS: ['lease-duration-s', 'FLOTILLA_LEASE_DURATION_S'],
} as const;

const RUNTIMES: readonly RuntimeChoice[] = ['sim', 'process'];
const POD_NETWORKS: readonly PodNetworkChoice[] = ['auto', 'netns', 'loopback'];

type SettingName = keyof typeof SETTINGS;
/** What a fleet file describes instead: giving one of these with --fleet is a mistake, not an override. */
const NODE_SHAPE_SETTINGS: readonly SettingName[] = ['nodes', 'namePrefix', 'name', 'cpu', 'memory', 'pods', 'labels', 'taints'];
const KNOWN_FLAGS = new Set<string>(['nats', ...Object.values(SETTINGS).map(([flag]) => flag)]);

export function parseAgentConfig(flags: Map<string, string>, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  for (const flag of flags.keys()) if (!KNOWN_FLAGS.has(flag)) throw new ConfigError(`unknown flag --${flag}`);
  const raw = (name: SettingName): string | undefined => flags.get(SETTINGS[name][0]) ?? env[SETTINGS[name][1]];
  const label = (name: SettingName): string => `--${SETTINGS[name][0]} / ${SETTINGS[name][1]}`;

  const fleetFile = nonEmpty(label('fleet'), raw('fleet'));
  let nodes: HostedNodeConfig[];
  if (fleetFile !== undefined) {
    const given = NODE_SHAPE_SETTINGS.filter((name) => raw(name) !== undefined);
    if (given.length > 0) {
      throw new ConfigError(`${label('fleet')} describes every hosted node: it cannot be combined with ${given.map(label).join(', ')} (put them in the fleet file)`);
    }
    nodes = fleetNodes(loadFleet(resolve(fleetFile)));
  } else {
    nodes = flagNodes(flags, raw, label);
  }

  const jitter = numberSetting(label('simJitter'), raw('simJitter'), DEFAULT_SIM_TIMINGS.jitter, 0);
  if (jitter > 1) throw new ConfigError(`${label('simJitter')} must be within 0..1, got ${jitter}`);
  const crashLoop = {
    baseMs: intSetting(label('crashLoopBaseMs'), raw('crashLoopBaseMs'), DEFAULT_CRASH_LOOP.baseMs, 1),
    maxMs: intSetting(label('crashLoopMaxMs'), raw('crashLoopMaxMs'), DEFAULT_CRASH_LOOP.maxMs, 1),
    resetAfterMs: intSetting(label('crashLoopResetMs'), raw('crashLoopResetMs'), DEFAULT_CRASH_LOOP.resetAfterMs, 1),
  };
  if (crashLoop.maxMs < crashLoop.baseMs) throw new ConfigError(`${label('crashLoopMaxMs')} must be >= ${label('crashLoopBaseMs')}`);

  const lease = {
    renewIntervalMs: intSetting(label('leaseRenewMs'), raw('leaseRenewMs'), DEFAULT_LEASE_RENEW_MS, 1),
    durationSeconds: intSetting(label('leaseDurationS'), raw('leaseDurationS'), DEFAULT_LEASE_DURATION_S, 1),
  };
  // A lease renewed only after it ran out would let every node flap to NotReady between renewals.
  if (lease.renewIntervalMs >= lease.durationSeconds * 1000) {
    throw new ConfigError(`${label('leaseRenewMs')} (${lease.renewIntervalMs} ms) must be shorter than ${label('leaseDurationS')} (${lease.durationSeconds} s)`);
  }

  const runtime = choice(label('runtime'), raw('runtime'), RUNTIMES, 'sim');
  const stagesFile = nonEmpty(label('stages'), raw('stages'));
  if (stagesFile !== undefined && runtime !== 'sim') throw new ConfigError(`${label('stages')} drives simulated pods: it needs --runtime sim, got ${runtime}`);
  const stages = stagesFile === undefined ? [] : loadStages(resolve(stagesFile), label('stages'));
  const podNetwork = choice(label('podNetwork'), raw('podNetwork'), POD_NETWORKS, 'auto');
  const stateDirRaw = raw('stateDir');
  if (stateDirRaw !== undefined && stateDirRaw.trim() === '') throw new ConfigError(`${label('stateDir')}: expected a directory, got an empty value`);
  // Relative to where the agent was started, like FLOTILLA_DATA_DIR; kept absolute so shims can find it.
  const stateDir = resolve(stateDirRaw ?? join(env.FLOTILLA_DATA_DIR || '.data', 'node-agent'));

  return {
    nats: natsServers(flags),
    nodes,
    runtime,
    stateDir,
    podNetwork,
    removePods: choice(label('removePods'), raw('removePods'), ['true', 'false'] as const, 'false') === 'true',
    sim: {
      sandboxMs: intSetting(label('simSandboxMs'), raw('simSandboxMs'), DEFAULT_SIM_TIMINGS.sandboxMs),
      containerStartMs: intSetting(label('simStartMs'), raw('simStartMs'), DEFAULT_SIM_TIMINGS.containerStartMs),
      initRunMs: intSetting(label('simInitMs'), raw('simInitMs'), DEFAULT_SIM_TIMINGS.initRunMs),
      stopMs: intSetting(label('simStopMs'), raw('simStopMs'), DEFAULT_SIM_TIMINGS.stopMs),
      jitter,
    },
    stages,
    files: { ...(fleetFile !== undefined ? { fleet: resolve(fleetFile) } : {}), ...(stagesFile !== undefined ? { stages: resolve(stagesFile) } : {}) },
    seed: intSetting(label('seed'), raw('seed'), 1),
    crashLoop,
    lease,
  };
}

/** `--nodes`, `--cpu`, ...: N nodes of one shape. */
function flagNodes(flags: Map<string, string>, raw: (name: SettingName) => string | undefined, label: (name: SettingName) => string): HostedNodeConfig[] {
  const cpu = raw('cpu') ?? '4';
  const memory = raw('memory') ?? '8Gi';
  if (!isValidQuantity(cpu)) throw new ConfigError(`${label('cpu')}: invalid quantity ${JSON.stringify(cpu)}`);
  if (!isValidQuantity(memory)) throw new ConfigError(`${label('memory')}: invalid quantity ${JSON.stringify(memory)}`);
  const pods = intSetting(label('pods'), raw('pods'), 110, 1);
  const labels = parseLabels(raw('labels') ?? '', label('labels'));
  const taints = parseTaints(raw('taints') ?? '', label('taints'));

  const single = raw('name');
  const count = intSetting(label('nodes'), raw('nodes'), 1, 1);
  if (single !== undefined && flags.has('nodes') && count !== 1) throw new ConfigError('--name hosts one node: it cannot be combined with --nodes > 1');
  const prefix = raw('namePrefix') ?? 'node';
  const names = single !== undefined ? [single] : Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
  // One capacity object for all: 10,000 nodes need not carry 10,000 copies.
  const capacity = { cpu, memory, pods: String(pods) };
  return names.map((name, i) => ({ name, index: i + 1, capacity, labels, taints }));
}

function nonEmpty(setting: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.trim() === '' || raw === 'true') throw new ConfigError(`${setting}: expected a file, got ${raw === 'true' ? 'no value' : 'an empty value'}`);
  return raw;
}

function choice<T extends string>(setting: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined || raw === '') return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${setting} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
}

/** `k=v,k2=v2` */
export function parseLabels(text: string, setting = '--labels'): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${setting}: expected key=value, got ${JSON.stringify(part)}`);
    labels[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return labels;
}

/** `k=v:NoSchedule,k2:NoExecute` (kubectl taint syntax). */
export function parseTaints(text: string, setting = '--taints'): Taint[] {
  const taints: Taint[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const taint = taintFromText(part);
    if (!taint) {
      const colon = part.lastIndexOf(':');
      const keyOnly = colon > 0 && TaintEffect.safeParse(part.slice(colon + 1)).success;
      throw new ConfigError(
        keyOnly ? `${setting}: a taint needs a key, got ${JSON.stringify(part)}` : `${setting}: expected key[=value]:NoSchedule|PreferNoSchedule|NoExecute, got ${JSON.stringify(part)}`,
      );
    }
    taints.push(taint);
  }
  return taints;
}
