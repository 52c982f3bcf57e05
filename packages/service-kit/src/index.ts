export { createLogger } from './logger.ts';
export type { Logger, LogLevel } from './logger.ts';
export { LiveProjection, ProjectionTimeoutError } from './live-projection.ts';
export type { AppliedListener } from './live-projection.ts';
export { ConfigError, intSetting, numberSetting, parseFlags, natsServers } from './config.ts';
export { onShutdown } from './shutdown.ts';
export { appendWithRetry } from './append.ts';
export { METRICS_CONTENT_TYPE, renderMetricFamilies, startMetricsServer, parseMetrics } from './metrics.ts';
export type { MetricFamily, MetricSample, MetricsServer } from './metrics.ts';
