import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getFreePort, startNatsServer, type RunningNatsServer } from '@flotilla/testkit';
import { ServiceProcess, type ServiceName } from './service-process.ts';

export interface LocalClusterOptions {
  /** Folder for the NATS store and the service logs. */
  dataDir: string;
  /** Use this NATS server instead of starting one. */
  natsUrl?: string;
  apiPort: number;
  /** The user chose apiPort: fail when it is taken instead of moving to another free port. */
  fixedApiPort?: boolean;
  apiHost?: string;
  /** Nodes hosted by the first node agent. */
  nodes: number;
  /**
   * How that node agent runs containers: `sim` (default) simulates them; `process` runs real
   * processes (state and logs under `<dataDir>/node-agent` unless nodeAgentArgs name a --state-dir).
   */
  runtime?: 'sim' | 'process';
  /** Extra flags for that node agent (capacity, timings, labels); they win over the ones above. */
  nodeAgentArgs?: string[];
  schedulerArgs?: string[];
  /** Flags for the controller service (node lifecycle and ReplicaSet controllers): grace period, eviction rate, ... */
  controllerArgs?: string[];
  env?: Record<string, string>;
  echo?: NodeJS.WritableStream;
  /** How long to wait for the API to be ready. */
  readyTimeoutMs?: number;
}

/**
 * nats-server plus the API, the scheduler, the controller and a node agent, each its own process
 * (ids 'api', 'scheduler', 'controller', 'node-agent': tests stop, kill and restart them by id).
 */
export class LocalCluster {
  readonly services = new Map<string, ServiceProcess>();
  nats: RunningNatsServer | undefined;
  natsUrl = '';

  /** The API's port: options.apiPort, or another free one when that was taken before the API bound it. */
  private apiPort: number;

  constructor(readonly options: LocalClusterOptions) {
    this.apiPort = options.apiPort;
  }

  get apiUrl(): string {
    return `http://${this.options.apiHost ?? '127.0.0.1'}:${this.apiPort}`;
  }

  async start(): Promise<void> {
    mkdirSync(this.options.dataDir, { recursive: true });
    if (this.options.natsUrl) this.natsUrl = this.options.natsUrl;
    else {
      this.nats = await startNatsServer({ storeDir: join(this.options.dataDir, 'nats') });
      this.natsUrl = this.nats.url;
    }
    // A port found free can be taken by another process before the API binds it: try another one.
    for (let attempt = 1; ; attempt++) {
      this.add('api', 'api', ['--port', String(this.apiPort), '--host', this.options.apiHost ?? '127.0.0.1']);
      try {
        await this.waitForApi();
        break;
      } catch (error) {
        if (this.options.fixedApiPort || attempt >= 3 || !(error instanceof Error) || !error.message.includes('EADDRINUSE')) throw error;
        this.services.delete('api');
        this.apiPort = await getFreePort();
      }
    }
    this.add('scheduler', 'scheduler', this.options.schedulerArgs ?? []);
    this.add('controller', 'controller', this.options.controllerArgs ?? []);
    if (this.options.nodes > 0) this.add('node-agent', 'node-agent', this.nodeAgentArgs());
  }

  /** The first node agent's flags: what the options ask for, then nodeAgentArgs (a later flag wins). */
  nodeAgentArgs(): string[] {
    const extra = this.options.nodeAgentArgs ?? [];
    // A fleet file names the nodes itself; --nodes beside it is refused by the agent.
    const fleet = extra.some((arg) => arg === '--fleet' || arg.startsWith('--fleet=')) || Boolean(this.options.env?.['FLOTILLA_FLEET'] ?? process.env['FLOTILLA_FLEET']);
    const args = fleet ? [] : ['--nodes', String(this.options.nodes)];
    if (this.options.runtime === 'process') args.push('--runtime', 'process', '--state-dir', join(this.options.dataDir, 'node-agent'));
    return [...args, ...extra];
  }

  /** Starts one more service process (another node agent, a second scheduler replica). */
  add(id: string, service: ServiceName, args: string[]): ServiceProcess {
    const process = new ServiceProcess({
      id,
      service,
      args: ['--nats', this.natsUrl, ...args],
      env: { NATS_URL: this.natsUrl, ...this.options.env },
      logFile: join(this.options.dataDir, 'logs', `${id}.log`),
      ...(this.options.echo ? { echo: this.options.echo } : {}),
    });
    process.start();
    this.services.set(id, process);
    return process;
  }

  service(id: string): ServiceProcess {
    const found = this.services.get(id);
    if (!found) throw new Error(`no service ${id} in this cluster (have: ${[...this.services.keys()].join(', ')})`);
    return found;
  }

  async waitForApi(): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    let last = '';
    while (Date.now() < deadline) {
      const api = this.services.get('api');
      if (api && !api.running) throw new Error(`the API exited while starting:\n${api.tail()}`);
      try {
        // Bounded: whatever holds the port may accept the connection and never answer.
        const response = await fetch(`${this.apiUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) return;
        last = `readyz answered ${response.status}`;
      } catch (error) {
        last = (error as Error).message;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the API at ${this.apiUrl} was not ready in time (${last}):\n${this.services.get('api')?.tail() ?? ''}`);
  }

  /** Every service's recent output, for failure messages. */
  tails(): string {
    return [...this.services.values()].map((s) => `--- ${s.spec.id} ---\n${s.tail()}`).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.services.values()].map((s) => s.close()));
    // A stopped node agent leaves its pods running for the next one to adopt (a kubelet restart);
    // stopping the whole cluster must not leave real processes and network namespaces behind.
    const agents = [...this.services.values()].filter((s) => s.spec.service === 'node-agent' && runsProcessRuntime(s.spec.args, this.options.env));
    for (const agent of agents) await this.removeProcessPods(agent);
    await this.nats?.stop();
  }

  /** Runs `node-agent --remove-pods` with the agent's own flags (same nodes, same state dir). */
  private async removeProcessPods(agent: ServiceProcess): Promise<void> {
    const cleaner = new ServiceProcess({
      id: `${agent.spec.id}-remove-pods`,
      service: 'node-agent',
      args: [...agent.spec.args, '--remove-pods'],
      env: { ...this.options.env },
      logFile: join(this.options.dataDir, 'logs', `${agent.spec.id}-remove-pods.log`),
      ...(this.options.echo ? { echo: this.options.echo } : {}),
    });
    cleaner.start();
    const code = await cleaner.exited();
    if (code !== 0) throw new Error(`removing the process runtime's pods failed (exit ${code}):\n${cleaner.tail()}`);
  }
}

/** The agent's runtime as its flags (the last --runtime wins) or FLOTILLA_RUNTIME choose it. */
function runsProcessRuntime(args: readonly string[], env: Record<string, string> | undefined): boolean {
  let runtime = env?.FLOTILLA_RUNTIME ?? 'sim';
  args.forEach((arg, i) => {
    if (arg === '--runtime' && args[i + 1] !== undefined) runtime = args[i + 1]!;
    else if (arg.startsWith('--runtime=')) runtime = arg.slice('--runtime='.length);
  });
  return runtime === 'process';
}
