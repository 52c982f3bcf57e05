import {
  DEFAULT_EVICTION_RATE,
  DEFAULT_NODE_MONITOR_GRACE_MS,
  DEFAULT_NODE_STARTUP_GRACE_MS,
  EvictionRateLimiter,
  collectOrphans,
  decideNodeLifecycle,
  reconcileReplicaSet,
} from '@flotilla/controllers';
import type { EventLog } from '@flotilla/eventlog';
import { msgIdFor, type DomainEvent } from '@flotilla/events';
import { DEFAULT_TOLERATION_SECONDS } from '@flotilla/model';
import { appendWithRetry, type LiveProjection, type Logger } from '@flotilla/service-kit';

/** What the loop needs of a lease store (packages/leases LeaseStore): current leases, then every renewal. */
export interface LeaseFeed {
  watch(signal?: AbortSignal): AsyncIterable<{ nodeName: string; renewTime: string }>;
}

export interface ControllerLoopOptions {
  log: EventLog;
  projection: LiveProjection;
  logger: Logger;
  /** Node leases; without them the node lifecycle controller does not run (the ReplicaSet controller does). */
  leases?: LeaseFeed;
  /** False while the lease feed cannot be trusted (its connection is down): no node is judged then. */
  leasesHealthy?: () => boolean;
  /** Identity written as the event source; replicas get distinct names. */
  source?: string;
  now?: () => number;
  /** Runs the controllers this often even when the log is quiet (leases lapse, tolerations run out). Default 1 000 ms. */
  syncPeriodMs?: number;
  /** A change in the log runs them after this long, so that a burst of events makes one pass. Default 20 ms. */
  debounceMs?: number;
  nodeMonitorGraceMs?: number;
  nodeStartupGraceMs?: number;
  /** Nodes tainted NoExecute per second. */
  evictionRate?: number;
  defaultNotReadyTolerationSeconds?: number;
  defaultUnreachableTolerationSeconds?: number;
  burstReplicas?: number;
  /** How long one append is retried before the decision is dropped (made again on a later pass). Default 10 000 ms. */
  appendDeadlineMs?: number;
}

/** What the service counts, for /metrics. Counts are of events this replica stored (duplicates aside). */
export interface ControllerStats {
  syncs: number;
  podsCreated: number;
  podsDeleted: number;
  podsEvicted: number;
  nodesMarkedUnreachable: number;
  nodesMarkedReachable: number;
  evictionTaints: number;
  /** Decisions not stored because the log already held them (another replica, or a restarted one, made them first). */
  duplicates: number;
  /** PodCreated the fold ignored (the ReplicaSet was full by then, or the name taken): that uid is not proposed again. */
  creationsIgnored: number;
  errors: number;
  appendRetries: number;
}

/** Decisions of one pass appended and not yet acknowledged, at most. */
const APPENDS_IN_FLIGHT = 128;

interface Pending {
  event: DomainEvent;
  /** Stream sequence once the append returned. */
  seq?: number;
}

/**
 * The controller service's shell: runs the pure deciders of @flotilla/controllers over the fold (and the
 * node leases) on every change of the log, debounced, and every sync period, and appends what they
 * decide with deterministic message ids. A decision in flight is not appended again until the fold has
 * applied it. Correctness does not rest on this replica being alone: identical decisions are stored once
 * (Nats-Msg-Id) and the fold refuses a pod a ReplicaSet did not ask for.
 */
export class ControllerLoop {
  readonly stats: ControllerStats = {
    syncs: 0,
    podsCreated: 0,
    podsDeleted: 0,
    podsEvicted: 0,
    nodesMarkedUnreachable: 0,
    nodesMarkedReachable: 0,
    evictionTaints: 0,
    duplicates: 0,
    creationsIgnored: 0,
    errors: 0,
    appendRetries: 0,
  };
  /** The latest lease seen per node name. */
  /** The latest lease per node, with when this controller saw its renewTime arrive (its own clock). */
  readonly leases = new Map<string, { nodeName: string; renewTime: string; observedAt: number }>();
  private readonly pending = new Map<string, Pending>();
  /** PodCreated uids the log holds but the fold ignored (see ReplicaSetDecisionOptions.burnedUids). */
  private readonly burnedUids = new Set<string>();
  private readonly limiter: EvictionRateLimiter;
  private readonly now: () => number;
  private readonly source: string;
  private readonly abort = new AbortController();
  private running = false;
  private observingSince = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private interval: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private dirty = false;
  /** A ReplicaSet was scaled or deleted since this pass began: the rest of its pod decisions are stale. */
  private replicaSetsChanged = false;
  /**
   * A pass after a change in the log looks only at the ReplicaSets that changed (and at orphans only
   * after a ReplicaSet was deleted); the periodic pass looks at everything, so that a large cluster's
   * event bursts cost little.
   */
  private readonly dirtyReplicaSets = new Set<string>();
  private fullPassDue = true;
  /**
   * Node health depends on time and leases, not on pod events: it is judged on the periodic pass and
   * after a Node changed, not on every event (a pass over 10,000 nodes per pod event would dominate).
   */
  private nodesDue = true;
  private orphansDue = true;
  private leaseWatch: Promise<void> = Promise.resolve();

  constructor(private readonly options: ControllerLoopOptions) {
    this.now = options.now ?? Date.now;
    this.source = options.source ?? 'controller';
    this.limiter = new EvictionRateLimiter(options.evictionRate ?? DEFAULT_EVICTION_RATE);
    options.projection.onApplied((record, changes) => {
      const type = record.event.type;
      if (type === 'ReplicaSetScaled' || type === 'ReplicaSetDeleted') this.replicaSetsChanged = true;
      if (type === 'ReplicaSetDeleted') this.orphansDue = true;
      // The fold re-derives a ReplicaSet's status whenever its pods change: those are the ones to look at.
      for (const change of changes) {
        if (change.kind === 'ReplicaSet') this.dirtyReplicaSets.add(change.key);
        else if (change.kind === 'Node') this.nodesDue = true;
      }
      this.schedule(this.options.debounceMs ?? 20);
    });
  }

  /**
   * The lease feed is back after an outage: nodes could not renew, or not be seen renewing, meanwhile,
   * so every node gets a full grace period from now before it can be judged unreachable.
   */
  leaseFeedRestored(): void {
    this.observingSince = this.now();
    this.nodesDue = true;
  }

  /** Call after the projection caught up. */
  start(): void {
    this.running = true;
    this.observingSince = this.now();
    if (this.options.leases) this.leaseWatch = this.watchLeases(this.options.leases);
    this.interval = setInterval(() => {
      this.fullPassDue = true;
      this.nodesDue = true;
      this.schedule(0);
    }, this.options.syncPeriodMs ?? 1_000);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    if (this.interval) clearInterval(this.interval);
    await this.syncing;
    await this.leaseWatch;
  }

  /** Decisions appended and not yet folded. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Runs one pass now (after any pass in progress); for tests and start-up. */
  async syncNow(): Promise<void> {
    this.nodesDue = true;
    await this.runSync();
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    const due = this.now() + delayMs;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runSync();
    }, delayMs);
  }

  private runSync(): Promise<void> {
    if (this.syncing) {
      this.dirty = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      try {
        do {
          this.dirty = false;
          await this.sync();
        } while (this.dirty && this.running);
      } catch (error) {
        this.stats.errors++;
        this.options.logger.error('sync failed', { error });
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  private async sync(): Promise<void> {
    this.settle();
    this.replicaSetsChanged = false;
    const state = this.options.projection.state;
    const now = this.now();
    this.stats.syncs++;
    // Node decisions first: a taint took a token from the limiter, and must not be left behind by a pass cut short.
    const decisions: DomainEvent[] = [];
    const nodesDue = this.nodesDue || this.fullPassDue;
    this.nodesDue = false;
    if (nodesDue && this.options.leases && (this.options.leasesHealthy?.() ?? true)) {
      decisions.push(
        ...decideNodeLifecycle(state, this.leases, now, {
          gracePeriodMs: this.options.nodeMonitorGraceMs ?? DEFAULT_NODE_MONITOR_GRACE_MS,
          startupGraceMs: this.options.nodeStartupGraceMs ?? DEFAULT_NODE_STARTUP_GRACE_MS,
          evictionLimiter: this.limiter,
          observingSince: this.observingSince,
          inFlight: new Set(this.pending.keys()),
        }),
      );
    }
    const full = this.fullPassDue;
    const records = full ? [...state.replicaSets.values()] : [...this.dirtyReplicaSets].flatMap((key) => state.replicaSets.get(key) ?? []);
    const orphans = full || this.orphansDue;
    this.fullPassDue = false;
    this.orphansDue = false;
    this.dirtyReplicaSets.clear();
    const rsOptions = {
      now,
      burnedUids: this.burnedUids,
      notReadySeconds: this.options.defaultNotReadyTolerationSeconds ?? DEFAULT_TOLERATION_SECONDS,
      unreachableSeconds: this.options.defaultUnreachableTolerationSeconds ?? DEFAULT_TOLERATION_SECONDS,
      ...(this.options.burstReplicas !== undefined ? { burstReplicas: this.options.burstReplicas } : {}),
    };
    for (const record of records) decisions.push(...reconcileReplicaSet(state, record, rsOptions));
    if (orphans) decisions.push(...collectOrphans(state));
    const time = new Date(now).toISOString();
    const before = { created: this.stats.podsCreated, deleted: this.stats.podsDeleted };
    // Appends travel concurrently (one connection keeps their order in the log): a ReplicaSet scaled
    // by thousands is not held to one round trip per pod.
    const inFlight = new Set<Promise<void>>();
    for (const event of decisions) {
      if (!this.running) break;
      if (this.replicaSetsChanged && (event.type === 'PodCreated' || event.type === 'PodDeletionRequested' || event.type === 'PodDeleted')) {
        // Decided for a scale that no longer holds: decide again, everything, from the new one.
        this.dirty = true;
        this.fullPassDue = true;
        break;
      }
      const id = msgIdFor(event);
      if (this.pending.has(id)) continue;
      const entry: Pending = { event };
      this.pending.set(id, entry);
      const append = this.append(id, entry, time);
      inFlight.add(append);
      void append.finally(() => inFlight.delete(append));
      if (inFlight.size >= APPENDS_IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const created = this.stats.podsCreated - before.created;
    const deleted = this.stats.podsDeleted - before.deleted;
    if (created > 0 || deleted > 0) this.options.logger.info('replica sets synced', { created, deleted, seq: state.seq });
  }

  private async append(id: string, entry: Pending, time: string): Promise<void> {
    try {
      const result = await appendWithRetry(
        this.options.log,
        entry.event,
        { source: this.source, time },
        { deadlineMs: this.options.appendDeadlineMs ?? 10_000, onRetry: () => void this.stats.appendRetries++ },
      );
      entry.seq = result.seq;
      if (result.duplicate) this.stats.duplicates++;
      else this.count(entry.event);
    } catch (error) {
      this.pending.delete(id);
      this.stats.errors++;
      this.options.logger.error('append failed', { type: entry.event.type, id, error });
    }
  }

  /** Forgets decisions the fold has applied; a PodCreated it ignored burns its uid. */
  private settle(): void {
    const state = this.options.projection.state;
    for (const [id, entry] of this.pending) {
      if (entry.seq === undefined || entry.seq > state.seq) continue;
      this.pending.delete(id);
      const event = entry.event;
      if (event.type !== 'PodCreated') continue;
      const { namespace, name, uid } = event.data.pod.metadata;
      if (state.pods.get(`${namespace}/${name}`)?.pod.metadata.uid === uid) continue;
      this.burnedUids.add(uid);
      this.stats.creationsIgnored++;
      this.options.logger.info('pod creation ignored by the fold', { pod: `${namespace}/${name}`, uid, seq: entry.seq });
    }
  }

  private count(event: DomainEvent): void {
    switch (event.type) {
      case 'PodCreated':
        this.stats.podsCreated++;
        this.options.logger.debug('creating pod', { pod: `${event.data.pod.metadata.namespace}/${event.data.pod.metadata.name}`, owner: event.data.pod.metadata.ownerReferences?.[0]?.name });
        break;
      case 'PodDeletionRequested':
      case 'PodDeleted':
        this.stats.podsDeleted++;
        this.options.logger.debug('deleting pod', { pod: `${event.data.namespace}/${event.data.name}`, type: event.type });
        break;
      case 'PodEvicted':
        this.stats.podsEvicted++;
        this.options.logger.info('evicting pod', { pod: `${event.data.namespace}/${event.data.name}`, node: event.data.nodeName, reason: event.data.reason });
        break;
      case 'NodeMarkedUnreachable':
        this.stats.nodesMarkedUnreachable++;
        this.options.logger.warn('node unreachable', { node: event.data.name, leaseRenewTime: event.data.leaseRenewTime });
        break;
      case 'NodeMarkedReachable':
        this.stats.nodesMarkedReachable++;
        this.options.logger.info('node reachable again', { node: event.data.name, leaseRenewTime: event.data.leaseRenewTime });
        break;
      case 'NodeEvictionTaintAdded':
        this.stats.evictionTaints++;
        this.options.logger.warn('node tainted for eviction', { node: event.data.name });
        break;
      default:
        break;
    }
  }

  private async watchLeases(feed: LeaseFeed): Promise<void> {
    try {
      for await (const lease of feed.watch(this.abort.signal)) {
        const previous = this.leases.get(lease.nodeName);
        const observedAt = previous?.renewTime === lease.renewTime ? previous.observedAt : this.now();
        this.leases.set(lease.nodeName, { nodeName: lease.nodeName, renewTime: lease.renewTime, observedAt });
        // A renewal from a node marked unreachable: mark it reachable soon rather than at the next period.
        if (previous?.renewTime !== lease.renewTime && this.options.projection.state.nodes.get(lease.nodeName)?.unreachable) {
          this.schedule(this.options.debounceMs ?? 20);
        }
      }
    } catch (error) {
      if (!this.abort.signal.aborted) {
        this.stats.errors++;
        this.options.logger.error('lease watch ended', { error });
      }
    }
  }
}
