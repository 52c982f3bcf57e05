// The scheduler's /metrics: Prometheus text exposition format 0.0.4, written by hand (no client
// library). kube-scheduler's names where it has the metric; flotilla_ for the rest.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { QueueStats } from '@flotilla/scheduling';
import type { SchedulerStats } from './scheduler-loop.ts';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Sample {
  labels?: Record<string, string>;
  value: number;
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: Sample[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function renderFamily(family: Family): string {
  const lines = [`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`];
  for (const sample of family.samples) {
    const labels = Object.entries(sample.labels ?? {});
    const labelText = labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
    lines.push(`${family.name}${labelText} ${sample.value}`);
  }
  return lines.join('\n');
}

export interface MetricsSnapshot {
  replica: string;
  profiles: readonly string[];
  stats: Readonly<SchedulerStats>;
  queue: Readonly<QueueStats>;
}

/** The whole /metrics body. */
export function renderMetrics({ replica, profiles, stats, queue }: MetricsSnapshot): string {
  const families: Family[] = [
    {
      name: 'scheduler_schedule_attempts_total',
      help: 'Number of attempts to schedule pods, by the result. "unschedulable" means a pod could not be scheduled, while "error" means an internal scheduler problem.',
      type: 'counter',
      samples: [
        { labels: { result: 'scheduled' }, value: stats.bound },
        { labels: { result: 'unschedulable' }, value: stats.unschedulable },
        { labels: { result: 'error' }, value: stats.errors },
      ],
    },
    {
      name: 'scheduler_pending_pods',
      help: 'Number of pending pods, by the queue type. "active" means number of pods in activeQ; "backoff" means number of pods in backoffQ; "unschedulable" means number of pods in unschedulablePods.',
      type: 'gauge',
      samples: [
        { labels: { queue: 'active' }, value: queue.active },
        { labels: { queue: 'backoff' }, value: queue.backoff },
        { labels: { queue: 'unschedulable' }, value: queue.unschedulable },
      ],
    },
    {
      name: 'flotilla_scheduler_binding_conflicts_total',
      help: "This replica's bindings the fold rejected because another binding took the pod or the node's room first.",
      type: 'counter',
      samples: [{ value: stats.conflicts }],
    },
    {
      name: 'flotilla_scheduler_binding_duplicates_total',
      help: "This replica's decisions not stored because another replica had already written the same attempt (same Nats-Msg-Id).",
      type: 'counter',
      samples: [{ value: stats.duplicates }],
    },
    {
      name: 'flotilla_scheduler_retries_total',
      help: 'Scheduling cycles that retried a pod after a lost binding, a superseded decision or a failed cycle.',
      type: 'counter',
      samples: [{ value: stats.retries }],
    },
    {
      name: 'flotilla_scheduler_append_retries_total',
      help: 'Appends to the event log retried after a timeout or an unreachable server (same Nats-Msg-Id).',
      type: 'counter',
      samples: [{ value: stats.appendRetries }],
    },
    {
      name: 'flotilla_scheduler_info',
      help: 'The replica name and the profiles it schedules for.',
      type: 'gauge',
      samples: [{ labels: { replica, profiles: [...profiles].join(',') }, value: 1 }],
    },
  ];
  return `${families.map(renderFamily).join('\n')}\n`;
}

/** A tiny HTTP server: GET /metrics (and /healthz); everything else is 404. */
export async function startMetricsServer(port: number, host: string, render: () => string): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(request.method === 'HEAD' ? undefined : render());
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

/** Parses Prometheus text into `name{labels}` -> value (for tests and the e2e checks). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
