import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { replicaSet } from '@flotilla/controllers/testing';
import { JetStreamEventLog } from '@flotilla/eventlog';
import type { DomainEvent } from '@flotilla/events';
import { LeaseStore, connectLeases } from '@flotilla/leases';
import type { ReplicaSet } from '@flotilla/model';
import { LiveProjection, appendWithRetry, type Logger } from '@flotilla/service-kit';
import { isPodActive, podsOwnedBy, type ClusterState } from '@flotilla/state';
import { nodeRegistered } from '@flotilla/state/testing';
import { startNatsServer, waitFor, type RunningNatsServer } from '@flotilla/testkit';
import { ControllerLoop, type ControllerLoopOptions } from './controller-loop.ts';

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

interface Running {
  loop: ControllerLoop;
  projection: LiveProjection;
  stop(): Promise<void>;
}

let server: RunningNatsServer;
let client: { log: JetStreamEventLog; projection: LiveProjection };
const started: Running[] = [];

beforeEach(async () => {
  server = await startNatsServer();
  const log = await JetStreamEventLog.connect({ servers: server.url, name: 'spec-client' });
  const projection = new LiveProjection(log);
  await projection.start();
  client = { log, projection };
});

afterEach(async () => {
  for (const running of started.splice(0)) await running.stop();
  await client?.projection.stop();
  await client?.log.close();
  await server?.stop();
});

async function startController(name: string, options: Partial<ControllerLoopOptions> = {}): Promise<Running> {
  const log = await JetStreamEventLog.connect({ servers: server.url, name });
  const projection = new LiveProjection(log);
  const loop = new ControllerLoop({ log, projection, logger: silent, source: name, syncPeriodMs: 100, ...options });
  await projection.start();
  loop.start();
  let stopped = false;
  const running: Running = {
    loop,
    projection,
    async stop() {
      if (stopped) return;
      stopped = true;
      await loop.stop();
      await projection.stop();
      await log.close();
    },
  };
  started.push(running);
  return running;
}

/** Appends as a client would (the API, a scheduler) and waits until the client's fold has it. */
async function append(...events: DomainEvent[]): Promise<void> {
  for (const event of events) {
    const { seq } = await appendWithRetry(client.log, event, { source: 'spec', time: new Date().toISOString() });
    await client.projection.waitFor(seq, 5_000);
  }
}

const state = (): ClusterState => client.projection.state;
const owned = (rs: ReplicaSet) => podsOwnedBy(state(), rs.metadata.uid);
const active = (rs: ReplicaSet) => owned(rs).filter(isPodActive);

function scaled(rs: ReplicaSet, replicas: number, generation: number): DomainEvent {
  const { namespace, name, uid } = rs.metadata;
  return { type: 'ReplicaSetScaled', data: { namespace, name, uid, replicas, generation } };
}

/** The most active pods the ReplicaSet had after any PodCreated the client's fold applied. */
function peakActiveAfterCreations(rs: ReplicaSet): { peak: number } {
  const seen = { peak: 0 };
  client.projection.onApplied((record) => {
    if (record.event.type === 'PodCreated') seen.peak = Math.max(seen.peak, active(rs).length);
  });
  return seen;
}

describe('ControllerLoop: ReplicaSets', () => {
  it('creates the pods of a new ReplicaSet and deletes the surplus when it is scaled down', async () => {
    await startController('controller-a');
    const rs = replicaSet({ name: 'web', uid: 'uid-web-1', replicas: 3 });
    await append({ type: 'ReplicaSetCreated', data: { replicaSet: rs } });
    await waitFor(() => active(rs).length === 3, 10_000, { description: 'three pods' });
    for (const pod of active(rs)) expect(pod.pod.spec.tolerations?.map((t) => t.key)).toEqual(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);

    await append(scaled(rs, 1, 2));
    // Unbound pods go at once (as the API deletes them).
    await waitFor(() => owned(rs).length === 1, 10_000, { description: 'one pod left' });
    expect(state().replicaSets.get('default/web')?.replicaSet.status).toMatchObject({ replicas: 1 });

    await append({ type: 'ReplicaSetDeleted', data: { namespace: 'default', name: 'web', uid: rs.metadata.uid } });
    await waitFor(() => owned(rs).length === 0, 10_000, { description: 'the ReplicaSet\'s pods deleted with it' });
  });

  it('never has more pods than asked with two controllers at once and one restarted in the middle of a scale-up', async () => {
    const rs = replicaSet({ name: 'api', uid: 'uid-api-1', replicas: 5 });
    const peak = peakActiveAfterCreations(rs);
    const a = await startController('controller-a');
    await startController('controller-b');
    await append({ type: 'ReplicaSetCreated', data: { replicaSet: rs } });
    await waitFor(() => active(rs).length === 5, 10_000, { description: 'five pods' });

    await append(scaled(rs, 40, 2));
    await waitFor(() => active(rs).length >= 12, 10_000, { description: 'the scale-up under way' });
    await a.stop();
    await startController('controller-a-restarted');
    await waitFor(() => active(rs).length === 40, 20_000, { description: 'forty pods' });
    // Let every decision in flight land before counting.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(active(rs)).toHaveLength(40);
    expect(owned(rs)).toHaveLength(40);
    expect(peak.peak).toBe(40);
    expect(new Set(owned(rs).map((p) => p.pod.metadata.name)).size).toBe(40);
  });

  it('scales up again at once after creations the fold refused (a scale-down overtook them)', async () => {
    const controller = await startController('controller-a');
    const rs = replicaSet({ name: 'batch', uid: 'uid-batch-1', replicas: 1 });
    await append({ type: 'ReplicaSetCreated', data: { replicaSet: rs } });
    await waitFor(() => active(rs).length === 1, 10_000);
    await append(scaled(rs, 200, 2));
    await waitFor(() => active(rs).length >= 5, 10_000);
    // Creations still in flight land after this and are refused: their uids are spent.
    await append(scaled(rs, 2, 3));
    await waitFor(() => owned(rs).length === 2 && controller.loop.inFlight === 0, 10_000, { description: 'scaled down to two' });
    await append(scaled(rs, 30, 4));
    // Well within the log's two-minute dedupe window: no refused uid is proposed again.
    await waitFor(() => active(rs).length === 30, 10_000, { description: 'thirty pods' });
    expect(owned(rs)).toHaveLength(30);
    expect(state().rejectedCreations).toBe(controller.loop.stats.creationsIgnored);
  });
});

describe('ControllerLoop: node lifecycle', () => {
  let leaseConnection: NatsConnection;
  let leases: LeaseStore;
  const renewers = new Map<string, NodeJS.Timeout>();

  beforeEach(async () => {
    leaseConnection = await connectLeases({ servers: server.url, name: 'spec-leases' });
    leases = await LeaseStore.open(leaseConnection);
  });

  afterEach(async () => {
    for (const timer of renewers.values()) clearInterval(timer);
    renewers.clear();
    await leaseConnection?.close();
  });

  /** Renews the node's lease every 100 ms, as its node agent would. */
  function renewing(nodeName: string): void {
    const renew = (): void => {
      leases.renew({ nodeName, holderIdentity: `spec/${nodeName}`, renewTime: new Date().toISOString(), leaseDurationSeconds: 1 }).catch(() => undefined);
    };
    renew();
    renewers.set(nodeName, setInterval(renew, 100));
  }

  function stopRenewing(nodeName: string): void {
    clearInterval(renewers.get(nodeName));
    renewers.delete(nodeName);
  }

  const readyStatus = (name: string): string | undefined => state().nodes.get(name)?.node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  const taints = (name: string): string[] => (state().nodes.get(name)?.node.spec.taints ?? []).map((t) => `${t.key}:${t.effect}`);

  it('marks a node whose lease stops unreachable, taints it, evicts its pods after their toleration, and the ReplicaSet replaces them', async () => {
    await append(nodeRegistered({ name: 'node-1', podCIDR: '10.244.1.0/24' }), nodeRegistered({ name: 'node-2', podCIDR: '10.244.2.0/24' }));
    renewing('node-1');
    renewing('node-2');
    await startController('controller', {
      leases,
      nodeMonitorGraceMs: 600,
      evictionRate: 10,
      defaultUnreachableTolerationSeconds: 1,
    });
    const rs = replicaSet({ name: 'db', uid: 'uid-db-1', replicas: 3 });
    await append({ type: 'ReplicaSetCreated', data: { replicaSet: rs } });
    await waitFor(() => active(rs).length === 3, 10_000, { description: 'three pods' });
    // The spec plays the scheduler: every pod goes to node-1.
    const first = active(rs);
    await append(
      ...first.map((pod): DomainEvent => ({
        type: 'PodBound',
        data: { namespace: 'default', name: pod.pod.metadata.name, uid: pod.pod.metadata.uid, nodeName: 'node-1', schedulerName: 'default-scheduler', attempt: 1 },
      })),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(readyStatus('node-1')).not.toBe('Unknown');

    stopRenewing('node-1');
    await waitFor(() => readyStatus('node-1') === 'Unknown', 10_000, { description: 'node-1 unreachable' });
    expect(taints('node-1')).toContain('node.kubernetes.io/unreachable:NoSchedule');
    await waitFor(() => taints('node-1').includes('node.kubernetes.io/unreachable:NoExecute'), 10_000, { description: 'the eviction taint' });
    expect(readyStatus('node-2')).not.toBe('Unknown');
    expect(taints('node-2')).toEqual([]);

    await waitFor(() => first.every((pod) => state().pods.get(pod.key)?.pod.status?.phase === 'Failed'), 10_000, { description: 'pods evicted' });
    for (const pod of first) expect(state().pods.get(pod.key)?.pod.status).toMatchObject({ phase: 'Failed', reason: 'NodeLost' });
    await waitFor(() => active(rs).length === 3 && owned(rs).length === 6, 10_000, { description: 'three replacements' });

    renewing('node-1');
    await waitFor(() => state().nodes.get('node-1')?.unreachable === undefined, 10_000, { description: 'node-1 reachable again' });
    expect(readyStatus('node-1')).toBe('True');
    expect(taints('node-1')).toEqual([]);
    expect(active(rs)).toHaveLength(3);
  });

  it('cancels the evictions when the lease comes back before the toleration runs out', async () => {
    await append(nodeRegistered({ name: 'node-1', podCIDR: '10.244.1.0/24' }));
    renewing('node-1');
    await startController('controller', { leases, nodeMonitorGraceMs: 400, evictionRate: 10, defaultUnreachableTolerationSeconds: 3 });
    const rs = replicaSet({ name: 'cache', uid: 'uid-cache-1', replicas: 1 });
    await append({ type: 'ReplicaSetCreated', data: { replicaSet: rs } });
    await waitFor(() => active(rs).length === 1, 10_000);
    const [pod] = active(rs);
    await append({ type: 'PodBound', data: { namespace: 'default', name: pod!.pod.metadata.name, uid: pod!.pod.metadata.uid, nodeName: 'node-1', schedulerName: 'default-scheduler', attempt: 1 } });

    stopRenewing('node-1');
    await waitFor(() => taints('node-1').includes('node.kubernetes.io/unreachable:NoExecute'), 10_000, { description: 'the eviction taint' });
    renewing('node-1');
    await waitFor(() => state().nodes.get('node-1')?.unreachable === undefined, 10_000, { description: 'node-1 reachable again' });
    // Past the toleration: the pod is still there, still bound.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(state().pods.get(pod!.key)?.pod.status?.phase).not.toBe('Failed');
    expect(state().pods.get(pod!.key)?.nodeName).toBe('node-1');
    expect(owned(rs)).toHaveLength(1);
  });
});
