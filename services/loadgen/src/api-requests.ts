// The API requests a run makes (pods, nodes, ReplicaSets), retried on overload and transport errors.
// Each request names its object, so a retry after a lost answer finds it already done (409 on a
// create, 404 on a delete) and counts as done.

/** Tally of one kind of request: retries and the answers that counted as failures, by status. */
export interface RequestTally {
  retries: number;
  /** Non-2xx answers (after retries), by status ('network' for transport errors). */
  failures: Record<string, number>;
}

import { Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

// node:http with keep-alive instead of fetch: a load generator that spends its CPU in undici's fetch
// (≈ 4× the CPU per request) competes with the cluster it measures on the same cores.
const httpAgent = new Agent({ keepAlive: true, maxSockets: 512 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 512 });

/** One request; resolves with the status once the body has been read. */
function sendOnce(url: string, method: string, body: string | undefined, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const headers: Record<string, string | number> = body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {};
    const req = (secure ? httpsRequest : httpRequest)(url, { method, headers, agent: secure ? httpsAgent : httpAgent, signal }, (response) => {
      response.on('data', () => undefined);
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
const MAX_ATTEMPTS = 8;

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveSleep) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolveSleep();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

interface Call {
  method: 'POST' | 'DELETE';
  path: string;
  body?: string;
  /** Answers that mean done on the first attempt. */
  ok: readonly number[];
  /** Answers that mean done on a retry (our earlier attempt took effect). */
  okOnRetry: readonly number[];
}

/** Sends one request until it is done or failed; true when done. */
async function send(apiUrl: string, call: Call, tally: RequestTally, signal: AbortSignal): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    let status: number | 'network';
    try {
      status = await sendOnce(`${apiUrl}${call.path}`, call.method, call.body, signal);
    } catch {
      if (signal.aborted) return false;
      status = 'network';
    }
    if (typeof status === 'number' && call.ok.includes(status)) return true;
    if (typeof status === 'number' && attempt > 1 && call.okOnRetry.includes(status)) return true;
    if ((status === 'network' || RETRYABLE.has(status)) && attempt < MAX_ATTEMPTS) {
      tally.retries += 1;
      await abortableSleep(Math.min(2000, 50 * 2 ** attempt), signal);
      if (signal.aborted) return false;
      continue;
    }
    const key = String(status);
    tally.failures[key] = (tally.failures[key] ?? 0) + 1;
    return false;
  }
}

export function createPod(apiUrl: string, manifest: unknown, tally: RequestTally, signal: AbortSignal): Promise<boolean> {
  return send(apiUrl, { method: 'POST', path: '/api/v1/namespaces/default/pods', body: JSON.stringify(manifest), ok: [200, 201], okOnRetry: [409] }, tally, signal);
}

export function deletePod(apiUrl: string, name: string, gracePeriodSeconds: number, tally: RequestTally, signal: AbortSignal): Promise<boolean> {
  const path = `/api/v1/namespaces/default/pods/${encodeURIComponent(name)}?gracePeriodSeconds=${gracePeriodSeconds}`;
  return send(apiUrl, { method: 'DELETE', path, ok: [200, 202], okOnRetry: [404] }, tally, signal);
}

export function registerNode(apiUrl: string, manifest: unknown, tally: RequestTally, signal: AbortSignal): Promise<boolean> {
  return send(apiUrl, { method: 'POST', path: '/api/v1/nodes', body: JSON.stringify(manifest), ok: [200, 201], okOnRetry: [409] }, tally, signal);
}

export function removeNode(apiUrl: string, name: string, tally: RequestTally, signal: AbortSignal): Promise<boolean> {
  return send(apiUrl, { method: 'DELETE', path: `/api/v1/nodes/${encodeURIComponent(name)}`, ok: [200, 202], okOnRetry: [404] }, tally, signal);
}

export function createReplicaSet(apiUrl: string, manifest: unknown, tally: RequestTally, signal: AbortSignal): Promise<boolean> {
  return send(apiUrl, { method: 'POST', path: '/apis/apps/v1/namespaces/default/replicasets', body: JSON.stringify(manifest), ok: [200, 201], okOnRetry: [409] }, tally, signal);
}
