// The controller's settings, from flags or the environment (flags win).
import { DEFAULT_EVICTION_RATE, DEFAULT_NODE_MONITOR_GRACE_MS, DEFAULT_NODE_STARTUP_GRACE_MS } from '@flotilla/controllers';
import { DEFAULT_TOLERATION_SECONDS } from '@flotilla/model';
import { ConfigError, intSetting, numberSetting } from '@flotilla/service-kit';

export interface ControllerConfig {
  nats: string;
  /** Replica name: the event source and the logs' `replica` field. */
  name: string;
  nodeMonitorGraceMs: number;
  nodeStartupGraceMs: number;
  /** Nodes tainted NoExecute (and so evicted) per second. */
  evictionRate: number;
  /** DefaultTolerationSeconds for the pods the ReplicaSet controller creates (the API's settings for the rest). */
  defaultNotReadyTolerationSeconds: number;
  defaultUnreachableTolerationSeconds: number;
  /** How often the controllers run when nothing in the log changes (lease expiry, toleration deadlines). */
  syncPeriodMs: number;
  /** 0: no /metrics endpoint. */
  metricsPort: number;
  metricsHost: string;
}

interface Setting {
  flag: string;
  env: string;
}

const S = {
  nats: { flag: 'nats', env: 'NATS_URL' },
  name: { flag: 'name', env: 'FLOTILLA_CONTROLLER_NAME' },
  grace: { flag: 'node-monitor-grace-ms', env: 'FLOTILLA_NODE_MONITOR_GRACE_MS' },
  startup: { flag: 'node-startup-grace-ms', env: 'FLOTILLA_NODE_STARTUP_GRACE_MS' },
  rate: { flag: 'eviction-rate', env: 'FLOTILLA_EVICTION_RATE' },
  notReady: { flag: 'default-not-ready-toleration-seconds', env: 'FLOTILLA_DEFAULT_NOT_READY_TOLERATION_SECONDS' },
  unreachable: { flag: 'default-unreachable-toleration-seconds', env: 'FLOTILLA_DEFAULT_UNREACHABLE_TOLERATION_SECONDS' },
  sync: { flag: 'sync-period-ms', env: 'FLOTILLA_CONTROLLER_SYNC_PERIOD_MS' },
  metricsPort: { flag: 'metrics-port', env: 'FLOTILLA_CONTROLLER_METRICS_PORT' },
  metricsHost: { flag: 'metrics-host', env: 'FLOTILLA_CONTROLLER_METRICS_HOST' },
} satisfies Record<string, Setting>;

const KNOWN_FLAGS = new Set(Object.values(S).map((s) => s.flag));

export function parseControllerConfig(flags: Map<string, string>, env: NodeJS.ProcessEnv = process.env): ControllerConfig {
  for (const flag of flags.keys()) {
    if (!KNOWN_FLAGS.has(flag)) throw new ConfigError(`unknown flag --${flag} (known: ${[...KNOWN_FLAGS].map((f) => `--${f}`).join(', ')})`);
  }
  const raw = (s: Setting): string | undefined => flags.get(s.flag) ?? env[s.env];
  const label = (s: Setting): string => `--${s.flag} / ${s.env}`;
  return {
    nats: raw(S.nats) || 'nats://127.0.0.1:4222',
    name: raw(S.name) || 'controller',
    nodeMonitorGraceMs: intSetting(label(S.grace), raw(S.grace), DEFAULT_NODE_MONITOR_GRACE_MS, 1),
    nodeStartupGraceMs: intSetting(label(S.startup), raw(S.startup), DEFAULT_NODE_STARTUP_GRACE_MS, 1),
    evictionRate: numberSetting(label(S.rate), raw(S.rate), DEFAULT_EVICTION_RATE, 0),
    defaultNotReadyTolerationSeconds: intSetting(label(S.notReady), raw(S.notReady), DEFAULT_TOLERATION_SECONDS, 0),
    defaultUnreachableTolerationSeconds: intSetting(label(S.unreachable), raw(S.unreachable), DEFAULT_TOLERATION_SECONDS, 0),
    syncPeriodMs: intSetting(label(S.sync), raw(S.sync), 1_000, 10),
    metricsPort: intSetting(label(S.metricsPort), raw(S.metricsPort), 0),
    metricsHost: raw(S.metricsHost) || '127.0.0.1',
  };
}
