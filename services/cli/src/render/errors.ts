import { ApiError, ApiTimeoutError, ApiUnreachableError } from '@flotilla/client';

// Errors worded as kubectl words them (`Error from server (NotFound): pods "x" not found`).

const KIND_BY_RESOURCE: Record<string, string> = { pods: 'Pod', nodes: 'Node', events: 'Event', replicasets: 'ReplicaSet', 'replicasets.apps': 'ReplicaSet' };

export interface ErrorContext {
  /** `error when creating "pod.yaml"` (kubectl's wording for -f). */
  action?: string;
  /** Kind and name to use when the Status does not say. */
  kind?: string;
  name?: string;
}

/** The text to print on stderr for a failed call (ends with a newline). */
export function formatError(error: unknown, context: ErrorContext = {}): string {
  if (error instanceof ApiError) {
    if (error.causes.length > 0 && (error.reason === 'Invalid' || error.status === 400 || error.status === 422)) {
      const kind = KIND_BY_RESOURCE[error.details?.kind ?? ''] ?? error.details?.kind ?? context.kind ?? 'object';
      const name = error.details?.name || context.name || '';
      const causes = error.causes.map((cause) => `* ${cause.field ? `${cause.field}: ` : ''}${cause.message}`);
      return `The ${kind} ${JSON.stringify(name)} is invalid:\n${causes.join('\n')}\n`;
    }
    const action = context.action ? `${context.action}: ` : '';
    return `Error from server (${error.reason}): ${action}${error.message}\n`;
  }
  if (error instanceof ApiUnreachableError || error instanceof ApiTimeoutError) return `${error.message}\n`;
  const message = error instanceof Error ? error.message : String(error);
  return `error: ${message}\n`;
}

/** Unreachable and timed-out APIs fail every further call the same way. */
export function isFatal(error: unknown): boolean {
  return error instanceof ApiUnreachableError;
}
