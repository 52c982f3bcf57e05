export { createLogger, flushLogs, serialiseError } from './logger.ts';
export type { Logger, LogLevel } from './logger.ts';
export { LiveProjection, ProjectionTimeoutError } from './live-projection.ts';
export type { AppliedListener } from './live-projection.ts';
export { ConfigError, intSetting, numberSetting, parseFlags, natsServers } from './config.ts';
export { DEFAULT_SHUTDOWN_TIMEOUT_MS, onShutdown } from './shutdown.ts';
export type { ShutdownOptions } from './shutdown.ts';
export { appendWithRetry } from './append.ts';
export { METRICS_CONTENT_TYPE, MetricsParseError, startMetricsServer, parseMetrics } from './metrics.ts';
export type { MetricsServer } from './metrics.ts';
export {
  FAST_DURATION_BUCKETS,
  SLOW_DURATION_BUCKETS,
  createMetricsRegistry,
  instrumentAppends,
  mirroredCounter,
  mirroredGauge,
  registerEventLogMetrics,
} from './service-metrics.ts';
export type { AppendObserver, AppendOutcome, EventLogMetrics, EventLogMetricsOptions, LabelSet } from './service-metrics.ts';
