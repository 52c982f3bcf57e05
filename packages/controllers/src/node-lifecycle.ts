import { msgIdFor, type DomainEvent, type NodeEvictionTaintAdded, type PodEvicted } from '@flotilla/events';
import { TAINT_NODE_UNREACHABLE, type Taint, type Toleration } from '@flotilla/model';
import { NODE_STATUS_UNKNOWN_MESSAGE, podsOnNode, type ClusterState, type NodeRecord, type PodRecord } from '@flotilla/state';
import type { EvictionRateLimiter } from './eviction-rate-limiter.ts';

// Kubernetes' node lifecycle controller and its taint-based eviction, as pure decisions over the fold and
// the node leases: a node whose lease lapses is marked unreachable (Ready=Unknown, NoSchedule taint), then
// tainted NoExecute at the eviction rate limiter's pace; the pods there that do not tolerate the taint
// long enough are evicted. A lease renewed in time marks the node reachable again, which removes both
// taints and so cancels the evictions still waiting. Kubernetes' zone states (a lower rate, or none,
// when most of a zone is down) are not modelled: one rate for the whole cluster.

/** Kubernetes' defaults: --node-monitor-grace-period (50 s since v1.32), --node-startup-grace-period. */
export const DEFAULT_NODE_MONITOR_GRACE_MS = 50_000;
export const DEFAULT_NODE_STARTUP_GRACE_MS = 60_000;
/** --node-eviction-rate: nodes tainted NoExecute per second. */
export const DEFAULT_EVICTION_RATE = 0.1;

export const NODE_LOST_REASON = 'NodeLost';

/** What the controller needs of a node's lease (packages/leases NodeLease). */
export interface NodeLeaseView {
  renewTime: string;
  /**
   * When this controller saw that renewTime arrive (ms, its own clock). Kubernetes judges a node by
   * this probe time, not by the node's clock: skew between machines, or a lag in the lease feed,
   * then cannot make a live node look dead. Absent: renewTime is taken as it is.
   */
  observedAt?: number;
}

export interface NodeLifecycleOptions {
  /** A lease older than this marks its node unreachable. */
  gracePeriodMs: number;
  /** A node that has never renewed a lease gets this long from its registration. */
  startupGraceMs: number;
  /** Paces the NoExecute taints (and so the evictions), across calls. */
  evictionLimiter: EvictionRateLimiter;
  /**
   * When this controller began watching leases, or got its lease feed back after losing it (ms). Every
   * node gets a full grace period from then, as Kubernetes' controller starts its probe clock when it
   * first sees a node: nodes could not renew (or be seen renewing) while nobody was watching.
   */
  observingSince?: number;
  /** Message ids of decisions appended but not folded yet: a taint in flight does not take a second token. */
  inFlight?: ReadonlySet<string>;
}

/** Kubernetes' message for a pod lost with its node (pkg/controller/util/node). */
export function nodeLostMessage(nodeName: string, podName: string): string {
  return `Node ${nodeName} which was running pod ${podName} is unresponsive`;
}

/**
 * The node lifecycle decisions at `now` (ms): NodeMarkedUnreachable, NodeMarkedReachable,
 * NodeEvictionTaintAdded (at most what the limiter allows, oldest lapse first) and PodEvicted.
 */
export function decideNodeLifecycle(
  state: ClusterState,
  leases: ReadonlyMap<string, NodeLeaseView>,
  now: number,
  options: NodeLifecycleOptions,
): DomainEvent[] {
  const events: DomainEvent[] = [];
  const awaitingTaint: NodeRecord[] = [];
  const comingBack = new Set<string>();
  for (const record of state.nodes.values()) {
    const name = record.node.metadata.name;
    const lease = leases.get(name);
    const unreachable = record.unreachable;
    if (unreachable === undefined) {
      if (now > healthDeadline(record, lease, options)) {
        events.push({
          type: 'NodeMarkedUnreachable',
          data: { name, ...(lease ? { leaseRenewTime: lease.renewTime } : {}), message: NODE_STATUS_UNKNOWN_MESSAGE },
        });
      }
      continue;
    }
    if (lease && isRenewedSince(lease, unreachable.leaseRenewTime) && now - leaseSeenAt(lease) <= options.gracePeriodMs) {
      events.push({ type: 'NodeMarkedReachable', data: { name, leaseRenewTime: lease.renewTime } });
      comingBack.add(name);
      continue;
    }
    if (unreachable.evictionTaintAddedAt === undefined && evictionTaint(record) === undefined) awaitingTaint.push(record);
  }

  // FIFO by when the nodes became unreachable; one token per node.
  awaitingTaint.sort((a, b) => compareTimes(a.unreachable?.since, b.unreachable?.since) || (a.node.metadata.name < b.node.metadata.name ? -1 : 1));
  for (const record of awaitingTaint) {
    const event: NodeEvictionTaintAdded = {
      type: 'NodeEvictionTaintAdded',
      data: { name: record.node.metadata.name, ...(record.unreachable?.leaseRenewTime !== undefined ? { leaseRenewTime: record.unreachable.leaseRenewTime } : {}) },
    };
    if (options.inFlight?.has(msgIdFor(event))) continue;
    if (!options.evictionLimiter.tryTake(now)) break;
    events.push(event);
  }

  for (const record of state.nodes.values()) {
    const name = record.node.metadata.name;
    if (comingBack.has(name)) continue;
    const taint = evictionTaint(record);
    if (!taint) continue;
    const taintedAt = Date.parse(taint.timeAdded ?? record.unreachable?.evictionTaintAddedAt ?? '');
    for (const pod of podsOnNode(state, name)) {
      if (!isEvictable(pod, name)) continue;
      const evictAt = evictionTime(pod.pod.spec.tolerations, taint, taintedAt);
      if (evictAt !== undefined && now >= evictAt) events.push(podEvicted(pod, name));
    }
  }
  return events;
}

/** After this (ms) without a renewal the node is unreachable. */
function healthDeadline(record: NodeRecord, lease: NodeLeaseView | undefined, options: NodeLifecycleOptions): number {
  const created = Date.parse(record.node.metadata.creationTimestamp ?? '');
  const startup = Number.isNaN(created) ? Number.NEGATIVE_INFINITY : created + options.startupGraceMs;
  const watching = options.observingSince === undefined ? Number.NEGATIVE_INFINITY : options.observingSince + options.gracePeriodMs;
  if (lease) {
    // A node that has renewed its lease has reported: only the grace period applies (the startup
    // grace is for a node that never reported, as with the kubelet's first status).
    const seen = leaseSeenAt(lease);
    return Math.max(Number.isNaN(seen) ? startup : seen + options.gracePeriodMs, watching);
  }
  return Math.max(startup, watching);
}

/** The probe time of a lease: when the controller saw it, else its renewTime. */
function leaseSeenAt(lease: NodeLeaseView): number {
  return lease.observedAt ?? Date.parse(lease.renewTime);
}

function isRenewedSince(lease: NodeLeaseView, recorded: string | undefined): boolean {
  if (recorded === undefined) return true;
  return Date.parse(lease.renewTime) > Date.parse(recorded);
}

function compareTimes(a: string | undefined, b: string | undefined): number {
  const x = Date.parse(a ?? '');
  const y = Date.parse(b ?? '');
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) === Number.isNaN(y) ? 0 : Number.isNaN(x) ? 1 : -1;
  return x - y;
}

/** The node's `node.kubernetes.io/unreachable:NoExecute` taint, if it has one. */
export function evictionTaint(record: NodeRecord): Taint | undefined {
  return record.node.spec.taints?.find((t) => t.key === TAINT_NODE_UNREACHABLE && t.effect === 'NoExecute');
}

function isEvictable(pod: PodRecord, nodeName: string): boolean {
  const phase = pod.pod.status?.phase;
  return pod.nodeName === nodeName && pod.deletion === undefined && pod.evicted === undefined && phase !== 'Succeeded' && phase !== 'Failed';
}

/**
 * When (ms) a pod must leave a node tainted `taint` since `taintedAt`, as Kubernetes' taint manager
 * decides it: no matching toleration, at once; otherwise after the shortest tolerationSeconds of the
 * matching tolerations (<= 0: at once); undefined (never) when none of them sets tolerationSeconds.
 */
export function evictionTime(tolerations: readonly Toleration[] | undefined, taint: Taint, taintedAt: number): number | undefined {
  const matching = (tolerations ?? []).filter((t) => tolerationMatches(t, taint));
  const at = Number.isNaN(taintedAt) ? Number.NEGATIVE_INFINITY : taintedAt;
  if (matching.length === 0) return at;
  let seconds: number | undefined;
  for (const toleration of matching) {
    const s = toleration.tolerationSeconds;
    if (s === undefined || s === null) continue;
    if (s <= 0) return at;
    seconds = seconds === undefined ? s : Math.min(seconds, s);
  }
  return seconds === undefined ? undefined : at + seconds * 1000;
}

/** Kubernetes' Toleration.ToleratesTaint (the same rule as the scheduler's TaintToleration). */
function tolerationMatches(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== taint.effect) return false;
  if ((toleration.key ?? '') !== '' && toleration.key !== taint.key) return false;
  if ((toleration.operator ?? 'Equal') === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

function podEvicted(pod: PodRecord, nodeName: string): PodEvicted {
  const { namespace, name, uid } = pod.pod.metadata;
  return { type: 'PodEvicted', data: { namespace, name, uid, nodeName, reason: NODE_LOST_REASON, message: nodeLostMessage(nodeName, name) } };
}
