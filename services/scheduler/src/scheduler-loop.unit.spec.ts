import { afterEach, describe, expect, it } from 'vitest';
import { MemoryEventLog, type EventLog } from '@flotilla/eventlog';
import { envelope, msgIdFor, subjectFor, type DomainEvent } from '@flotilla/events';
import { DEFAULT_PROFILE } from '@flotilla/scheduling';
import { LiveProjection, createLogger } from '@flotilla/service-kit';
import { nodeRegistered, podBound, podCreated, podDeleted } from '@flotilla/state/testing';
import { waitFor } from '@flotilla/testkit';
import { SchedulerLoop } from './scheduler-loop.ts';

const logger = createLogger('scheduler-test', {}, 'error');

async function append(log: EventLog, event: DomainEvent): Promise<void> {
  await log.append({ subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source: 'test', time: new Date().toISOString() }) });
}

async function startScheduler(log: EventLog, source = 'scheduler'): Promise<{ loop: SchedulerLoop; projection: LiveProjection }> {
  const projection = new LiveProjection(log);
  const loop = new SchedulerLoop({ log, projection, profiles: [DEFAULT_PROFILE], logger, source });
  await projection.start();
  loop.start();
  return { loop, projection };
}

async function eventsOfType(log: EventLog, type: string): Promise<Array<{ data: Record<string, unknown>; source: string }>> {
  const out: Array<{ data: Record<string, unknown>; source: string }> = [];
  for await (const record of log.read(1)) if (record.event.type === type) out.push({ data: record.event.data as Record<string, unknown>, source: record.event.source });
  return out;
}

describe('SchedulerLoop', () => {
  const running: SchedulerLoop[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((loop) => loop.stop()));
  });

  it('binds a pending pod to the least allocated node and explains the choice', async () => {
    const log = new MemoryEventLog();
    await append(log, nodeRegistered({ name: 'small', cpu: '2', podCIDR: null }));
    await append(log, nodeRegistered({ name: 'large', cpu: '8', podCIDR: null }));
    await append(log, podCreated({ name: 'web', cpu: '500m' }));
    const { loop, projection } = await startScheduler(log);
    running.push(loop);
    await waitFor(() => projection.state.pods.get('default/web')?.nodeName !== undefined, 2000);
    expect(projection.state.pods.get('default/web')?.nodeName).toBe('large');
    const [bound] = await eventsOfType(log, 'PodBound');
    expect(bound?.data).toMatchObject({ nodeName: 'large', attempt: 1, schedulerName: 'default-scheduler' });
    const verdicts = bound?.data.verdicts as Array<{ node: string; score?: number }>;
    expect(verdicts.map((v) => v.node).sort()).toEqual(['large', 'small']);
    expect(verdicts.find((v) => v.node === 'large')!.score!).toBeGreaterThan(verdicts.find((v) => v.node === 'small')!.score!);
  });

  it('records why a pod cannot be placed, and places it when a node that fits joins', async () => {
    const log = new MemoryEventLog();
    await append(log, nodeRegistered({ name: 'n1', cpu: '1', podCIDR: null }));
    await append(log, nodeRegistered({ name: 'n2', cpu: '1', podCIDR: null, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
    await append(log, podCreated({ name: 'big', cpu: '2' }));
    const { loop, projection } = await startScheduler(log);
    running.push(loop);
    await waitFor(async () => (await eventsOfType(log, 'PodSchedulingFailed')).length === 1, 2000);
    const [failed] = await eventsOfType(log, 'PodSchedulingFailed');
    expect(failed?.data.message).toBe(
      '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
    expect(loop.queueStats().unschedulable).toBe(1);

    await append(log, nodeRegistered({ name: 'n3', cpu: '4', podCIDR: null }));
    await waitFor(() => projection.state.pods.get('default/big')?.nodeName === 'n3', 2000);
    // One failure, then one binding: no retry storm while nothing changed.
    expect(await eventsOfType(log, 'PodSchedulingFailed')).toHaveLength(1);
  });

  it('two scheduler replicas on one log never bind a pod twice nor over-commit a node', async () => {
    const log = new MemoryEventLog();
    await append(log, nodeRegistered({ name: 'n1', cpu: '1', pods: '100', podCIDR: null }));
    await append(log, nodeRegistered({ name: 'n2', cpu: '1', pods: '100', podCIDR: null }));
    const a = await startScheduler(log, 'scheduler-a');
    const b = await startScheduler(log, 'scheduler-b');
    running.push(a.loop, b.loop);
    for (let i = 0; i < 40; i++) await append(log, podCreated({ name: `p${i}`, cpu: '100m' }));
    // 2 nodes x 1 CPU / 100m = 20 pods fit; the other 20 must stay pending.
    await waitFor(() => [...a.projection.state.pods.values()].filter((p) => p.nodeName).length === 20, 5000);
    await waitFor(() => [...a.projection.state.pods.values()].filter((p) => !p.nodeName).every((p) => p.unschedulableMessage !== undefined), 5000);
    for (const node of a.projection.state.nodes.values()) expect(node.requested.cpu).toBeLessThanOrEqual(node.allocatable.cpu!);
    const bindings = await eventsOfType(log, 'PodBound');
    const accepted = [...a.projection.state.pods.values()].filter((p) => p.nodeName).length;
    expect(accepted).toBe(20);
    // Replicas that reach the same decision from the same log position write the same Nats-Msg-Id,
    // so it is stored once; any other competing binding is judged (and rejected) by the fold.
    expect(bindings.length).toBeGreaterThanOrEqual(20);
    const attempts = bindings.map((b) => `${String(b.data.uid)}#${String(b.data.attempt)}`);
    expect(new Set(attempts).size).toBe(attempts.length);
    // Both replicas' folds agree.
    for (const [key, record] of a.projection.state.pods) expect(b.projection.state.pods.get(key)?.nodeName).toBe(record.nodeName);
  });

  it('preempts: evicts the fewest lower-priority pods gracefully, nominates the pod, and binds it once they are gone', async () => {
    const log = new MemoryEventLog();
    await append(log, nodeRegistered({ name: 'n1', cpu: '2', podCIDR: null }));
    for (const name of ['low-a', 'low-b']) {
      await append(log, podCreated({ name, cpu: '1', priorityClassName: 'low-priority', terminationGracePeriodSeconds: 7 }));
      await append(log, podBound({ name, nodeName: 'n1' }));
    }
    const { loop, projection } = await startScheduler(log);
    running.push(loop);
    await append(log, podCreated({ name: 'high', cpu: '1', priorityClassName: 'high-priority' }));
    await waitFor(() => projection.state.pods.get('default/high')?.pod.status?.nominatedNodeName === 'n1', 2000);

    const deletions = await eventsOfType(log, 'PodDeletionRequested');
    expect(deletions).toHaveLength(1);
    const victim = deletions[0]!.data;
    expect(victim).toMatchObject({ gracePeriodSeconds: 7, reason: 'Preempted', message: 'default-scheduler: preempting to accommodate a higher priority pod' });
    const [nominated] = await eventsOfType(log, 'PodNominated');
    expect(nominated?.data).toMatchObject({ name: 'high', nodeName: 'n1', attempt: 1, victims: [{ namespace: 'default', name: victim.name, uid: victim.uid }] });
    const [failed] = await eventsOfType(log, 'PodSchedulingFailed');
    expect(failed?.data).toMatchObject({ name: 'high', attempt: 1, message: '0/1 nodes are available: 1 Insufficient cpu.' });
    expect(failed?.data).not.toHaveProperty('nominatedNodeName');
    const victimRecord = projection.state.pods.get(`default/${String(victim.name)}`)!;
    expect(victimRecord.pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'PreemptionByScheduler' });
    expect(projection.state.events.filter((e) => e.reason === 'Preempted').map((e) => [e.involvedObject.name, e.message])).toEqual([
      [victim.name, `Preempted by pod uid-high on node n1`],
    ]);

    // A low-priority pod arriving now must not take the room being freed for the nominated pod.
    await append(log, podCreated({ name: 'low-c', cpu: '1', priorityClassName: 'low-priority' }));
    await waitFor(() => projection.state.pods.get('default/low-c')?.unschedulableMessage !== undefined, 2000);

    // The victim's node stops it and the pod object goes; the nominated pod then takes its place.
    await append(log, podDeleted({ name: String(victim.name), uid: String(victim.uid) }));
    await waitFor(() => projection.state.pods.get('default/high')?.nodeName === 'n1', 5000);
    const high = projection.state.pods.get('default/high')!;
    expect(high.pod.status).not.toHaveProperty('nominatedNodeName');
    expect(projection.state.pods.get('default/low-c')?.nodeName).toBeUndefined();
    expect(projection.state.nodes.get('n1')?.requested.cpu).toBe(2000);
    // One preemption only: no second victim while the first was terminating.
    expect(await eventsOfType(log, 'PodDeletionRequested')).toHaveLength(1);
  });
  it('keeps deciding while bindings await their acknowledgement, never past the window, and never over capacity', async () => {
    const inner = new MemoryEventLog();
    // Bindings are stored at once (the fold sees them) but acknowledged only when the test releases them.
    const held: Array<() => void> = [];
    const log: EventLog = {
      append: async (request) => {
        const result = await inner.append(request);
        if (request.event.type === 'PodBound') await new Promise<void>((resolve) => held.push(resolve));
        return result;
      },
      subscribe: (fromSeq, handler, opts) => inner.subscribe(fromSeq, handler, opts),
      read: (fromSeq, toSeq, opts) => inner.read(fromSeq, toSeq, opts),
      lastSequence: () => inner.lastSequence(),
      firstSequence: () => inner.firstSequence(),
      status: () => inner.status(),
      close: () => inner.close(),
    };
    await append(inner, nodeRegistered({ name: 'n1', cpu: '2', podCIDR: null }));
    await append(inner, nodeRegistered({ name: 'n2', cpu: '2', podCIDR: null }));
    for (let i = 0; i < 6; i++) await append(inner, podCreated({ name: `p${i}`, cpu: '1' }));
    const projection = new LiveProjection(log);
    const loop = new SchedulerLoop({ log, projection, profiles: [DEFAULT_PROFILE], logger, bindsInFlight: 3 });
    running.push(loop);
    await projection.start();
    loop.start();
    // Three decisions travel at once, none acknowledged: the window is full.
    await waitFor(() => held.length === 3, 2000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(held.length).toBe(3);
    expect(loop.bindsInFlight).toBe(3);
    // Acknowledging one lets one more decision out; acknowledging all binds the 4 that fit.
    held.shift()!();
    await waitFor(() => held.length === 3, 2000);
    while (held.length > 0 || loop.bindsInFlight > 0) {
      held.splice(0).forEach((release) => release());
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await waitFor(async () => (await eventsOfType(inner, 'PodSchedulingFailed')).length >= 2, 2000);
    const bound = [...projection.state.pods.values()].filter((pod) => pod.nodeName !== undefined);
    expect(bound).toHaveLength(4);
    expect(bound.filter((pod) => pod.nodeName === 'n1')).toHaveLength(2);
    expect(bound.filter((pod) => pod.nodeName === 'n2')).toHaveLength(2);
    // Every binding was decided against the earlier assumptions: none was rejected by the fold.
    expect([...projection.state.pods.values()].filter((pod) => pod.lastBindingRejection !== undefined)).toHaveLength(0);
  });
});
