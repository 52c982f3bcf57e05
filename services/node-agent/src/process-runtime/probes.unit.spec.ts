import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Container } from '@flotilla/model';
import { waitFor } from '@flotilla/testkit';
import { isProcessAlive } from './container-shim.ts';
import {
  execAttempt,
  httpGetAttempt,
  isLoopbackHost,
  MAX_PROBE_OUTPUT,
  probeUrl,
  resolveProbeHost,
  resolveProbePort,
  resolveTarget,
  sleepAction,
  tcpAttempt,
} from './probes.ts';

// Probe attempts against servers on 127.0.0.1 only.

const servers: Array<Server | TcpServer> = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((done) => server.close(() => done()))));
});

async function httpServer(handler: (path: string, headers: IncomingHttpHeaders) => { status: number; body?: string } | 'hang'): Promise<number> {
  const server = createServer((req, res) => {
    const answer = handler(req.url ?? '', req.headers);
    if (answer === 'hang') return;
    res.statusCode = answer.status;
    res.end(answer.body ?? '');
  });
  server.on('connection', (socket) => sockets.add(socket));
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as AddressInfo).port;
}

/** A port with nothing listening (a server bound and closed again). */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

const container: Container = { name: 'web', command: ['x'], ports: [{ name: 'http', containerPort: 8080 }] };

describe('httpGet', () => {
  it('succeeds on 2xx and 3xx with the request the kubelet sends', async () => {
    let seen: { path: string; headers: IncomingHttpHeaders } | undefined;
    const port = await httpServer((path, headers) => {
      seen = { path, headers };
      return path === '/moved' ? { status: 302 } : { status: 200, body: ' ok \n' };
    });
    const ok = await httpGetAttempt({ host: '127.0.0.1', port, path: '/healthz?x=1', headers: [{ name: 'X-Probe', value: 'yes' }], timeoutMs: 2_000 });
    expect(ok).toEqual({ success: true, message: 'ok' });
    expect(seen?.path).toBe('/healthz?x=1');
    expect(seen?.headers['user-agent']).toBe('kube-probe/1.33');
    expect(seen?.headers['x-probe']).toBe('yes');
    expect(await httpGetAttempt({ host: '127.0.0.1', port, path: '/moved', timeoutMs: 2_000 })).toEqual({ success: true });
  });

  it('lets a probe header replace a default one', async () => {
    let agent: string | undefined;
    const port = await httpServer((_, headers) => {
      agent = headers['user-agent'];
      return { status: 204 };
    });
    await httpGetAttempt({ host: '127.0.0.1', port, headers: [{ name: 'user-agent', value: 'mine' }], timeoutMs: 2_000 });
    expect(agent).toBe('mine');
  });

  it('fails on 4xx and 5xx with the kubelet message, unless any status will do (hooks)', async () => {
    const port = await httpServer(() => ({ status: 503, body: 'down' }));
    expect(await httpGetAttempt({ host: '127.0.0.1', port, timeoutMs: 2_000 })).toEqual({ success: false, message: 'HTTP probe failed with statuscode: 503' });
    expect(await httpGetAttempt({ host: '127.0.0.1', port, timeoutMs: 2_000, anyStatus: true })).toEqual({ success: true, message: 'down' });
  });

  it('fails when nothing listens and when the answer does not come in time', async () => {
    const refused = await closedPort();
    expect(await httpGetAttempt({ host: '127.0.0.1', port: refused, path: '/x', timeoutMs: 2_000 })).toEqual({
      success: false,
      message: `Get "http://127.0.0.1:${refused}/x": dial tcp 127.0.0.1:${refused}: connect: connection refused`,
    });
    const port = await httpServer(() => 'hang');
    expect(await httpGetAttempt({ host: '127.0.0.1', port, path: '/slow', timeoutMs: 100 })).toEqual({
      success: false,
      message: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
  });

  it('keeps at most 10 KiB of the body', async () => {
    const port = await httpServer(() => ({ status: 200, body: 'y'.repeat(MAX_PROBE_OUTPUT * 3) }));
    const result = await httpGetAttempt({ host: '127.0.0.1', port, timeoutMs: 2_000 });
    expect(result.success).toBe(true);
    expect(result.message?.length).toBe(MAX_PROBE_OUTPUT);
  });

  it('formats the URL as the kubelet does', () => {
    expect(probeUrl({ host: '10.0.0.5', port: 80, path: 'healthz' })).toBe('http://10.0.0.5:80/healthz');
    expect(probeUrl({ host: '::1', port: 443, scheme: 'HTTPS' })).toBe('https://[::1]:443');
  });
});

describe('tcpSocket', () => {
  it('succeeds when a connection opens and fails with Go wording otherwise', async () => {
    const server = createTcpServer((socket) => socket.end());
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as AddressInfo).port;
    expect(await tcpAttempt({ host: '127.0.0.1', port, timeoutMs: 2_000 })).toEqual({ success: true });
    const refused = await closedPort();
    expect(await tcpAttempt({ host: '127.0.0.1', port: refused, timeoutMs: 2_000 })).toEqual({
      success: false,
      message: `dial tcp 127.0.0.1:${refused}: connect: connection refused`,
    });
  });
});

describe('exec', () => {
  it('succeeds on exit 0 and reports the output, trimmed', async () => {
    expect(await execAttempt({ argv: ['/bin/sh', '-c', 'echo " fine "'], timeoutMs: 5_000 })).toEqual({ success: true, message: 'fine' });
    expect(await execAttempt({ argv: ['/bin/true'], timeoutMs: 5_000 })).toEqual({ success: true });
  });

  it('fails on another exit code with the output as the message', async () => {
    expect(await execAttempt({ argv: ['/bin/sh', '-c', 'echo broken >&2; exit 2'], timeoutMs: 5_000 })).toEqual({ success: false, message: 'broken' });
    expect(await execAttempt({ argv: ['/bin/sh', '-c', 'exit 2'], timeoutMs: 5_000 })).toEqual({ success: false, message: 'command "/bin/sh -c exit 2" exited with 2' });
  });

  it('passes env and cwd', async () => {
    expect(await execAttempt({ argv: ['/bin/sh', '-c', 'echo "$GREETING $(pwd)"'], env: { GREETING: 'hi', PATH: '/usr/bin:/bin' }, cwd: '/tmp', timeoutMs: 5_000 })).toEqual({
      success: true,
      message: 'hi /tmp',
    });
  });

  it('fails at the timeout and kills what the command started', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-probe-'));
    try {
      const pidFile = join(dir, 'pid');
      const script = `sleep 30 & echo $! > ${pidFile}; wait`;
      const result = await execAttempt({ argv: ['/bin/sh', '-c', script], timeoutMs: 300 });
      expect(result).toEqual({ success: false, message: `command ${JSON.stringify(`/bin/sh -c ${script}`)} timed out` });
      const pid = Number(await readFile(pidFile, 'utf8'));
      await waitFor(() => !isProcessAlive(pid, undefined), 5_000, { description: 'the timed-out command’s child is gone' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails when aborted', async () => {
    const controller = new AbortController();
    const attempt = execAttempt({ argv: ['/bin/sh', '-c', 'sleep 30'], timeoutMs: 30_000, signal: controller.signal });
    controller.abort();
    expect(await attempt).toMatchObject({ success: false });
  });

  it('fails for a command that does not exist', async () => {
    expect(await execAttempt({ argv: ['flotilla-no-such-command'], timeoutMs: 5_000 })).toEqual({
      success: false,
      message: 'exec: "flotilla-no-such-command": executable file not found in $PATH',
    });
  });
});

describe('targets', () => {
  it('resolves ports by number or by the name of a container port', () => {
    expect(resolveProbePort(9000, container)).toBe(9000);
    expect(resolveProbePort('http', container)).toBe(8080);
    expect(resolveProbePort('8081', container)).toBe(8081);
    expect(resolveProbePort('metrics', container)).toEqual({ error: "couldn't find port: metrics in container web" });
    expect(resolveProbePort(0, container)).toEqual({ error: 'invalid port number: 0' });
  });

  it("aims at the pod's address, or a loopback host, never elsewhere", () => {
    expect(resolveProbeHost(undefined, '10.244.1.5')).toBe('10.244.1.5');
    expect(resolveProbeHost('', '10.244.1.5')).toBe('10.244.1.5');
    expect(resolveProbeHost('10.244.1.5', '10.244.1.5')).toBe('10.244.1.5');
    expect(resolveProbeHost('127.0.0.1', '10.244.1.5')).toBe('127.0.0.1');
    expect(resolveProbeHost('localhost', '10.244.1.5')).toBe('localhost');
    expect(resolveProbeHost('[::1]', '10.244.1.5')).toBe('::1');
    expect(resolveProbeHost('10.0.0.1', '10.244.1.5')).toMatchObject({ error: expect.stringContaining('not probed') as unknown });
    expect(resolveProbeHost('example.com', '10.244.1.5')).toMatchObject({ error: expect.stringContaining('not probed') as unknown });
    expect(isLoopbackHost('127.1.2.3')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(resolveTarget({ port: 'http', host: '192.168.0.1' }, container, '10.244.1.5')).toMatchObject({ error: expect.any(String) as unknown });
    expect(resolveTarget({ port: 'http' }, container, '10.244.1.5')).toEqual({ host: '10.244.1.5', port: 8080 });
  });
});

describe('sleep', () => {
  it('waits, and ends early when aborted', async () => {
    expect(await sleepAction(0)).toEqual({ success: true });
    const controller = new AbortController();
    const sleeping = sleepAction(60, controller.signal);
    controller.abort();
    expect(await sleeping).toEqual({ success: true });
  });
});
