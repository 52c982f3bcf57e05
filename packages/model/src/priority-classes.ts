// PriorityClasses: the two Kubernetes ships with plus a few common ones, so manifests that name them
// work without creating PriorityClass objects (Flotilla has no PriorityClass API yet).

export interface PriorityClass {
  name: string;
  value: number;
  preemptionPolicy: 'PreemptLowerPriority' | 'Never';
  description: string;
}

export const BUILT_IN_PRIORITY_CLASSES: readonly PriorityClass[] = [
  { name: 'system-node-critical', value: 2_000_001_000, preemptionPolicy: 'PreemptLowerPriority', description: 'Kubernetes built-in: pods a node cannot run without' },
  { name: 'system-cluster-critical', value: 2_000_000_000, preemptionPolicy: 'PreemptLowerPriority', description: 'Kubernetes built-in: pods the cluster cannot run without' },
  { name: 'high-priority', value: 1_000_000, preemptionPolicy: 'PreemptLowerPriority', description: 'preempts lower-priority pods' },
  { name: 'default-priority', value: 0, preemptionPolicy: 'PreemptLowerPriority', description: 'the priority of pods that name no class' },
  { name: 'low-priority', value: -1000, preemptionPolicy: 'PreemptLowerPriority', description: 'evicted first by preemption' },
  { name: 'best-effort-no-preempt', value: -1000, preemptionPolicy: 'Never', description: 'low priority and never preempts others' },
];

const BY_NAME = new Map(BUILT_IN_PRIORITY_CLASSES.map((c) => [c.name, c]));

export function priorityClass(name: string): PriorityClass | undefined {
  return BY_NAME.get(name);
}
