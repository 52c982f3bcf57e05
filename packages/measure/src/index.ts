// @flotilla/measure: a run measured from the event log (throughput, latencies, utilisation) and its
// reports (terminal table, JSON, self-contained HTML). Pure: records and times come in as arguments.

export { latencyStats, nearestRank } from './latency.ts';
export type { LatencyStats } from './latency.ts';
export type { JetStreamLimit, LatencyHistogram, ReportMeta, ReportTarget, RunSummary, SecondBucket } from './types.ts';
export { RunRecorder, histogram, LATENCY_BUCKETS_MS } from './run-recorder.ts';
export type { RunRecorderOptions } from './run-recorder.ts';
export { limitRatio, podsPerSecondCeiling } from './limit.ts';
export { headline } from './format.ts';
export { renderTerminalReport } from './report-terminal.ts';
export { renderJsonReport } from './report-json.ts';
export { renderHtmlReport, escapeHtml } from './report-html.ts';
