// The node agent's /metrics, under the kubelet's names where it has the metric: pods and containers
// running on the hosted nodes (read from the fold at scrape time), the pod start latency as this
// agent sees it, and the event-log families every service has.
import type { EventLog } from '@flotilla/eventlog';
import type { FlotillaRecord } from '@flotilla/events';
import {
  ConfigError,
  SLOW_DURATION_BUCKETS,
  createMetricsRegistry,
  intSetting,
  mirroredGauge,
  registerEventLogMetrics,
  type AppendObserver,
  type LiveProjection,
} from '@flotilla/service-kit';
import type { ClusterState, StateChange } from '@flotilla/state';
import { Histogram, type Registry } from 'prom-client';

export interface AgentMetricsConfig {
  /** 0: no /metrics endpoint. */
  port: number;
  host: string;
}

const PORT = { flag: 'metrics-port', env: 'FLOTILLA_NODE_METRICS_PORT' } as const;
const HOST = { flag: 'metrics-host', env: 'FLOTILLA_NODE_METRICS_HOST' } as const;

/**
 * Reads --metrics-port / FLOTILLA_NODE_METRICS_PORT (0 = off, the default) and --metrics-host /
 * FLOTILLA_NODE_METRICS_HOST (127.0.0.1), and removes the two flags from `flags`, so the agent's
 * own parser (which refuses unknown flags) never sees them.
 */
export function takeMetricsFlags(flags: Map<string, string>, env: NodeJS.ProcessEnv = process.env): AgentMetricsConfig {
  const port = intSetting(`--${PORT.flag} / ${PORT.env}`, flags.get(PORT.flag) ?? env[PORT.env], 0);
  if (port < 0 || port > 65_535) throw new ConfigError(`--${PORT.flag} / ${PORT.env} must be a port number (0 = off), got ${port}`);
  const host = flags.get(HOST.flag) ?? env[HOST.env] ?? '127.0.0.1';
  flags.delete(PORT.flag);
  flags.delete(HOST.flag);
  return { port, host: host === '' ? '127.0.0.1' : host };
}

export interface AgentMetricsOptions {
  /** The nodes this agent hosts. */
  nodeNames: readonly string[];
  projection: LiveProjection;
  /** With a log, the shared event-log families too. */
  log?: EventLog;
}

type ContainerStateLabel = 'running' | 'waiting' | 'exited';

interface HostedCounts {
  runningPods: number;
  containers: Record<ContainerStateLabel, number>;
}

function countHosted(state: ClusterState, hosted: ReadonlySet<string>): HostedCounts {
  const counts: HostedCounts = { runningPods: 0, containers: { running: 0, waiting: 0, exited: 0 } };
  for (const record of state.pods.values()) {
    if (record.nodeName === undefined || !hosted.has(record.nodeName) || record.released) continue;
    if (record.pod.status?.phase === 'Running') counts.runningPods++;
    for (const status of record.pod.status?.containerStatuses ?? []) {
      if (status.state?.running) counts.containers.running++;
      else if (status.state?.terminated) counts.containers.exited++;
      else if (status.state?.waiting) counts.containers.waiting++;
    }
  }
  return counts;
}

export class AgentMetrics {
  readonly registry: Registry;
  /** For instrumentAppends (absent without a log). */
  readonly observeAppend: AppendObserver | undefined;
  private readonly hosted: ReadonlySet<string>;
  private readonly podStart: Histogram;
  /** When this agent's fold saw each not-yet-running pod bound to a hosted node (monotonic ms). */
  private readonly boundAt = new Map<string, number>();

  constructor(options: AgentMetricsOptions) {
    this.hosted = new Set(options.nodeNames);
    const registry = (this.registry = createMetricsRegistry());
    const { projection } = options;
    // One pass over the fold per scrape, shared by the two gauges (collected in registration order).
    let counts: HostedCounts | undefined;
    mirroredGauge(registry, 'kubelet_running_pods', 'Number of pods in phase Running on the nodes this agent hosts.', [], () => {
      counts = countHosted(projection.state, this.hosted);
      return [[{}, counts.runningPods]];
    });
    mirroredGauge(registry, 'kubelet_running_containers', 'Number of containers on the nodes this agent hosts, by state (running, waiting, exited).', ['container_state'], () => {
      const { containers } = counts ?? countHosted(projection.state, this.hosted);
      counts = undefined;
      return (Object.keys(containers) as ContainerStateLabel[]).map((state) => [{ container_state: state }, containers[state]] as const);
    });
    mirroredGauge(registry, 'flotilla_node_agent_hosted_nodes', 'Nodes this agent hosts.', [], () => [[{}, this.hosted.size]]);
    this.podStart = new Histogram({
      name: 'kubelet_pod_start_duration_seconds',
      help: "Duration in seconds from this agent's fold seeing a pod bound to one of its nodes to seeing it Running.",
      buckets: SLOW_DURATION_BUCKETS,
      registers: [registry],
    });
    this.observeAppend = options.log
      ? registerEventLogMetrics(registry, { log: options.log, appliedSeq: () => projection.state.seq }).observeAppend
      : undefined;
  }

  /**
   * A LiveProjection listener; register it once the projection has started, so pods bound and
   * started in the replayed history are not timed. `nowMs` is a monotonic clock.
   */
  onApplied(_record: FlotillaRecord, changes: readonly StateChange[], nowMs: number): void {
    for (const change of changes) {
      if (change.kind !== 'Pod') continue;
      const nodeName = change.object.spec.nodeName;
      const phase = change.object.status?.phase;
      if (change.type === 'DELETED' || nodeName === undefined || !this.hosted.has(nodeName) || phase === 'Succeeded' || phase === 'Failed') {
        this.boundAt.delete(change.key);
      } else if (phase === 'Running') {
        const bound = this.boundAt.get(change.key);
        if (bound === undefined) continue;
        this.boundAt.delete(change.key);
        this.podStart.observe((nowMs - bound) / 1000);
      } else if (!this.boundAt.has(change.key)) {
        this.boundAt.set(change.key, nowMs);
      }
    }
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
