import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Pod } from '@flotilla/model';
import {
  ContainerLogsRequestError,
  NodeAgentTimeoutError,
  NodeAgentUnavailableError,
  NodeRpcError,
  containerLogStatusProblem,
  containerNames,
  findContainer,
} from '@flotilla/node-rpc';
import { ApiError, notFound } from '../api-status.ts';
import type { ApiContext } from '../server.ts';

// GET .../pods/{name}/log: the API checks what the fold can tell (pod, container, has it started),
// then asks the node agent hosting the pod over NATS (node-rpc) and streams its answer as text.

type QueryValue = string | string[] | undefined;

export interface LogQuery {
  container?: QueryValue;
  follow?: QueryValue;
  previous?: QueryValue;
  timestamps?: QueryValue;
  tailLines?: QueryValue;
  limitBytes?: QueryValue;
  sinceSeconds?: QueryValue;
  sinceTime?: QueryValue;
}

export interface LogOptions {
  container: string | undefined;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines: number | undefined;
  limitBytes: number | undefined;
  /** Only lines at or after this time (from sinceSeconds or sinceTime). */
  sinceMs: number | undefined;
}

export function registerLogRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: { ns: string; name: string }; Querystring: LogQuery }>('/api/v1/namespaces/:ns/pods/:name/log', async (request, reply) => {
    const { ns, name } = request.params;
    const options = parseLogQuery(request.query, ctx.now());
    const record = ctx.projection.state.pods.get(`${ns}/${name}`);
    if (!record) throw notFound('pods', name);
    const pod = record.pod;
    const container = chooseContainer(pod, options.container);
    const problem = containerLogStatusProblem(pod, container, options.previous);
    if (problem !== undefined) throw new ApiError('BadRequest', problem);
    const nodeName = record.nodeName;
    if (nodeName === undefined) throw new ApiError('BadRequest', `container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
    // Fastify answers HEAD with this handler too: the checks above are the answer, no node is asked.
    if (request.method === 'HEAD') return reply.code(200).type('text/plain; charset=utf-8').send();
    if (!ctx.containerLogs) {
      throw new ApiError('ServiceUnavailable', 'container logs are not available: this API server has no connection to the node agents');
    }

    const controller = new AbortController();
    const onClose = (): void => controller.abort(new Error('the client closed the connection'));
    reply.raw.once('close', onClose);
    const stream = ctx.containerLogs(
      nodeName,
      {
        namespace: ns,
        name,
        uid: pod.metadata.uid,
        container,
        previous: options.previous,
        follow: options.follow,
        // Filtering by time needs each line's time; it is stripped again unless the client asked.
        timestamps: options.timestamps || options.sinceMs !== undefined,
        ...(options.tailLines !== undefined ? { tailLines: options.tailLines } : {}),
      },
      { signal: controller.signal, ...(ctx.logFirstReplyTimeoutMs !== undefined ? { firstReplyTimeoutMs: ctx.logFirstReplyTimeoutMs } : {}) },
    );
    const iterator = stream[Symbol.asyncIterator]();
    let first: IteratorResult<string> | undefined;
    try {
      await stream.opened;
      // A plain read answers fast: wait for its first piece so that a failure still gets its status
      // code. A follow may wait long for output, so it answers 200 as soon as the agent accepted.
      if (!options.follow) first = await iterator.next();
    } catch (error) {
      stream.cancel();
      reply.raw.off('close', onClose);
      if (controller.signal.aborted) return abandon(reply);
      throw nodeError(error, nodeName);
    }

    reply.raw.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
    });
    // Headers now: a follow may be silent for long, and the client should know it is connected.
    reply.raw.flushHeaders();
    reply.hijack();
    const output = new LogOutput(options);
    try {
      let next = first ?? (await iterator.next());
      while (!next.done) {
        const piece = output.push(next.value);
        if (piece.length > 0) await write(reply, piece);
        if (output.full || controller.signal.aborted) break;
        next = await iterator.next();
      }
      if (!controller.signal.aborted) {
        const rest = output.end();
        if (rest.length > 0) await write(reply, rest);
        reply.raw.end();
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      ctx.logger.warn('container log stream broke', { pod: `${ns}/${name}`, container, nodeName, error });
      // No clean end: the client sees a cut-off chunked body instead of a log that looks complete.
      reply.raw.destroy(error instanceof Error ? error : new Error(String(error)));
    } finally {
      reply.raw.off('close', onClose);
      await iterator.return?.();
    }
  });
}

/** The container to read: the named one, or the only app container (as the kube-apiserver picks). */
export function chooseContainer(pod: Pod, requested: string | undefined): string {
  const name = pod.metadata.name;
  if (requested !== undefined && requested !== '') {
    if (!findContainer(pod, requested)) throw new ApiError('BadRequest', `container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  const { containers, initContainers } = containerNames(pod);
  if (containers.length === 1) return containers[0]!;
  const init = initContainers.length > 0 ? ` or one of the init containers: [${initContainers.join(' ')}]` : '';
  throw new ApiError('BadRequest', `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]${init}`);
}

export function parseLogQuery(query: LogQuery, now: Date): LogOptions {
  const sinceSeconds = integer(query, 'sinceSeconds', 1);
  const sinceTime = first(query.sinceTime);
  if (sinceSeconds !== undefined && sinceTime !== undefined && sinceTime !== '') {
    throw new ApiError('BadRequest', 'at most one of sinceTime or sinceSeconds may be specified');
  }
  let sinceMs: number | undefined;
  if (sinceSeconds !== undefined) sinceMs = now.getTime() - sinceSeconds * 1000;
  else if (sinceTime !== undefined && sinceTime !== '') {
    sinceMs = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(sinceTime) ? Date.parse(sinceTime) : Number.NaN;
    if (Number.isNaN(sinceMs)) throw new ApiError('BadRequest', `sinceTime: invalid value ${JSON.stringify(sinceTime)}: must be an RFC 3339 time, e.g. 2024-05-01T12:00:00Z`);
  }
  return {
    container: first(query.container),
    follow: boolean(query, 'follow'),
    previous: boolean(query, 'previous'),
    timestamps: boolean(query, 'timestamps'),
    tailLines: integer(query, 'tailLines', 0),
    limitBytes: integer(query, 'limitBytes', 1),
    sinceMs,
  };
}

function first(value: QueryValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function boolean(query: LogQuery, key: 'follow' | 'previous' | 'timestamps'): boolean {
  const raw = first(query[key]);
  if (raw === undefined) return false;
  // `?follow` alone means true, as in Kubernetes.
  const value = raw.toLowerCase();
  if (value === '' || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ApiError('BadRequest', `${key}: invalid value ${JSON.stringify(raw)}: must be true or false`);
}

function integer(query: LogQuery, key: 'tailLines' | 'limitBytes' | 'sinceSeconds', min: 0 | 1): number | undefined {
  const raw = first(query[key]);
  if (raw === undefined || raw === '') return undefined;
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    const must = min === 0 ? 'must be a non-negative integer' : 'must be a positive integer';
    throw new ApiError('BadRequest', `${key}: invalid value ${JSON.stringify(raw)}: ${must}`);
  }
  return value;
}

/** Maps what the node (or NATS) answered to the Status the client gets. */
export function nodeError(error: unknown, nodeName: string): unknown {
  if (error instanceof ContainerLogsRequestError) {
    // The kubelet answers "no such log" with 400, and so does the API here.
    if (error.reason === 'InternalError') return new ApiError('InternalError', `node ${nodeName} could not read the logs: ${error.message}`, undefined, undefined, { cause: error });
    return new ApiError('BadRequest', error.message, undefined, undefined, { cause: error });
  }
  if (error instanceof NodeAgentUnavailableError) {
    return new ApiError('ServiceUnavailable', `${error.message}: is its node agent running?`, undefined, undefined, { cause: error });
  }
  if (error instanceof NodeAgentTimeoutError) {
    return new ApiError(
      'Timeout',
      `${error.message}; the logs could not be read, and whether the node is still up is unknown (it may be down, overloaded or cut off from NATS)`,
      undefined,
      undefined,
      { cause: error },
    );
  }
  if (error instanceof NodeRpcError) return new ApiError('ServiceUnavailable', error.message, undefined, undefined, { cause: error });
  return error;
}

function abandon(reply: FastifyReply): FastifyReply {
  reply.hijack();
  reply.raw.destroy();
  return reply;
}

/** Writes and waits while the socket's buffer is full, so a slow reader slows the node's stream. */
function write(reply: FastifyReply, chunk: Buffer): Promise<void> {
  const raw = reply.raw;
  if (raw.destroyed || raw.writableEnded) return Promise.resolve();
  if (raw.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      raw.off('drain', done);
      raw.off('close', done);
      resolve();
    };
    raw.on('drain', done);
    raw.on('close', done);
  });
}

/** What the client gets of the node's text: lines since a time (timestamps kept or stripped), cut at limitBytes. */
export class LogOutput {
  private carry = '';
  private remaining: number;
  full = false;

  constructor(private readonly options: Pick<LogOptions, 'limitBytes' | 'sinceMs' | 'timestamps'>) {
    this.remaining = options.limitBytes ?? Number.POSITIVE_INFINITY;
  }

  push(text: string): Buffer {
    if (this.options.sinceMs === undefined) return this.limit(text);
    const lines = (this.carry + text).split('\n');
    this.carry = lines.pop() ?? '';
    return this.limit(lines.map((line) => this.since(`${line}\n`)).join(''));
  }

  /** The last line when the log does not end with a newline. */
  end(): Buffer {
    const rest = this.carry;
    this.carry = '';
    return rest === '' || this.full ? Buffer.alloc(0) : this.limit(this.since(rest));
  }

  private since(line: string): string {
    const space = line.indexOf(' ');
    const time = space > 0 ? Date.parse(line.slice(0, space)) : Number.NaN;
    // A line without a time (not written by a timestamping runtime) is kept as it is.
    if (Number.isNaN(time)) return line;
    if (time < this.options.sinceMs!) return '';
    return this.options.timestamps ? line : line.slice(space + 1);
  }

  private limit(text: string): Buffer {
    if (this.full || text === '') return Buffer.alloc(0);
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length < this.remaining) {
      this.remaining -= bytes.length;
      return bytes;
    }
    // Cut at the byte limit, as Kubernetes does, even inside a character.
    const cut = bytes.subarray(0, this.remaining);
    this.remaining = 0;
    this.full = true;
    return cut;
  }
}
