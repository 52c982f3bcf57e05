// The API over an in-memory event log, for the route specs: a server, its projection, and a way to
// append what other services would (bindings, node reports).
import type { FastifyInstance } from 'fastify';
import { MemoryEventLog, type RecordedEvent } from '@flotilla/eventlog';
import { envelope, msgIdFor, subjectFor, type DomainEvent } from '@flotilla/events';
import { LiveProjection, createLogger } from '@flotilla/service-kit';
import { buildApiServer, type ApiServerOptions } from './server.ts';

export interface Harness {
  log: MemoryEventLog;
  projection: LiveProjection;
  app: FastifyInstance;
  /** Appends an event as another service would and waits until the API's fold applied it. */
  append(event: DomainEvent, discriminator?: string): Promise<number>;
  /** Every record in the log, in order. */
  records(): Promise<RecordedEvent[]>;
  /** A second API replica over the same log. */
  replica(): Promise<FastifyInstance>;
  close(): Promise<void>;
}

export async function startHarness(options: Partial<ApiServerOptions> = {}): Promise<Harness> {
  const log = new MemoryEventLog();
  const started: Array<{ app: FastifyInstance; projection: LiveProjection }> = [];
  const start = async () => {
    const projection = new LiveProjection(log);
    await projection.start();
    const app = await buildApiServer({ log, projection, logger: createLogger('api-test', {}, 'error'), writeTimeoutMs: 1000, ...options });
    started.push({ app, projection });
    return { app, projection };
  };
  const { app, projection } = await start();
  return {
    log,
    projection,
    app,
    async append(event, discriminator) {
      const { seq } = await log.append({ subject: subjectFor(event), msgId: msgIdFor(event, discriminator), event: envelope(event, { source: 'test', time: new Date().toISOString() }) });
      await projection.waitFor(seq, 1000);
      return seq;
    },
    async records() {
      const out: RecordedEvent[] = [];
      for await (const record of log.read(1)) out.push(record);
      return out;
    },
    async replica() {
      return (await start()).app;
    },
    async close() {
      for (const s of started) {
        await s.app.close();
        await s.projection.stop();
      }
      await log.close();
    },
  };
}

export const podManifest = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m' } } }], ...extra },
});

export const nodeManifest = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { capacity: { cpu: '4', memory: '8Gi' } } });

export const replicaSetManifest = (name: string, replicas?: number, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name, labels: { app: name } },
  spec: {
    ...(replicas !== undefined ? { replicas } : {}),
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name, tier: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    ...extra,
  },
});
