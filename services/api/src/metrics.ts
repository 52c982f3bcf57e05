// The API's /metrics: requests by route and code under kube-apiserver's names, plus the event-log
// families every service has. Served on the API's own port (GET /metrics).
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EventLog } from '@flotilla/eventlog';
import { FAST_DURATION_BUCKETS, METRICS_CONTENT_TYPE, createMetricsRegistry, instrumentAppends, registerEventLogMetrics, type LiveProjection } from '@flotilla/service-kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  /** The log with its appends timed (flotilla_eventlog_append_duration_seconds): the API writes through it. */
  log: EventLog;
}

export function createApiMetrics(options: { log: EventLog; projection: LiveProjection }): ApiMetrics {
  const registry = createMetricsRegistry();
  const { observeAppend } = registerEventLogMetrics(registry, { log: options.log, appliedSeq: () => options.projection.state.seq });
  return { registry, log: instrumentAppends(options.log, observeAppend) };
}

/** What kube-apiserver calls the verb: WATCH for `?watch=true`, else the HTTP method. */
function verbOf(request: FastifyRequest): string {
  const watch = (request.query as Record<string, unknown> | undefined)?.watch;
  return watch === 'true' || watch === '1' || watch === true ? 'WATCH' : request.method;
}

/** Counts every request when its response closes (also streamed, hijacked ones), and serves GET /metrics. */
export function registerMetricsRoutes(app: FastifyInstance, metrics: ApiMetrics): void {
  const requests = new Counter({
    name: 'apiserver_request_total',
    help: 'Counter of API requests, by verb, route (the route pattern, or "unmatched") and HTTP response code.',
    labelNames: ['verb', 'route', 'code'],
    registers: [metrics.registry],
  });
  const duration = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'Response latency in seconds, by verb and route (WATCH requests are long-running and not observed).',
    labelNames: ['verb', 'route'],
    buckets: FAST_DURATION_BUCKETS,
    registers: [metrics.registry],
  });
  const longRunning = new Gauge({
    name: 'apiserver_longrunning_requests',
    help: 'Open WATCH requests, by route.',
    labelNames: ['verb', 'route'],
    registers: [metrics.registry],
  });

  app.addHook('onRequest', (request, reply, done) => {
    const started = performance.now();
    // The query is parsed by now; the route is known (undefined for a 404).
    const labels = { verb: verbOf(request), route: request.routeOptions.url ?? 'unmatched' };
    if (labels.verb === 'WATCH') longRunning.inc(labels);
    reply.raw.once('close', () => {
      requests.inc({ ...labels, code: String(reply.raw.statusCode) });
      if (labels.verb === 'WATCH') longRunning.dec(labels);
      else duration.observe(labels, (performance.now() - started) / 1000);
    });
    done();
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.header('content-type', METRICS_CONTENT_TYPE).send(body);
  });
}
