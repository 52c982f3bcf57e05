import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { parse as parseYaml } from 'yaml';
import type { EventLog } from '@flotilla/eventlog';
import { DEFAULT_TOLERATION_SECONDS, type DefaultTolerationOptions } from '@flotilla/model';
import type { ContainerLogsRequester } from '@flotilla/node-rpc';
import type { LiveProjection, Logger } from '@flotilla/service-kit';
import { ApiError, type KubeStatus } from './api-status.ts';
import { WatchHub } from './watch-hub.ts';
import { registerPodRoutes } from './routes/pods.ts';
import { registerNodeRoutes } from './routes/nodes.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerSchedulingRoutes } from './routes/scheduling.ts';
import { registerLogRoutes } from './routes/logs.ts';
import { registerEvictionRoutes } from './routes/eviction.ts';
import { registerReplicaSetRoutes } from './routes/replica-sets.ts';
import { Writer } from './writer.ts';
import { createApiMetrics, registerMetricsRoutes } from './metrics.ts';
import { TimeTravel, type FoldBase } from './time-travel.ts';
import { registerHistoryRoutes } from './routes/history.ts';
import { registerOpenApiRoutes } from './openapi.ts';
import { registerUiRoutes } from './routes/ui.ts';

export interface ApiServerOptions {
  log: EventLog;
  /** Starting points for `?at=` folds besides the cache (a SnapshotFoldBase over the snapshot store). */
  timeTravelBases?: FoldBase[];
  projection: LiveProjection;
  logger: Logger;
  /** Wall clock for server-assigned times; injectable for tests. */
  now?: () => Date;
  /** Request body limit in bytes (Kubernetes uses 3 MiB). */
  bodyLimit?: number;
  /** How long a write may wait for the log and for its own projection before answering 503/504. */
  writeTimeoutMs?: number;
  /** Recent changes kept for resuming watches without reading the log. */
  watchRingSize?: number;
  /** Interval of SSE keep-alive comments. */
  watchHeartbeatMs?: number;
  /** Asks node agents for container logs (node-rpc over NATS); without it the log route answers 503. */
  containerLogs?: ContainerLogsRequester;
  /** How long the log route waits for a node agent's first reply (node-rpc's default when unset). */
  logFirstReplyTimeoutMs?: number;
  /** tolerationSeconds of the not-ready / unreachable NoExecute tolerations added to pods lacking them (DefaultTolerationSeconds admission; 300 each). */
  defaultNotReadyTolerationSeconds?: number;
  defaultUnreachableTolerationSeconds?: number;
}

export interface ApiContext {
  log: EventLog;
  projection: LiveProjection;
  logger: Logger;
  writer: Writer;
  hub: WatchHub;
  now: () => Date;
  watchHeartbeatMs: number;
  containerLogs?: ContainerLogsRequester;
  logFirstReplyTimeoutMs?: number;
  /** For withDefaultTolerations on pod create. */
  defaultTolerationSeconds: DefaultTolerationOptions;
  /** Past states for `?at=`, history and diff. */
  timeTravel: TimeTravel;
}

export async function buildApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const now = options.now ?? (() => new Date());
  const app = Fastify({ bodyLimit: options.bodyLimit ?? 3 * 1024 * 1024, logger: false, return503OnClosing: true, forceCloseConnections: true });
  const hub = new WatchHub(options.watchRingSize ?? 50_000, options.projection.state.seq);
  options.projection.onApplied((record, changes) => hub.publish(record.seq, changes));
  // The routes write through `metrics.log`, which times each append.
  const metrics = createApiMetrics({ log: options.log, projection: options.projection });
  const context: ApiContext = {
    log: metrics.log,
    projection: options.projection,
    logger: options.logger,
    hub,
    now,
    watchHeartbeatMs: options.watchHeartbeatMs ?? 15_000,
    ...(options.containerLogs ? { containerLogs: options.containerLogs } : {}),
    ...(options.logFirstReplyTimeoutMs !== undefined ? { logFirstReplyTimeoutMs: options.logFirstReplyTimeoutMs } : {}),
    timeTravel: new TimeTravel(options.log, { bases: options.timeTravelBases ?? [] }),
    writer: new Writer(metrics.log, options.projection, { timeoutMs: options.writeTimeoutMs ?? 10_000, now }),
    defaultTolerationSeconds: {
      notReadySeconds: options.defaultNotReadyTolerationSeconds ?? DEFAULT_TOLERATION_SECONDS,
      unreachableSeconds: options.defaultUnreachableTolerationSeconds ?? DEFAULT_TOLERATION_SECONDS,
    },
  };

  // kubectl sends JSON; people also paste YAML.
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseYaml(String(body)));
    } catch (error) {
      done(new ApiError('BadRequest', `request body is not valid YAML: ${(error as Error).message}`), undefined);
    }
  });

  // PATCH bodies: a JSON merge patch (kubectl's --type merge) or a strategic merge patch (its default);
  // for the fields Flotilla lets a patch change (scalars) the two mean the same.
  // A JSON patch (a list of operations) is parsed only to be refused with a clear message by the route.
  app.addContentTypeParser(['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(String(body)) as unknown);
    } catch (error) {
      done(new ApiError('BadRequest', `request body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });

  app.setErrorHandler(async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const status = toStatus(error);
    // An early 413 while the client is still sending makes most clients see a reset (EPIPE) instead
    // of the answer: read and discard the rest first, up to a bound, as nginx's lingering close does.
    if (status.reason === 'RequestEntityTooLarge') await drainRequestBody(request, 64 * 1024 * 1024);
    if (status.code >= 500) {
      const level = status.code === 503 || status.code === 504 ? 'warn' : 'error';
      options.logger[level]('request failed', { method: request.method, url: request.url, error });
    }
    if (status.reason === 'ServiceUnavailable') void reply.header('Retry-After', '1');
    void reply.code(status.code).send(status);
  });
  app.setNotFoundHandler((request, reply) => {
    const status = new ApiError('NotFound', `the server could not find the requested resource (${request.method} ${request.url.split('?')[0]})`).status;
    void reply.code(404).send(status);
  });

  registerOpenApiRoutes(app); // first: it collects the routes registered after it
  registerUiRoutes(app);
  registerMetricsRoutes(app, metrics);
  registerHealthRoutes(app, context);
  registerPodRoutes(app, context);
  registerLogRoutes(app, context);
  registerSchedulingRoutes(app, context);
  registerEvictionRoutes(app, context);
  registerNodeRoutes(app, context);
  registerReplicaSetRoutes(app, context);
  registerEventRoutes(app, context);
  registerHistoryRoutes(app, context);
  return app;
}

function drainRequestBody(request: FastifyRequest, maxBytes: number): Promise<void> {
  const raw = request.raw;
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = (): void => {
      raw.off('data', onData);
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > maxBytes) {
        raw.off('data', onData);
        raw.pause();
        resolve();
      }
    };
    raw.on('data', onData);
    raw.once('end', done);
    raw.once('close', done);
    raw.resume();
  });
}

function toStatus(error: unknown): KubeStatus {
  if (error instanceof ApiError) return error.status;
  const fastifyError = error as { code?: string; statusCode?: number; message?: string };
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('RequestEntityTooLarge', `request body is larger than the limit: ${fastifyError.message ?? ''}`.trim()).status;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('UnsupportedMediaType', `${fastifyError.message ?? 'unsupported media type'}; send application/json or application/yaml`).status;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('BadRequest', 'request body is empty; send a JSON or YAML manifest').status;
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case undefined:
      break;
    default:
      if (fastifyError.statusCode && fastifyError.statusCode < 500) {
        return new ApiError('BadRequest', fastifyError.message ?? 'bad request', undefined, fastifyError.statusCode).status;
      }
  }
  if (error instanceof SyntaxError || fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new ApiError('BadRequest', `request body is not valid JSON: ${fastifyError.message ?? ''}`).status;
  }
  return new ApiError('InternalError', `internal error: ${fastifyError.message ?? String(error)}`).status;
}
