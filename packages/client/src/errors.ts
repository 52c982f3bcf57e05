import type { KubeStatus, StatusCause } from './types.ts';

/** Reasons for HTTP codes when the body is not a `Status` (a proxy page, an empty body). */
const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function isKubeStatus(value: unknown): value is KubeStatus {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}

/** The API answered with an error status; `reason` is the stable code to switch on. */
export class ApiError extends Error {
  /** HTTP status code. */
  readonly status: number;
  /** Kubernetes reason: AlreadyExists, NotFound, Invalid, BadRequest, Gone, ... */
  readonly reason: string;
  readonly causes: StatusCause[];
  readonly details: KubeStatus['details'];
  /** The `Status` object, when the server sent one. */
  readonly body: KubeStatus | undefined;
  readonly warnings: string[];
  readonly method: string;
  readonly path: string;

  constructor(init: { status: number; body: unknown; text?: string; warnings?: string[]; method: string; path: string }) {
    const body = isKubeStatus(init.body) ? init.body : undefined;
    const snippet = (init.text ?? '').trim().slice(0, 200);
    const message = body?.message ?? `the server answered ${init.method} ${init.path} with HTTP ${init.status}${snippet ? `: ${snippet}` : ''}`;
    super(message);
    this.name = 'ApiError';
    this.status = body?.code ?? init.status;
    this.reason = body?.reason ?? REASON_BY_CODE[init.status] ?? (init.status >= 500 ? 'InternalError' : 'BadRequest');
    this.details = body?.details;
    this.causes = body?.details?.causes ?? [];
    this.body = body;
    this.warnings = init.warnings ?? [];
    this.method = init.method;
    this.path = init.path;
  }
}

const UNKNOWN_OUTCOME = 'the outcome is unknown: the change may or may not have been applied. Check with `flotilla get` before retrying';

/** The API could not be reached (connection refused, DNS failure, connection dropped). */
export class ApiUnreachableError extends Error {
  readonly server: string;
  /** True for a write whose request may have reached the server before the connection broke. */
  readonly outcomeUnknown: boolean;

  constructor(server: string, cause: unknown, options: { outcomeUnknown?: boolean; method?: string; path?: string } = {}) {
    const outcome = options.outcomeUnknown ? ` For ${options.method ?? 'the request'} ${options.path ?? ''}`.trimEnd() + `, ${UNKNOWN_OUTCOME}.` : '';
    super(
      `cannot reach the Flotilla API at ${server}: ${describeCause(cause)}. Is the cluster running? Start it with \`npm start\`, or point --server / FLOTILLA_SERVER at it.${outcome}`,
      { cause },
    );
    this.name = 'ApiUnreachableError';
    this.server = server;
    this.outcomeUnknown = options.outcomeUnknown ?? false;
  }
}

/** No answer within the request timeout. For writes the outcome is unknown. */
export class ApiTimeoutError extends Error {
  readonly server: string;
  readonly timeoutMs: number;
  readonly method: string;
  readonly path: string;
  readonly outcomeUnknown: boolean;

  constructor(init: { server: string; timeoutMs: number; method: string; path: string }) {
    const write = init.method !== 'GET' && init.method !== 'HEAD';
    super(
      `no answer from the Flotilla API at ${init.server} within ${formatMs(init.timeoutMs)} for ${init.method} ${init.path}` +
        (write ? `; ${UNKNOWN_OUTCOME}` : ''),
    );
    this.name = 'ApiTimeoutError';
    this.server = init.server;
    this.timeoutMs = init.timeoutMs;
    this.method = init.method;
    this.path = init.path;
    this.outcomeUnknown = write;
  }
}

/** A streamed answer (a log) broke off before its end: the connection dropped or the server cut it. */
export class ApiStreamError extends Error {
  readonly server: string;
  readonly path: string;

  constructor(server: string, path: string, cause: unknown) {
    super(
      `the stream from the Flotilla API at ${server} for GET ${path} broke off before its end: ${describeCause(cause)}. What arrived may be incomplete; the API's log says why`,
      { cause },
    );
    this.name = 'ApiStreamError';
    this.server = server;
    this.path = path;
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The most useful text of a fetch failure: undici wraps the socket error in `cause`. */
export function describeCause(cause: unknown): string {
  let current: unknown = cause;
  // `TypeError: fetch failed` says nothing; its cause says what happened.
  for (let depth = 0; depth < 4; depth++) {
    if (!(current instanceof Error)) break;
    const inner = (current as { cause?: unknown }).cause;
    if (current.message === 'fetch failed' && inner !== undefined) {
      current = inner;
      continue;
    }
    if (current instanceof AggregateError && current.message === '') {
      const parts = current.errors.map((e) => describeCause(e));
      return [...new Set(parts)].join('; ');
    }
    const code = (current as { code?: unknown }).code;
    if (current.message) return current.message;
    if (typeof code === 'string') return code;
    break;
  }
  if (current instanceof Error) return current.name;
  return String(current);
}

/** Socket error codes that mean the request never reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL']);

export function requestWasNotSent(cause: unknown): boolean {
  let current: unknown = cause;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return true;
    if (current instanceof AggregateError) return current.errors.every((e) => requestWasNotSent(e));
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
