// `FlotillaClient.logs` against a tiny node:http server: the query it sends, text across chunk
// boundaries, Status errors, follow streams that the caller stops, and streams that break off.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@flotilla/testkit';
import { ApiError, ApiStreamError, ApiTimeoutError, FlotillaClient } from './index.ts';

let server: Server | undefined;

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = undefined;
});

async function collect(iterable: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of iterable) text += chunk;
  return text;
}

describe('FlotillaClient.logs', () => {
  it('sends the options as the query and decodes text split inside a character', async () => {
    let url = '';
    const base = await serve((req, res) => {
      url = req.url ?? '';
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      const bytes = Buffer.from('héllo\nwörld\n', 'utf8');
      res.write(bytes.subarray(0, 2));
      setTimeout(() => res.end(bytes.subarray(2)), 10);
    });
    const client = new FlotillaClient({ server: base });
    const text = await collect(
      client.logs('team a', 'web', { container: 'app', tailLines: 10, previous: true, timestamps: true, limitBytes: 100, sinceSeconds: 5 }),
    );
    expect(text).toBe('héllo\nwörld\n');
    expect(url).toBe('/api/v1/namespaces/team%20a/pods/web/log?container=app&previous=true&timestamps=true&tailLines=10&limitBytes=100&sinceSeconds=5');
  });

  it('throws the Status of a refused request as ApiError', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400, message: 'container "app" in pod "web" is waiting to start: ContainerCreating' }));
    });
    const error = await collect(new FlotillaClient({ server: base }).logs('default', 'web')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ reason: 'BadRequest', status: 400, message: 'container "app" in pod "web" is waiting to start: ContainerCreating' });
  });

  it('follows past the request timeout and ends quietly when the caller aborts', async () => {
    let closed = false;
    const base = await serve((req, res) => {
      expect(req.url).toContain('follow=true');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first\n');
      const timer = setInterval(() => res.write('tick\n'), 20);
      res.on('close', () => {
        closed = true;
        clearInterval(timer);
      });
    });
    const controller = new AbortController();
    const client = new FlotillaClient({ server: base, timeoutMs: 50 });
    const seen: string[] = [];
    for await (const chunk of client.logs('default', 'web', { follow: true, signal: controller.signal })) {
      seen.push(chunk);
      if (seen.join('').split('\n').length > 6) controller.abort();
    }
    expect(seen.join('')).toMatch(/^first\n(tick\n)+/);
    await waitFor(() => closed, 5_000, { description: 'the server sees the connection closed' });
  });

  it('times out a plain read that does not finish within the request timeout', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial\n');
    });
    const error = await collect(new FlotillaClient({ server: base, timeoutMs: 100 }).logs('default', 'web')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiTimeoutError);
  });

  it('throws ApiStreamError when the server cuts the stream off', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first\n');
      setTimeout(() => res.destroy(), 20);
    });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of new FlotillaClient({ server: base }).logs('default', 'web', { follow: true })) seen.push(chunk);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['first\n']);
    expect(error).toBeInstanceOf(ApiStreamError);
    expect((error as Error).message).toMatch(/^the stream from the Flotilla API at http:\/\/127\.0\.0\.1:\d+ for GET \/api\/v1\/namespaces\/default\/pods\/web\/log broke off before its end: /);
  });
});
