import { z } from 'zod';

// The container-logs stream protocol, on core NATS:
//
//   requester                                   node agent (queue group NODE_RPC_QUEUE)
//   SUB <streamInbox>
//   PUB flotilla.node.<token>.logs  ──request──▶  (reply subject = streamInbox, for "no responders")
//                                    ◀─ seq 0 ── {seq: 0, open: {ctl, window, heartbeatMs}}  or {seq: 0, error}
//                                    ◀─ seq n ── {seq, data}      at most `window` chunks past the last ack
//   PUB <ctl> {ack: n}             ──────────▶  credit for n + window; also the keepalive
//                                    ◀───────── {heartbeat: true} when idle for heartbeatMs
//                                    ◀─ seq n ── {seq, end: true} or {seq, error: {reason, message}}
//   PUB <ctl> {cancel: true}       ──────────▶  stops the stream early
//
// Sequence numbers have no gaps: a gap means a lost message and fails the stream. The agent stops a
// stream when it hears nothing on ctl for 3 keepalive intervals (the requester is gone); the
// requester fails when it hears nothing for 3 heartbeat intervals (the agent is gone).

/** Why a node agent refused or ended a request. */
export const ContainerLogsErrorReason = z.enum(['NotFound', 'BadRequest', 'InternalError']);
export type ContainerLogsErrorReason = z.infer<typeof ContainerLogsErrorReason>;

/** What to read: one container of one pod instance (uid) on the node the subject names. */
export const ContainerLogsRequestSchema = z.object({
  namespace: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
  uid: z.string().min(1).max(128),
  container: z.string().min(1).max(253),
  previous: z.boolean(),
  tailLines: z.number().int().nonnegative().optional(),
  follow: z.boolean(),
  timestamps: z.boolean(),
});
export type ContainerLogsRequest = z.infer<typeof ContainerLogsRequestSchema>;

const SUBJECT = /^[^\s*>]+$/;

/** The request as sent: where to stream the answer, and how often the requester will send keepalives. */
export const ContainerLogsWireRequestSchema = ContainerLogsRequestSchema.extend({
  streamInbox: z.string().min(1).max(512).regex(SUBJECT, 'must be a NATS subject without wildcards'),
  keepaliveMs: z.number().int().min(10).max(60_000).optional(),
});
export type ContainerLogsWireRequest = z.infer<typeof ContainerLogsWireRequestSchema>;

export const WireErrorSchema = z.object({ reason: ContainerLogsErrorReason, message: z.string() });
export type WireError = z.infer<typeof WireErrorSchema>;

export const StreamMessageSchema = z.union([
  z.object({
    seq: z.literal(0),
    open: z.object({ ctl: z.string().min(1).regex(SUBJECT), window: z.number().int().positive(), heartbeatMs: z.number().int().positive() }),
  }),
  z.object({ seq: z.number().int().positive(), data: z.string() }),
  z.object({ seq: z.number().int().positive(), end: z.literal(true) }),
  z.object({ seq: z.number().int().nonnegative(), error: WireErrorSchema }),
  z.object({ heartbeat: z.literal(true) }),
]);
export type StreamMessage = z.infer<typeof StreamMessageSchema>;

export const ControlMessageSchema = z.union([z.object({ ack: z.number().int().nonnegative() }), z.object({ cancel: z.literal(true) })]);
export type ControlMessage = z.infer<typeof ControlMessageSchema>;

/** Defaults both sides share. */
export const DEFAULT_KEEPALIVE_MS = 2_000;
export const DEFAULT_FIRST_REPLY_TIMEOUT_MS = 5_000;
/** Chunks in flight before the agent waits for an ack. */
export const DEFAULT_WINDOW = 32;
/** Longest `data` string per message; JSON escaping at most sextuples it, well under NATS' 1 MiB payload. */
export const DEFAULT_MAX_CHUNK_CHARS = 32 * 1024;
/** Missed intervals after which the other side counts as gone. */
export const MISSED_INTERVALS = 3;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** The parsed JSON payload, or undefined when it is not JSON. */
export function decodeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data)) as unknown;
  } catch {
    return undefined;
  }
}
