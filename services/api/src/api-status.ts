// Errors as Kubernetes `Status` objects. `reason` is the stable error code clients switch on.

export type StatusReason =
  | 'BadRequest'
  | 'Invalid'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'MethodNotAllowed'
  | 'ServiceUnavailable'
  | 'Timeout'
  | 'InternalError';

export interface StatusCause {
  field: string;
  message: string;
  reason: string;
}

export interface KubeStatus {
  apiVersion: 'v1';
  kind: 'Status';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: StatusReason;
  code: number;
  details?: { name?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
}

const CODES: Record<StatusReason, number> = {
  BadRequest: 400,
  // Kubernetes answers 422 here; Flotilla's contract (and most clients' expectation) is 400.
  Invalid: 400,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  MethodNotAllowed: 405,
  ServiceUnavailable: 503,
  Timeout: 504,
  InternalError: 500,
};

/** An error a route throws to answer with a Status; the error handler renders it. */
export class ApiError extends Error {
  readonly status: KubeStatus;
  constructor(reason: StatusReason, message: string, details?: KubeStatus['details'], code?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
    this.status = {
      apiVersion: 'v1',
      kind: 'Status',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code: code ?? CODES[reason],
      ...(details ? { details } : {}),
    };
  }
}

export function notFound(kind: string, name: string): ApiError {
  return new ApiError('NotFound', `${kind} "${name}" not found`, { name, kind });
}

export function alreadyExists(kind: string, name: string): ApiError {
  return new ApiError('AlreadyExists', `${kind} "${name}" already exists`, { name, kind });
}
