import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster, type LocalClusterOptions } from '@flotilla/launcher';
import { getFreePort, waitFor } from '@flotilla/testkit';

/** Fast simulated timings so end-to-end runs take seconds, not minutes. */
export const FAST_SIM = ['--sim-start-ms', '20', '--sim-init-ms', '150', '--sim-stop-ms', '20', '--sim-jitter', '0'];

export interface TestCluster {
  cluster: LocalCluster;
  api: Api;
  stop(): Promise<void>;
}

/** A real nats-server on a free port with its own store, and the services as separate processes. */
export async function startTestCluster(options: Partial<LocalClusterOptions> = {}): Promise<TestCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flotilla-e2e-'));
  const cluster = new LocalCluster({
    dataDir,
    apiPort: await getFreePort(),
    nodes: 3,
    nodeAgentArgs: FAST_SIM,
    ...options,
  });
  try {
    await cluster.start();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return {
    cluster,
    api: new Api(cluster.apiUrl),
    stop: async () => {
      await cluster.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** Plain HTTP against the API, so the tests check the wire format itself. */
export class Api {
  constructor(readonly baseUrl: string) {}

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T, headers: response.headers };
  }

  async createPod(manifest: Record<string, unknown>, namespace = 'default'): Promise<ApiResponse<PodJson>> {
    return this.request<PodJson>('POST', `/api/v1/namespaces/${namespace}/pods`, manifest);
  }

  async pod(name: string, namespace = 'default'): Promise<PodJson> {
    const response = await this.request<PodJson>('GET', `/api/v1/namespaces/${namespace}/pods/${name}`);
    if (response.status !== 200) throw new Error(`GET pod ${name}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  async pods(namespace = 'default'): Promise<PodJson[]> {
    return (await this.request<{ items: PodJson[] }>('GET', `/api/v1/namespaces/${namespace}/pods`)).body.items;
  }

  async nodes(): Promise<NodeJson[]> {
    return (await this.request<{ items: NodeJson[] }>('GET', '/api/v1/nodes')).body.items;
  }

  async events(podName?: string, namespace = 'default'): Promise<EventJson[]> {
    const selector = podName ? `?fieldSelector=${encodeURIComponent(`involvedObject.name=${podName}`)}` : '';
    return (await this.request<{ items: EventJson[] }>('GET', `/api/v1/namespaces/${namespace}/events${selector}`)).body.items;
  }

  /** `GET .../pods/{name}/log` as text (status and body, whatever the status). */
  async logs(name: string, query: Record<string, string> = {}, namespace = 'default'): Promise<{ status: number; body: string }> {
    const search = new URLSearchParams(query).toString();
    const response = await fetch(`${this.baseUrl}/api/v1/namespaces/${namespace}/pods/${name}/log${search ? `?${search}` : ''}`);
    return { status: response.status, body: await response.text() };
  }

  /** Waits until the pod satisfies `check`; the error names the pod's last state. */
  async waitForPod(name: string, check: (pod: PodJson) => boolean, timeoutMs = 30_000): Promise<PodJson> {
    let last: PodJson | undefined;
    try {
      await waitFor(async () => {
        last = await this.pod(name);
        return check(last);
      }, timeoutMs, { intervalMs: 50 });
    } catch (error) {
      throw new Error(`pod ${name} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last?.status)}`, { cause: error });
    }
    return last!;
  }
}

export interface ContainerStatusJson {
  name: string;
  ready: boolean;
  restartCount: number;
  started?: boolean;
  state?: ContainerStateJson;
  lastState?: ContainerStateJson;
}

export interface ContainerStateJson {
  running?: { startedAt?: string };
  terminated?: { exitCode: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string };
  waiting?: { reason?: string; message?: string };
}

export interface PodJson {
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: Array<{ name: string }> };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: Array<{ ip: string }>;
    hostIP?: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    containerStatuses?: ContainerStatusJson[];
    initContainerStatuses?: ContainerStatusJson[];
  };
}

export interface NodeJson {
  metadata: { name: string };
  spec: { podCIDR?: string; unschedulable?: boolean };
  status: { allocatable: Record<string, string>; capacity: Record<string, string> };
}

export interface EventJson {
  firstTimestamp?: string;
  reason: string;
  message: string;
  type: string;
  involvedObject: { name: string; uid: string };
  metadata: { resourceVersion: string };
}

export function podManifest(name: string, spec: Record<string, unknown>, labels?: Record<string, string>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...(labels ? { labels } : {}) }, spec };
}
