// The web dashboard: three static files (no build step, no framework), served from memory.
// They talk to the same public API as the CLI (lists, SSE watches, events, scheduling, logs).
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../api-status.ts';

const CONTENT_TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** Reads the dashboard's files once; an unknown name is a 404, so nothing else on disk is reachable. */
export function loadUiFiles(dir: URL = new URL('../ui/', import.meta.url)): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const [name, type] of Object.entries(CONTENT_TYPES)) files.set(name, { body: readFileSync(new URL(name, dir)), type });
  return files;
}

export function registerUiRoutes(app: FastifyInstance): void {
  const files = loadUiFiles();
  const send = (name: string) => {
    const file = files.get(name);
    if (!file) throw new ApiError('NotFound', `the dashboard has no file ${JSON.stringify(name)}`);
    return file;
  };
  // no-cache: the browser revalidates, so a new build of the API never runs an old app.js.
  app.get('/ui', async (_request, reply) => {
    const file = send('index.html');
    return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
  });
  // `/ui/` (the hash routes live after it) arrives here with an empty file name.
  app.get<{ Params: { file: string } }>('/ui/:file', async (request, reply) => {
    const file = send(request.params.file === '' ? 'index.html' : request.params.file);
    return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
  });
}
