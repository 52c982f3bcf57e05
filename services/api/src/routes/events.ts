import type { FastifyInstance } from 'fastify';
import type { KubeEvent, StateChange } from '@flotilla/state';
import type { ApiContext } from '../server.ts';
import { fieldFilter, isWatch, type ListQuery } from './query.ts';
import { parseResourceVersion, serveWatch } from './watch.ts';

const EVENT_FIELDS: Record<string, (event: KubeEvent) => string | undefined> = {
  'involvedObject.name': (event) => event.involvedObject.name,
  'involvedObject.kind': (event) => event.involvedObject.kind,
  'involvedObject.uid': (event) => event.involvedObject.uid,
  'involvedObject.namespace': (event) => event.involvedObject.namespace,
  reason: (event) => event.reason,
  type: (event) => event.type,
};

export function registerEventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const list = async (namespace: string | undefined, query: ListQuery, reply: Parameters<typeof serveWatch>[1], request: Parameters<typeof serveWatch>[0]) => {
    const byFields = fieldFilter(query.fieldSelector, EVENT_FIELDS);
    const selected = (event: KubeEvent): boolean => (namespace === undefined || event.metadata.namespace === namespace) && byFields(event);
    if (isWatch(query)) {
      await serveWatch(
        request,
        reply,
        ctx,
        {
          accepts: (change: StateChange) => change.kind === 'Event' && selected(change.object),
          initial: () => ctx.projection.state.events.filter(selected).map((event) => ({ seq: Number(event.metadata.resourceVersion), object: event })),
        },
        query.resourceVersion,
      );
      return reply;
    }
    parseResourceVersion(query.resourceVersion);
    const items = ctx.projection.state.events.filter(selected);
    return { apiVersion: 'v1', kind: 'EventList', metadata: { resourceVersion: String(ctx.projection.state.seq) }, items };
  };
  app.get<{ Querystring: ListQuery }>('/api/v1/events', (request, reply) => list(undefined, request.query, reply, request));
  app.get<{ Params: { ns: string }; Querystring: ListQuery }>('/api/v1/namespaces/:ns/events', (request, reply) =>
    list(request.params.ns, request.query, reply, request),
  );
}
