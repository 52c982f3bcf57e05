// What a scheduling decision writes to the log, shared by the scheduler service and the replay so that
// both record exactly the same facts for the same decision.
import type { EventOfType, PodBound, PodDeletionRequested, PodNominated, PodSchedulingFailed } from '@flotilla/events';
import { PREEMPTED, type ClusterState, type PodRecord } from '@flotilla/state';
import type { ScheduleResult } from './framework.ts';

function schedulerNameOf(record: PodRecord): string {
  return record.pod.spec.schedulerName ?? 'default-scheduler';
}

/** The binding of a feasible decision (`result.nodeName` set). */
export function podBoundEvent(record: PodRecord, result: ScheduleResult & { nodeName: string }, attempt: number): PodBound {
  const { namespace, name, uid } = record.pod.metadata;
  return {
    type: 'PodBound',
    data: { namespace, name, uid, nodeName: result.nodeName, schedulerName: schedulerNameOf(record), attempt, verdicts: result.verdicts, summary: result.summary },
  };
}

/**
 * What an unschedulable decision writes, in order: when preemption chose `result.nominatedNodeName`,
 * a PodDeletionRequested (reason Preempted, the victim's own grace period) for each victim still
 * there and not already terminating, then PodNominated; always the PodSchedulingFailed of the attempt
 * (an empty nominatedNodeName drops an earlier nomination: preemption can no longer help).
 */
export function unschedulableEvents(
  state: ClusterState,
  record: PodRecord,
  result: ScheduleResult,
  attempt: number,
): Array<PodDeletionRequested | PodNominated | PodSchedulingFailed> {
  const { namespace, name, uid } = record.pod.metadata;
  const schedulerName = schedulerNameOf(record);
  const events: Array<PodDeletionRequested | PodNominated | PodSchedulingFailed> = [];
  const nodeName = result.nominatedNodeName;
  if (nodeName) {
    const victims = result.victims ?? [];
    for (const victim of victims) {
      const target = state.pods.get(victim.key);
      if (!target || target.pod.metadata.uid !== victim.uid || target.deletion !== undefined) continue;
      events.push({
        type: 'PodDeletionRequested',
        data: {
          namespace: victim.namespace,
          name: victim.name,
          uid: victim.uid,
          gracePeriodSeconds: target.pod.spec.terminationGracePeriodSeconds ?? 30,
          reason: PREEMPTED,
          message: `${schedulerName}: preempting to accommodate a higher priority pod`,
        },
      });
    }
    events.push({
      type: 'PodNominated',
      data: {
        namespace,
        name,
        uid,
        nodeName,
        schedulerName,
        attempt,
        victims: victims.map((victim) => ({ namespace: victim.namespace, name: victim.name, uid: victim.uid })),
        message: result.message ?? '',
      },
    });
  }
  events.push({
    type: 'PodSchedulingFailed',
    data: {
      namespace,
      name,
      uid,
      schedulerName,
      attempt,
      message: result.message ?? 'no nodes available',
      verdicts: result.verdicts,
      summary: result.summary,
      ...(nodeName === '' ? { nominatedNodeName: '' } : {}),
    },
  } satisfies EventOfType<'PodSchedulingFailed'>);
  return events;
}
