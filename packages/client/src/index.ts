export { FlotillaClient, resolveServer, DEFAULT_SERVER, DEFAULT_TIMEOUT_MS, MERGE_PATCH } from './flotilla-client.ts';
export { formatLabelSelector } from './label-selector.ts';
export type {
  FlotillaClientOptions,
  HttpMethod,
  Query,
  ListOptions,
  DeleteOptions,
  EventListOptions,
  RequestOptions,
  WatchOptions,
  LogOptions,
  ScaleOptions,
  EvictOptions,
  AtOptions,
} from './flotilla-client.ts';
export { ApiError, ApiStreamError, ApiUnreachableError, ApiTimeoutError, isKubeStatus, describeCause } from './errors.ts';
export { parseWarningHeader } from './warnings.ts';
export { SseParser, readSse } from './sse.ts';
export type { SseMessage } from './sse.ts';
export type {
  ApiResponse,
  EventList,
  KubeEvent,
  KubeStatus,
  ListMeta,
  Node,
  NodeList,
  NodeManifest,
  ObjectList,
  Pod,
  PodList,
  PodManifest,
  PodScheduling,
  PodSchedulingPlan,
  ReplicaSet,
  ReplicaSetList,
  ReplicaSetManifest,
  Scale,
  Eviction,
  NodeVerdict,
  PluginScore,
  SchedulingRecord,
  SchedulingSummary,
  StatusCause,
  WatchEvent,
  WatchEventType,
  HistoryEntry,
  ObjectHistory,
  DiffChangeType,
  DiffField,
  DiffChange,
  ClusterDiff,
} from './types.ts';
