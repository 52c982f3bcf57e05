// GET /metrics for the services: Prometheus text comes from prom-client registries (see
// service-metrics.ts for the families every service shares); this file holds the tiny HTTP server
// the scheduler, controller and node agent expose it on, and a parser for tests and e2e checks.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';

/** Prometheus text exposition format 0.0.4 (what prom-client renders). */
export const METRICS_CONTENT_TYPE: string = Registry.PROMETHEUS_CONTENT_TYPE;

export interface MetricsServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** A tiny HTTP server: GET /metrics (and /healthz); everything else is 404. */
export async function startMetricsServer(port: number, host: string, render: () => string | Promise<string>): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      // Collectors may be async (the event-log lag asks the server for its last sequence).
      Promise.resolve()
        .then(render)
        .then(
          (body) => response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(request.method === 'HEAD' ? undefined : body),
          (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`),
        );
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export class MetricsParseError extends Error {
  constructor(readonly line: number, readonly text: string) {
    super(`line ${line} is not a Prometheus sample: ${JSON.stringify(text)}`);
    this.name = 'MetricsParseError';
  }
}

// name, optional {labels} (quoted values may hold escaped quotes, spaces, commas), value, optional timestamp.
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (-?(?:[0-9.e+-]+|Inf|\+Inf|NaN))(?: -?[0-9]+)?$/;

/**
 * Parses Prometheus text into `name{labels}` -> value (for tests and the e2e checks); label order
 * is as rendered. Throws MetricsParseError on a line that is neither a comment nor a sample, so a
 * test that parses a body also checks it is valid exposition text.
 */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line === '' || line.startsWith('#')) return;
    const match = SAMPLE.exec(line);
    if (!match) throw new MetricsParseError(index + 1, line);
    const raw = match[2]!;
    out.set(match[1]!, raw === '+Inf' || raw === 'Inf' ? Number.POSITIVE_INFINITY : raw === '-Inf' ? Number.NEGATIVE_INFINITY : Number(raw));
  });
  return out;
}
