export type EventLogErrorCode =
  | 'APPEND_TIMEOUT'
  | 'EVENT_LOG_UNAVAILABLE'
  | 'WRONG_EXPECTED_SEQUENCE'
  | 'INVALID_SUBJECT'
  | 'STREAM_CONFIG_MISMATCH'
  | 'APPEND_REJECTED';

/** Base of every event-log failure; `code` is stable and safe to branch on. */
export class EventLogError extends Error {
  readonly code: EventLogErrorCode;
  constructor(code: EventLogErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EventLogError';
    this.code = code;
  }
}

/**
 * The append was sent but no acknowledgement came back in time. The outcome is UNKNOWN: the event
 * may or may not be stored. Retry with the SAME msgId (never a new one) so the log dedupes it.
 */
export class AppendTimeoutError extends EventLogError {
  readonly subject: string;
  readonly msgId: string;
  constructor(subject: string, msgId: string, timeoutMs: number, options?: ErrorOptions) {
    super(
      'APPEND_TIMEOUT',
      `append to ${subject} (msgId ${msgId}) got no acknowledgement within ${timeoutMs} ms; ` +
        'the outcome is unknown: retry with the same msgId',
      options,
    );
    this.name = 'AppendTimeoutError';
    this.subject = subject;
    this.msgId = msgId;
  }
}

/** The log cannot be reached (not connected, no responders, connection closed). Nothing was stored. */
export class EventLogUnavailableError extends EventLogError {
  constructor(message: string, options?: ErrorOptions) {
    super('EVENT_LOG_UNAVAILABLE', message, options);
    this.name = 'EventLogUnavailableError';
  }
}

/** expectedLastSubjectSequence did not match the subject's last sequence. Nothing was stored. */
export class WrongExpectedSequenceError extends EventLogError {
  readonly subject: string;
  readonly expected: number;
  /** The subject's actual last sequence, when the log reported it. */
  readonly actual: number | undefined;
  constructor(subject: string, expected: number, actual: number | undefined, options?: ErrorOptions) {
    super(
      'WRONG_EXPECTED_SEQUENCE',
      `wrong expected last sequence on ${subject}: expected ${expected}` +
        (actual === undefined ? '' : `, actual ${actual}`),
      options,
    );
    this.name = 'WrongExpectedSequenceError';
    this.subject = subject;
    this.expected = expected;
    this.actual = actual;
  }
}

export class InvalidSubjectError extends EventLogError {
  readonly subject: string;
  constructor(subject: string, reason: string, options?: ErrorOptions) {
    super('INVALID_SUBJECT', `invalid subject ${JSON.stringify(subject)}: ${reason}`, options);
    this.name = 'InvalidSubjectError';
    this.subject = subject;
  }
}

/** The stream exists with a configuration that breaks the log's rules (subjects, storage, limits...). */
export class StreamConfigMismatchError extends EventLogError {
  readonly stream: string;
  readonly differences: readonly string[];
  constructor(stream: string, differences: readonly string[], options?: ErrorOptions) {
    super(
      'STREAM_CONFIG_MISMATCH',
      `stream ${stream} exists with an incompatible configuration: ${differences.join('; ')}`,
      options,
    );
    this.name = 'StreamConfigMismatchError';
    this.stream = stream;
    this.differences = differences;
  }
}


/** The log refused the append for a reason other than the expected sequence (too large, bad header...). */
export class AppendRejectedError extends EventLogError {
  constructor(message: string, options?: ErrorOptions) {
    super('APPEND_REJECTED', message, options);
    this.name = 'AppendRejectedError';
  }
}
