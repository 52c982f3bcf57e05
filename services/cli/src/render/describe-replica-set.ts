import type { KubeEvent } from '@flotilla/client';
import type { Pod, PodTemplateSpec, ReplicaSet } from '@flotilla/model';
import { describeEvents, printAnnotationsMultiline, printLabelsMultiline, printTolerationsMultiline, type DescribeOptions } from './describe-common.ts';
import { describeContainers, describeVolumes } from './describe-pod.ts';
import { formatRfc1123z } from './duration.ts';
import { selectorText } from './get-table.ts';
import { PrefixWriter } from './tabwriter.ts';

/** Pods of a ReplicaSet by phase, as kubectl's getPodStatusForController counts them. */
export interface PodPhaseCounts {
  running: number;
  waiting: number;
  succeeded: number;
  failed: number;
}

/**
 * The pods a ReplicaSet controls among `pods` (those its selector matched), by phase: only pods whose
 * controller ownerReference is this ReplicaSet's uid count, as in kubectl.
 */
export function podPhaseCounts(rs: ReplicaSet, pods: readonly Pod[]): PodPhaseCounts {
  const counts: PodPhaseCounts = { running: 0, waiting: 0, succeeded: 0, failed: 0 };
  for (const pod of pods) {
    const controller = pod.metadata.ownerReferences?.find((ref) => ref.controller === true);
    if (!controller || controller.uid !== rs.metadata.uid) continue;
    switch (pod.status?.phase ?? 'Pending') {
      case 'Running':
        counts.running++;
        break;
      case 'Pending':
        counts.waiting++;
        break;
      case 'Succeeded':
        counts.succeeded++;
        break;
      case 'Failed':
        counts.failed++;
        break;
    }
  }
  return counts;
}

/**
 * `flotilla describe replicaset`, laid out as kubectl's describeReplicaSet. `pods` undefined prints
 * kubectl's "error in fetching pods" line; `events` undefined omits the Events section.
 */
export function describeReplicaSet(rs: ReplicaSet, pods: PodPhaseCounts | { error: string }, events: readonly KubeEvent[] | undefined, options: DescribeOptions): string {
  const w = new PrefixWriter();
  const { metadata, spec } = rs;
  w.write(0, `Name:\t${metadata.name}\n`);
  w.write(0, `Namespace:\t${metadata.namespace}\n`);
  w.write(0, `Selector:\t${selectorText(rs)}\n`);
  printLabelsMultiline(w, 'Labels', metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', metadata.annotations);
  const controller = metadata.ownerReferences?.find((ref) => ref.controller);
  if (controller) w.write(0, `Controlled By:\t${controller.kind}/${controller.name}\n`);
  w.write(0, `Replicas:\t${rs.status?.replicas ?? 0} current / ${spec.replicas ?? 1} desired\n`);
  w.write(0, 'Pods Status:\t');
  if ('error' in pods) w.write(0, `error in fetching pods: ${pods.error}\n`);
  else w.write(0, `${pods.running} Running / ${pods.waiting} Waiting / ${pods.succeeded} Succeeded / ${pods.failed} Failed\n`);
  describePodTemplate(w, spec.template, options);
  const conditions = rs.status?.conditions ?? [];
  if (conditions.length > 0) {
    w.write(0, 'Conditions:\n  Type\tStatus\tReason\n');
    w.write(1, '----\t------\t------\n');
    for (const c of conditions) w.write(1, `${c.type} \t${c.status}\t${c.reason ?? ''}\n`);
  }
  describeEvents(w, events, options);
  return w.toString();
}

/** kubectl's DescribePodTemplate. */
function describePodTemplate(w: PrefixWriter, template: PodTemplateSpec, options: DescribeOptions): void {
  w.write(0, 'Pod Template:\n');
  const { spec } = template;
  printLabelsMultiline(w, '  Labels', template.metadata?.labels);
  if (Object.keys(template.metadata?.annotations ?? {}).length > 0) printAnnotationsMultiline(w, '  Annotations', template.metadata?.annotations);
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName) w.write(1, `Service Account:\t${spec.serviceAccountName}\n`);
  const time = (t: string | null | undefined) => formatRfc1123z(t, options.localTime);
  if (spec.initContainers && spec.initContainers.length > 0) describeContainers(w, 'Init Containers', spec.initContainers, undefined, time, '  ');
  describeContainers(w, 'Containers', spec.containers, undefined, time, '  ');
  describeVolumes(w, spec.volumes, '  ');
  if (spec.priorityClassName) w.write(1, `Priority Class Name:\t${spec.priorityClassName}\n`);
  printLabelsMultiline(w, '  Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, '  Tolerations', spec.tolerations);
}
