import type { NodeManifest, PodManifest, ReplicaSetManifest } from '@flotilla/model';
import { ApiError, ApiStreamError, ApiTimeoutError, ApiUnreachableError, isKubeStatus, requestWasNotSent } from './errors.ts';
import { readSse } from './sse.ts';
import { parseWarningHeader } from './warnings.ts';
import type {
  ApiResponse,
  ClusterDiff,
  Eviction,
  EventList,
  KubeStatus,
  Node,
  NodeList,
  ObjectHistory,
  Pod,
  PodList,
  PodScheduling,
  PodSchedulingPlan,
  ReplicaSet,
  ReplicaSetList,
  Scale,
  WatchEvent,
  WatchEventType,
} from './types.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:7070';
export const DEFAULT_TIMEOUT_MS = 30_000;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Query = Record<string, string | number | boolean | undefined>;

export interface FlotillaClientOptions {
  /** Base URL of the API; see resolveServer() for the flag/env/default order. */
  server?: string;
  /** How long a request may wait for its answer; 0 disables. Default 30 s. */
  timeoutMs?: number;
  /** Injected fetch (tests); defaults to the global one. */
  fetch?: typeof fetch;
  userAgent?: string;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** The list as it was: a past resourceVersion (sequence) or an RFC 3339 time. */
  at?: string;
}

/** Reads of one object as it was at a past sequence or RFC 3339 time. */
export interface AtOptions {
  at?: string;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
}

export interface EventListOptions {
  involvedObjectName?: string;
  kind?: 'Pod' | 'Node' | string;
  /** Further `key=value` terms, joined to the ones above. */
  fieldSelector?: string;
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Content-Type of the body; application/json unless set (PATCH sends a merge patch). */
  contentType?: string;
  signal?: AbortSignal;
}

/** Content-Type of a JSON merge patch (RFC 7386), what every PATCH here sends. */
export const MERGE_PATCH = 'application/merge-patch+json';

export interface ScaleOptions {
  /** Precondition: refuse (409 Conflict) unless the ReplicaSet is still at this resourceVersion. */
  resourceVersion?: string;
}

export interface EvictOptions {
  /** Seconds the pod gets to stop; the pod's terminationGracePeriodSeconds when unset. */
  gracePeriodSeconds?: number;
  /** Precondition: evict only the pod with this uid (not a later one of the same name). */
  uid?: string;
}

export interface WatchOptions {
  /** Start after this version; without it the server first sends the current objects as ADDED. */
  resourceVersion?: string;
  /** Aborting ends the iteration quietly. */
  signal?: AbortSignal;
  /** Extra query parameters (labelSelector, fieldSelector). */
  query?: Query;
  /** A stream silent this long (no data, no `: ping`) is treated as dead and reopened. Default 60 s. */
  idleTimeoutMs?: number;
  /** Consecutive failed reconnections before giving up with the last error. Default 10. */
  maxReconnectAttempts?: number;
  /** First reconnection delay, doubled per consecutive failure up to maxReconnectDelayMs. Default 250 ms. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

/** What `logs` reads, as `kubectl logs` flags name it (the query parameters of the log route). */
export interface LogOptions {
  /** Required when the pod has more than one container. */
  container?: string;
  /** Keep streaming new output until the container stops (or `signal` aborts). */
  follow?: boolean;
  /** Only the last N lines. */
  tailLines?: number;
  /** The previous instance of the container (after a restart). */
  previous?: boolean;
  /** Prefix each line with its RFC 3339 time. */
  timestamps?: boolean;
  /** Stop after this many bytes. */
  limitBytes?: number;
  /** Only lines from the last N seconds. */
  sinceSeconds?: number;
  /** Only lines at or after this RFC 3339 time. */
  sinceTime?: string;
  /** Aborting ends the iteration quietly. */
  signal?: AbortSignal;
}

/** `--server` flag, else FLOTILLA_SERVER, else the default local address. */
export function resolveServer(flag?: string, env: Record<string, string | undefined> = process.env): string {
  const chosen = flag?.trim() || env['FLOTILLA_SERVER']?.trim() || DEFAULT_SERVER;
  // `host:port` without a scheme means plain HTTP, the only thing the API serves.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(chosen) ? chosen : `http://${chosen}`;
  return withScheme.replace(/\/+$/, '');
}

const enc = encodeURIComponent;

/** Typed client for the Flotilla API (Kubernetes-style REST plus SSE watches). */
export class FlotillaClient {
  readonly server: string;
  readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly userAgent: string;

  constructor(options: FlotillaClientOptions = {}) {
    this.server = (options.server ?? DEFAULT_SERVER).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.userAgent = options.userAgent ?? 'flotilla-client/0.1.0';
  }

  // ---- pods ----

  createPod(namespace: string, manifest: PodManifest | Record<string, unknown>): Promise<ApiResponse<Pod>> {
    return this.request<Pod>('POST', `/api/v1/namespaces/${enc(namespace)}/pods`, { body: manifest });
  }

  getPod(namespace: string, name: string, options: AtOptions = {}): Promise<ApiResponse<Pod>> {
    return this.request<Pod>('GET', `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}`, { query: { at: options.at } });
  }

  /** Every event of the pods that had this name, with sequence, time, writer and a one-line summary. */
  podHistory(namespace: string, name: string): Promise<ApiResponse<ObjectHistory>> {
    return this.request<ObjectHistory>('GET', `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}/history`);
  }

  /** Pods of one namespace, or of all namespaces when `namespace` is undefined. */
  listPods(namespace?: string, options: ListOptions = {}): Promise<ApiResponse<PodList>> {
    const path = namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${enc(namespace)}/pods`;
    return this.request<PodList>('GET', path, { query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, at: options.at } });
  }

  deletePod(namespace: string, name: string, options: DeleteOptions = {}): Promise<ApiResponse<Pod>> {
    return this.request<Pod>('DELETE', `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}`, {
      query: { gracePeriodSeconds: options.gracePeriodSeconds },
    });
  }

  /** The pod's last scheduling attempt: chosen node or message, and the per-node, per-plugin verdicts. */
  getScheduling(namespace: string, name: string): Promise<ApiResponse<PodScheduling>> {
    return this.request<PodScheduling>('GET', `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}/scheduling`);
  }

  /** Where the scheduler would place this pod now, and why, without creating it. */
  planPod(namespace: string, manifest: PodManifest | Record<string, unknown>, options: { maxVerdicts?: number | 'all' } = {}): Promise<ApiResponse<PodSchedulingPlan>> {
    return this.request<PodSchedulingPlan>('POST', `/api/v1/namespaces/${enc(namespace)}/pods/plan`, { body: manifest, query: { maxVerdicts: options.maxVerdicts } });
  }

  /**
   * A container's log as text, in the pieces the server sends. Without `follow` the request timeout
   * covers the whole read; with it, only the wait for the answer. A stream that breaks off before its
   * end throws ApiStreamError; errors before it starts throw ApiError (e.g. BadRequest `container
   * "c" in pod "p" is waiting to start: ContainerCreating`).
   */
  async *logs(namespace: string, name: string, options: LogOptions = {}): AsyncGenerator<string, void, undefined> {
    const path = `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}/log`;
    const flag = (value: boolean | undefined) => (value ? 'true' : undefined);
    const query: Query = {
      container: options.container,
      follow: flag(options.follow),
      previous: flag(options.previous),
      timestamps: flag(options.timestamps),
      tailLines: options.tailLines,
      limitBytes: options.limitBytes,
      sinceSeconds: options.sinceSeconds,
      sinceTime: options.sinceTime,
    };
    const { signal } = options;
    const call = new CallControl(this.timeoutMs, signal);
    try {
      let response: Response;
      try {
        response = await this.fetchImpl(this.url(path, query), {
          method: 'GET',
          headers: { accept: 'text/plain, application/json', 'user-agent': this.userAgent },
          signal: call.signal,
        });
      } catch (error) {
        if (signal?.aborted) return;
        throw this.transportError(error, call, 'GET', path, signal, false);
      }
      if (!response.ok) {
        let text = '';
        try {
          text = await response.text();
        } catch {
          // The status line is enough.
        }
        throw new ApiError({ status: response.status, body: parseJson(text), text, warnings: parseWarningHeader(response.headers.get('warning')), method: 'GET', path });
      }
      if (options.follow) call.clearTimeout();
      if (!response.body) return;
      const reader = response.body.getReader();
      const decoder = new TextDecoder('utf-8');
      let done = false;
      try {
        for (;;) {
          let result: Awaited<ReturnType<typeof reader.read>>;
          try {
            result = await reader.read();
          } catch (error) {
            if (signal?.aborted) return;
            if (call.timedOut) throw new ApiTimeoutError({ server: this.server, timeoutMs: this.timeoutMs, method: 'GET', path });
            throw new ApiStreamError(this.server, path, error);
          }
          if (result.done) {
            done = true;
            const rest = decoder.decode();
            if (rest) yield rest;
            return;
          }
          const text = decoder.decode(result.value, { stream: true });
          if (text) yield text;
        }
      } finally {
        if (!done) await reader.cancel().catch(() => undefined);
      }
    } finally {
      call.dispose();
    }
  }

  /**
   * policy/v1 Eviction of a pod: a graceful delete that marks the pod DisruptionTarget
   * (EvictionByEvictionAPI). Answers 201 with a Success Status.
   */
  evictPod(namespace: string, name: string, options: EvictOptions = {}): Promise<ApiResponse<KubeStatus>> {
    const body: Eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } };
    if (options.gracePeriodSeconds !== undefined || options.uid !== undefined) {
      body.deleteOptions = {
        ...(options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}),
        ...(options.uid !== undefined ? { preconditions: { uid: options.uid } } : {}),
      };
    }
    return this.request<KubeStatus>('POST', `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}/eviction`, { body });
  }

  // ---- replica sets (apps/v1) ----

  /** The list (and watch) path of ReplicaSets in one namespace, or in all when `namespace` is undefined. */
  static replicaSetsPath(namespace?: string): string {
    return namespace === undefined ? '/apis/apps/v1/replicasets' : `/apis/apps/v1/namespaces/${enc(namespace)}/replicasets`;
  }

  createReplicaSet(namespace: string, manifest: ReplicaSetManifest | Record<string, unknown>): Promise<ApiResponse<ReplicaSet>> {
    return this.request<ReplicaSet>('POST', FlotillaClient.replicaSetsPath(namespace), { body: manifest });
  }

  getReplicaSet(namespace: string, name: string, options: AtOptions = {}): Promise<ApiResponse<ReplicaSet>> {
    return this.request<ReplicaSet>('GET', `${FlotillaClient.replicaSetsPath(namespace)}/${enc(name)}`, { query: { at: options.at } });
  }

  replicaSetHistory(namespace: string, name: string): Promise<ApiResponse<ObjectHistory>> {
    return this.request<ObjectHistory>('GET', `${FlotillaClient.replicaSetsPath(namespace)}/${enc(name)}/history`);
  }

  listReplicaSets(namespace?: string, options: ListOptions = {}): Promise<ApiResponse<ReplicaSetList>> {
    return this.request<ReplicaSetList>('GET', FlotillaClient.replicaSetsPath(namespace), { query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, at: options.at } });
  }

  /** Deletes the ReplicaSet at once; the controller then deletes its pods (background propagation). */
  deleteReplicaSet(namespace: string, name: string): Promise<ApiResponse<KubeStatus>> {
    return this.request<KubeStatus>('DELETE', `${FlotillaClient.replicaSetsPath(namespace)}/${enc(name)}`);
  }

  getScale(namespace: string, name: string): Promise<ApiResponse<Scale>> {
    return this.request<Scale>('GET', `${FlotillaClient.replicaSetsPath(namespace)}/${enc(name)}/scale`);
  }

  /** Sets spec.replicas through the /scale subresource. */
  scaleReplicaSet(namespace: string, name: string, replicas: number, options: ScaleOptions = {}): Promise<ApiResponse<Scale>> {
    const scale = {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name, namespace, ...(options.resourceVersion !== undefined ? { resourceVersion: options.resourceVersion } : {}) },
      spec: { replicas },
    };
    return this.request<Scale>('PUT', `${FlotillaClient.replicaSetsPath(namespace)}/${enc(name)}/scale`, { body: scale });
  }

  /** A merge patch of the ReplicaSet (only spec.replicas may change). */
  patchReplicaSet(namespace: string, name: string, patch: Record<string, unknown>): Promise<ApiResponse<ReplicaSet>> {
    return this.request<ReplicaSet>('PATCH', `${FlotillaClient.replicaSetsPath(namespace)}/${enc(name)}`, { body: patch, contentType: MERGE_PATCH });
  }

  /** Watches ReplicaSets (see watch()); `query` may carry labelSelector / fieldSelector. */
  watchReplicaSets(namespace?: string, options: WatchOptions = {}): AsyncGenerator<WatchEvent<ReplicaSet>, void, undefined> {
    return this.watch<ReplicaSet>(FlotillaClient.replicaSetsPath(namespace), options);
  }

  // ---- nodes ----

  listNodes(options: ListOptions = {}): Promise<ApiResponse<NodeList>> {
    return this.request<NodeList>('GET', '/api/v1/nodes', { query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, at: options.at } });
  }

  getNode(name: string, options: AtOptions = {}): Promise<ApiResponse<Node>> {
    return this.request<Node>('GET', `/api/v1/nodes/${enc(name)}`, { query: { at: options.at } });
  }

  nodeHistory(name: string): Promise<ApiResponse<ObjectHistory>> {
    return this.request<ObjectHistory>('GET', `/api/v1/nodes/${enc(name)}/history`);
  }

  /** What changed between two states of the cluster (sequences or RFC 3339 times). */
  diff(from: string, to: string): Promise<ApiResponse<ClusterDiff>> {
    return this.request<ClusterDiff>('GET', '/api/v1/diff', { query: { from, to } });
  }

  createNode(manifest: NodeManifest | Record<string, unknown>): Promise<ApiResponse<Node>> {
    return this.request<Node>('POST', '/api/v1/nodes', { body: manifest });
  }

  deleteNode(name: string): Promise<ApiResponse<Node>> {
    return this.request<Node>('DELETE', `/api/v1/nodes/${enc(name)}`);
  }

  /** A merge patch of a node (only spec.unschedulable may change). */
  patchNode(name: string, patch: Record<string, unknown>): Promise<ApiResponse<Node>> {
    return this.request<Node>('PATCH', `/api/v1/nodes/${enc(name)}`, { body: patch, contentType: MERGE_PATCH });
  }

  /** Marks the node unschedulable (`kubectl cordon`): running pods stay, new ones go elsewhere. */
  cordonNode(name: string): Promise<ApiResponse<Node>> {
    return this.patchNode(name, { spec: { unschedulable: true } });
  }

  /** Makes the node schedulable again (`kubectl uncordon`). */
  uncordonNode(name: string): Promise<ApiResponse<Node>> {
    return this.patchNode(name, { spec: { unschedulable: null } });
  }

  // ---- events ----

  /** Kubernetes Events of one namespace, or of all when `namespace` is undefined. */
  listEvents(namespace?: string, options: EventListOptions = {}): Promise<ApiResponse<EventList>> {
    const path = namespace === undefined ? '/api/v1/events' : `/api/v1/namespaces/${enc(namespace)}/events`;
    return this.request<EventList>('GET', path, { query: { fieldSelector: eventFieldSelector(options) } });
  }

  // ---- health ----

  livez(): Promise<ApiResponse<unknown>> {
    return this.request<unknown>('GET', '/livez');
  }

  readyz(): Promise<ApiResponse<unknown>> {
    return this.request<unknown>('GET', '/readyz');
  }

  // ---- plumbing ----

  url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== '') params.set(key, String(value));
    const qs = params.toString();
    const separator = path.includes('?') ? '&' : '?';
    return `${this.server}${path}${qs ? separator + qs : ''}`;
  }

  /** One request: JSON in, JSON out; non-2xx answers throw ApiError. */
  async request<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = this.url(path, options.query);
    const call = new CallControl(this.timeoutMs, options.signal);
    try {
      const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
      let body: string | undefined;
      if (options.body !== undefined) {
        headers['content-type'] = options.contentType ?? 'application/json';
        body = JSON.stringify(options.body);
      }
      let response: Response;
      try {
        response = await this.fetchImpl(url, { method, headers, body, signal: call.signal });
      } catch (error) {
        throw this.transportError(error, call, method, path, options.signal, false);
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        throw this.transportError(error, call, method, path, options.signal, true);
      }
      const warnings = parseWarningHeader(response.headers.get('warning'));
      const parsed = parseJson(text);
      if (!response.ok) throw new ApiError({ status: response.status, body: parsed, text, warnings, method, path });
      return { body: (parsed === undefined ? text : parsed) as T, warnings, status: response.status };
    } finally {
      call.dispose();
    }
  }

  /**
   * Watches a list path (`/api/v1/namespaces/default/pods`, `/api/v1/nodes`, ...). A dropped or
   * silent stream is reopened from the last id seen, so no change is missed or repeated; a first
   * connection that fails throws at once. 410 Gone (the version is older than the log keeps) throws
   * ApiError with reason Gone: list again and watch from the list's resourceVersion.
   */
  async *watch<T = unknown>(path: string, options: WatchOptions = {}): AsyncGenerator<WatchEvent<T>, void, undefined> {
    const { signal } = options;
    const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    const maxAttempts = options.maxReconnectAttempts ?? 10;
    const baseDelay = options.reconnectDelayMs ?? 250;
    const maxDelay = options.maxReconnectDelayMs ?? 5_000;
    let resourceVersion = options.resourceVersion;
    let connected = false;
    let failures = 0;

    while (!signal?.aborted) {
      const query: Query = { ...options.query, watch: 'true', resourceVersion };
      const call = new CallControl(this.timeoutMs, signal);
      let response: Response | undefined;
      try {
        response = await this.openStream(path, query, call, signal);
      } catch (error) {
        call.dispose();
        if (signal?.aborted) return;
        const permanent = error instanceof ApiError && error.status < 500;
        if (!connected || permanent || failures >= maxAttempts) throw error;
        failures++;
        await sleep(Math.min(maxDelay, baseDelay * 2 ** (failures - 1)), signal);
        continue;
      }

      connected = true;
      failures = 0;
      // The request timeout covers only the wait for headers; from here a silent stream is dead.
      call.clearTimeout();
      let idle: NodeJS.Timeout | undefined;
      const arm = (): void => {
        if (idleTimeoutMs <= 0) return;
        clearTimeout(idle);
        idle = setTimeout(() => call.abort(new Error(`watch stream silent for ${idleTimeoutMs} ms`)), idleTimeoutMs);
      };
      arm();
      try {
        if (!response.body) throw new Error('watch response has no body');
        for await (const message of readSse(response.body, arm)) {
          if (message.id !== undefined) resourceVersion = laterVersion(resourceVersion, message.id);
          if (message.data === undefined) continue;
          const event = parseWatchData(message.data);
          if (event === undefined) continue;
          if (event.type === 'ERROR') {
            const status = isKubeStatus(event.object) ? event.object : undefined;
            throw new ApiError({ status: status?.code ?? 500, body: status, method: 'GET', path });
          }
          const out: WatchEvent<T> = { type: event.type, object: event.object as T };
          if (message.id !== undefined) out.resourceVersion = message.id;
          yield out;
        }
      } catch (error) {
        if (signal?.aborted) return;
        if (error instanceof ApiError) throw error;
        // Dropped connection or idle timeout: reopen below.
      } finally {
        clearTimeout(idle);
        call.dispose();
      }
      if (signal?.aborted) return;
      await sleep(baseDelay, signal);
    }
  }

  private async openStream(path: string, query: Query, call: CallControl, signal: AbortSignal | undefined): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path, query), {
        method: 'GET',
        headers: { accept: 'text/event-stream', 'user-agent': this.userAgent },
        signal: call.signal,
      });
    } catch (error) {
      throw this.transportError(error, call, 'GET', path, signal, false);
    }
    if (!response.ok) {
      let text = '';
      try {
        text = await response.text();
      } catch {
        // The status line is enough.
      }
      throw new ApiError({ status: response.status, body: parseJson(text), text, warnings: parseWarningHeader(response.headers.get('warning')), method: 'GET', path });
    }
    return response;
  }

  private transportError(error: unknown, call: CallControl, method: string, path: string, signal: AbortSignal | undefined, responseStarted: boolean): unknown {
    if (signal?.aborted) return signal.reason ?? error;
    if (call.timedOut) return new ApiTimeoutError({ server: this.server, timeoutMs: this.timeoutMs, method, path });
    const write = method !== 'GET';
    const outcomeUnknown = write && (responseStarted || !requestWasNotSent(error));
    return new ApiUnreachableError(this.server, error, { outcomeUnknown, method, path });
  }
}

/** Combines the caller's signal with the request timeout. */
class CallControl {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort: () => void;
  timedOut = false;

  constructor(timeoutMs: number, private readonly outer: AbortSignal | undefined) {
    this.onAbort = () => this.controller.abort(outer?.reason);
    if (outer?.aborted) this.controller.abort(outer.reason);
    else outer?.addEventListener('abort', this.onAbort, { once: true });
    if (timeoutMs > 0) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.controller.abort(new Error('request timed out'));
      }, timeoutMs);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    this.controller.abort(reason);
  }

  clearTimeout(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.clearTimeout();
    this.outer?.removeEventListener('abort', this.onAbort);
    // Releases the socket of a stream the caller stopped reading.
    if (!this.controller.signal.aborted) this.controller.abort(new Error('request finished'));
  }
}

function eventFieldSelector(options: EventListOptions): string | undefined {
  const terms: string[] = [];
  if (options.involvedObjectName !== undefined) terms.push(`involvedObject.name=${options.involvedObjectName}`);
  if (options.kind !== undefined) terms.push(`involvedObject.kind=${options.kind}`);
  if (options.fieldSelector) terms.push(options.fieldSelector);
  return terms.length > 0 ? terms.join(',') : undefined;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const WATCH_TYPES = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

function parseWatchData(data: string): { type: WatchEventType; object: unknown } | undefined {
  const parsed = parseJson(data);
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { type, object } = parsed as { type?: unknown; object?: unknown };
  if (typeof type !== 'string' || !WATCH_TYPES.has(type)) return undefined;
  return { type: type as WatchEventType, object };
}

/**
 * The version to resume from. Live ids only grow; the initial ADDED burst carries each object's own
 * version, so keeping the larger never resumes before something already seen.
 */
function laterVersion(current: string | undefined, next: string): string {
  if (current === undefined) return next;
  const a = Number(current);
  const b = Number(next);
  if (Number.isInteger(a) && Number.isInteger(b)) return b >= a ? next : current;
  return next;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

