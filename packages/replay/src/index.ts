// @flotilla/replay: record and replay. Arrival traces (what came into a cluster and when) built from
// an event log, and replays of a trace against scheduler profiles on a virtual clock, with the real
// fold and scheduling framework in one process, compared side by side. Pure: no I/O, no clock.

export {
  TRACE_KIND,
  TRACE_VERSION,
  TraceArrivalSchema,
  TraceHeaderSchema,
  TracePodSchema,
  TraceParseError,
  looksLikeTrace,
  parseTrace,
  serializeTrace,
  traceCounts,
} from './trace.ts';
export type { Trace, TraceArrival, TraceArrivalType, TraceHeader, TracePod } from './trace.ts';
export { LogExportParseError, parseRecords, serializeRecords, traceFromRecords, traceFromText } from './records.ts';
export type { TraceFromRecordsOptions } from './records.ts';
export { traceFromSnapshot } from './snapshot.ts';
export type { SnapshotOptions } from './snapshot.ts';
export { DEFAULT_SIM_TIMINGS, replayTrace } from './replay.ts';
export type { ReplayOptions, ReplayResult, SchedulingFigures, SimTimings, SpeedFigures } from './replay.ts';
export { distribution, measurePlacement, pendingReasons, podOutcomes, podSizes } from './quality.ts';
export type { Distribution, PlacementQuality, PodOutcomes, PodSize } from './quality.ts';
export { ReplayComparisonError, compareReplays, formatFigure, renderReplayComparison } from './compare.ts';
export type { ComparisonFormat, ComparisonRow, FigureFormat, ReplayComparison } from './compare.ts';
export { GenerateTraceError, generateTrace } from './generate.ts';
export type { GenerateTraceOptions, NodeGroup, PodGroup } from './generate.ts';
export { jittered, seededRandom } from './random.ts';
