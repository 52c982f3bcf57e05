import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../server.ts';

export function registerHealthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/livez', () => ({ status: 'ok' }));
  // Ready when connected to the log: reads would otherwise serve a stale projection and writes fail.
  app.get('/readyz', async (_request, reply) => {
    const status = ctx.log.status();
    const body = { status: status.connected ? 'ok' : 'unavailable', eventLog: status, appliedSeq: ctx.projection.state.seq };
    return reply.code(status.connected ? 200 : 503).send(body);
  });
  app.get('/version', () => ({ gitVersion: 'flotilla-0.1.0', platform: `${process.platform}/${process.arch}` }));
}
