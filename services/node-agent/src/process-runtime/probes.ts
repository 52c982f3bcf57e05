import { spawn } from 'node:child_process';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, Socket } from 'node:net';
import type { Container, HTTPGetAction, TCPSocketAction } from '@flotilla/model';
import type { ActionResult } from '@flotilla/runtime';

// One attempt of a probe or lifecycle hook handler, with the kubelet's rules: exec succeeds on exit
// 0, httpGet on a status in 200..399, tcpSocket when a connection opens; a timeout is a failure.
// Probes only ever reach the pod's own address or a loopback host (see resolveProbeHost).

/** The kubelet keeps at most 10 KiB of a probe's output. */
export const MAX_PROBE_OUTPUT = 10 * 1024;

/** kubelet's probe User-Agent (`kube-probe/<major>.<minor>`). */
const PROBE_USER_AGENT = 'kube-probe/1.33';

export interface ExecAttempt {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Runs argv; success iff it exits 0 within the timeout. The message is its output (trimmed, at most 10 KiB). */
export function execAttempt(attempt: ExecAttempt): Promise<ActionResult> {
  const [program, ...args] = attempt.argv;
  if (program === undefined) return Promise.resolve({ success: false, message: 'exec: no command given' });
  const shown = JSON.stringify(attempt.argv.join(' '));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const child = spawn(program, args, {
      ...(attempt.env ? { env: attempt.env } : {}),
      ...(attempt.cwd ? { cwd: attempt.cwd } : {}),
      // Its own process group, so that a timeout kills everything it started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => {
      if (size >= MAX_PROBE_OUTPUT) return;
      const part = chunk.subarray(0, MAX_PROBE_OUTPUT - size);
      chunks.push(part);
      size += part.length;
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const settle = (result: ActionResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      attempt.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const timer = setTimeout(() => {
      killGroup();
      settle({ success: false, message: `command ${shown} timed out` });
    }, attempt.timeoutMs);
    const onAbort = (): void => {
      killGroup();
      settle({ success: false, message: `command ${shown} was aborted` });
    };
    if (attempt.signal?.aborted) onAbort();
    else attempt.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => {
      settle({ success: false, message: error.code === 'ENOENT' ? `exec: ${JSON.stringify(program)}: executable file not found in $PATH` : error.message });
    });
    child.on('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8').trim();
      if (code === 0) settle(output ? { success: true, message: output } : { success: true });
      else settle({ success: false, message: output || `command ${shown} ${code !== null ? `exited with ${code}` : `was killed by ${signal}`}` });
    });
  });
}

export interface HttpGetAttempt {
  host: string;
  port: number;
  path?: string;
  scheme?: 'HTTP' | 'HTTPS';
  headers?: ReadonlyArray<{ name: string; value: string }>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Any response is a success (lifecycle hooks: the kubelet does not look at their status). */
  anyStatus?: boolean;
}

/** The URL a probe requests, as the kubelet formats it. */
export function probeUrl(attempt: Pick<HttpGetAttempt, 'host' | 'port' | 'path' | 'scheme'>): string {
  const scheme = (attempt.scheme ?? 'HTTP').toLowerCase();
  const host = isIP(attempt.host) === 6 ? `[${attempt.host}]` : attempt.host;
  let path = attempt.path ?? '';
  if (path !== '' && !path.startsWith('/')) path = `/${path}`;
  return `${scheme}://${host}:${attempt.port}${path}`;
}

/** One GET; success iff the status is in 200..399 (the kubelet's rule; redirects are not followed). */
export function httpGetAttempt(attempt: HttpGetAttempt): Promise<ActionResult> {
  const url = probeUrl(attempt);
  const headers: Record<string, string> = { 'User-Agent': PROBE_USER_AGENT, Accept: '*/*' };
  for (const header of attempt.headers ?? []) {
    // A probe header replaces the default of the same name (case-insensitively, as Go's http.Header).
    for (const key of Object.keys(headers)) if (key.toLowerCase() === header.name.toLowerCase()) delete headers[key];
    headers[header.name] = header.value;
  }
  const https = attempt.scheme === 'HTTPS';
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: ActionResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      attempt.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(result);
    };
    const options = { method: 'GET', headers, agent: false as const };
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_PROBE_OUTPUT) return;
        const part = chunk.subarray(0, MAX_PROBE_OUTPUT - size);
        chunks.push(part);
        size += part.length;
        // The kubelet reads at most 10 KiB of the body; no need to wait for more.
        if (size >= MAX_PROBE_OUTPUT) finish();
      });
      const finish = (): void => {
        const status = res.statusCode ?? 0;
        const body = Buffer.concat(chunks).toString('utf8').trim();
        if ((status >= 200 && status < 400) || attempt.anyStatus) settle(body ? { success: true, message: body } : { success: true });
        else settle({ success: false, message: `HTTP probe failed with statuscode: ${status}` });
      };
      res.on('end', finish);
      res.on('error', (error) => settle({ success: false, message: `Get ${JSON.stringify(url)}: ${error.message}` }));
    };
    const req = https
      ? httpsRequest(url, { ...options, rejectUnauthorized: false }, onResponse)
      : httpRequest(url, options, onResponse);
    req.on('error', (error: NodeJS.ErrnoException) => {
      settle({ success: false, message: `Get ${JSON.stringify(url)}: ${dialError(attempt.host, attempt.port, error)}` });
    });
    const timer = setTimeout(() => {
      settle({ success: false, message: `Get ${JSON.stringify(url)}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    }, attempt.timeoutMs);
    const onAbort = (): void => settle({ success: false, message: `Get ${JSON.stringify(url)}: context canceled` });
    if (attempt.signal?.aborted) onAbort();
    else attempt.signal?.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}

export interface TcpAttempt {
  host: string;
  port: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Success iff a TCP connection opens within the timeout (it is closed at once). */
export function tcpAttempt(attempt: TcpAttempt): Promise<ActionResult> {
  const target = isIP(attempt.host) === 6 ? `[${attempt.host}]:${attempt.port}` : `${attempt.host}:${attempt.port}`;
  return new Promise((resolve) => {
    const socket = new Socket();
    let settled = false;
    const settle = (result: ActionResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      attempt.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => settle({ success: false, message: `dial tcp ${target}: i/o timeout` }), attempt.timeoutMs);
    const onAbort = (): void => settle({ success: false, message: `dial tcp ${target}: operation was canceled` });
    if (attempt.signal?.aborted) onAbort();
    else attempt.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => settle({ success: true }));
    socket.once('error', (error: NodeJS.ErrnoException) => settle({ success: false, message: dialError(attempt.host, attempt.port, error) }));
    socket.connect({ host: attempt.host, port: attempt.port });
  });
}

/** Go's dial error wording (`dial tcp 10.0.0.5:8080: connect: connection refused`). */
function dialError(host: string, port: number, error: NodeJS.ErrnoException): string {
  const target = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${target}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${target}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${target}: connect: network is unreachable`;
    case 'ECONNRESET':
      return `read tcp ${target}: read: connection reset by peer`;
    default:
      return `dial tcp ${target}: ${error.message}`;
  }
}

/** The port number of a probe: a number, or the name of one of the container's ports. */
export function resolveProbePort(port: number | string, container: Container): number | { error: string } {
  let value: number | undefined;
  if (typeof port === 'number') value = port;
  else if (/^[0-9]+$/.test(port)) value = Number(port);
  else {
    value = container.ports?.find((p) => p.name === port)?.containerPort;
    if (value === undefined) return { error: `couldn't find port: ${port} in container ${container.name}` };
  }
  if (!Number.isInteger(value) || value < 1 || value > 65535) return { error: `invalid port number: ${value}` };
  return value;
}

/** Whether `host` is a loopback address or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  return lower === 'localhost' || lower.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(lower) || lower === '::1' || lower === '[::1]';
}

/**
 * Where a probe connects: the pod's address by default; an explicit host only when it is the pod's
 * address or loopback (Flotilla never lets a pod spec aim the node at another machine).
 */
export function resolveProbeHost(host: string | undefined, podIP: string): string | { error: string } {
  if (host === undefined || host === '' || host === podIP) return podIP;
  if (isLoopbackHost(host)) return host.replace(/^\[|\]$/g, '');
  return { error: `host ${JSON.stringify(host)} is not probed: Flotilla probes only the pod's address (${podIP}) or a loopback host` };
}

/** The host and port an httpGet or tcpSocket action reaches, or why it cannot be run. */
export function resolveTarget(action: HTTPGetAction | TCPSocketAction, container: Container, podIP: string): { host: string; port: number } | { error: string } {
  const port = resolveProbePort(action.port, container);
  if (typeof port !== 'number') return port;
  const host = resolveProbeHost(action.host, podIP);
  if (typeof host !== 'string') return host;
  return { host, port };
}

/** Waits `seconds` (a sleep lifecycle handler); resolves early, as a success, when `signal` aborts. */
export function sleepAction(seconds: number, signal?: AbortSignal): Promise<ActionResult> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve({ success: true });
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve({ success: true });
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve({ success: true });
    }, Math.max(0, seconds) * 1000);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
