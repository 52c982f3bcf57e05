import { describe, expect, it } from 'vitest';
import { applyEvent, createClusterState, type ClusterState } from '@flotilla/state';
import { nodeRegistered, podBound, podCreated, podDeletionRequested, toRecord } from '@flotilla/state/testing';
import type { DomainEvent } from '@flotilla/events';
import type { ScheduleResult } from './framework.ts';
import { podBoundEvent, unschedulableEvents } from './decision-events.ts';

function fold(...events: DomainEvent[]): ClusterState {
  const state = createClusterState({ maxEvents: 100 });
  events.forEach((event, i) => applyEvent(state, toRecord(event, i + 1)));
  return state;
}

const summary = { nodes: 1, evaluated: 1, feasible: 0, rejectedBy: { 'NodeResourcesFit: Insufficient cpu': 1 } };

function unschedulable(extra: Partial<ScheduleResult>): ScheduleResult {
  return { feasible: false, verdicts: [], summary, message: '0/1 nodes are available: 1 Insufficient cpu.', unschedulablePlugins: ['NodeResourcesFit'], requeueOn: [], evaluatedNodes: 1, feasibleNodes: 0, ...extra };
}

describe('decision events', () => {
  const state = fold(
    nodeRegistered({ name: 'n1', cpu: '2' }),
    podCreated({ name: 'low-a', cpu: '1', priority: 1 }),
    podBound({ name: 'low-a', nodeName: 'n1' }),
    podCreated({ name: 'low-b', cpu: '1', priority: 1 }),
    podBound({ name: 'low-b', nodeName: 'n1' }),
    // Already terminating: preemption does not ask it again.
    podDeletionRequested({ name: 'low-b', gracePeriodSeconds: 5 }),
    podCreated({ name: 'high', cpu: '2', priority: 1000 }),
  );
  const high = state.pods.get('default/high')!;
  const victim = (name: string) => ({ key: `default/${name}`, namespace: 'default', name, uid: `uid-${name}` });

  it('binds with the attempt, the verdicts and the summary', () => {
    const event = podBoundEvent(high, { ...unschedulable({}), feasible: true, nodeName: 'n1' }, 3);
    expect(event).toMatchObject({ type: 'PodBound', data: { name: 'high', uid: 'uid-high', nodeName: 'n1', schedulerName: 'default-scheduler', attempt: 3, summary } });
  });

  it('preempts live victims only, then nominates, then records the failed attempt', () => {
    const events = unschedulableEvents(state, high, unschedulable({ nominatedNodeName: 'n1', victims: [victim('low-a'), victim('low-b'), victim('gone')] }), 2);
    expect(events.map((e) => e.type)).toEqual(['PodDeletionRequested', 'PodNominated', 'PodSchedulingFailed']);
    expect(events[0]!.data).toMatchObject({ name: 'low-a', reason: 'Preempted', gracePeriodSeconds: 30 });
    expect(events[1]!.data).toMatchObject({ nodeName: 'n1', attempt: 2, victims: [{ name: 'low-a' }, { name: 'low-b' }, { name: 'gone' }] });
    expect(events[2]!.data).toMatchObject({ attempt: 2, message: '0/1 nodes are available: 1 Insufficient cpu.' });
    expect(events[2]!.data).not.toHaveProperty('nominatedNodeName');
  });

  it('drops an earlier nomination when preemption can no longer help', () => {
    const events = unschedulableEvents(state, high, unschedulable({ nominatedNodeName: '' }), 4);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'PodSchedulingFailed', data: { nominatedNodeName: '', attempt: 4 } });
  });
});
