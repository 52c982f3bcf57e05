// Fixed pods, nodes and events for the golden tests of the renderers. `NOW` is the time they are seen.
import type { KubeEvent } from '@flotilla/client';
import type { Node, Pod, ReplicaSet } from '@flotilla/model';

export const NOW = new Date('2024-05-01T12:00:00Z');

/** ISO time `seconds` before NOW. */
export function ago(seconds: number): string {
  return new Date(NOW.getTime() - seconds * 1000).toISOString();
}

function pod(name: string, createdSecondsAgo: number, rest: Partial<Pod> & Pick<Pod, 'spec'>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    ...rest,
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: ago(createdSecondsAgo), ...rest.metadata },
  };
}

const scheduled = (seconds: number) => ({ type: 'PodScheduled', status: 'True' as const, lastTransitionTime: ago(seconds) });

export const runningPod = pod('web', 310, {
  metadata: { name: 'web', namespace: 'default', uid: 'uid-web', creationTimestamp: ago(310), labels: { app: 'web', tier: 'frontend' }, annotations: { 'flotilla.dev/owner': 'team-a' } },
  spec: {
    containers: [
      {
        name: 'nginx',
        image: 'nginx:1.25',
        ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '0.5', memory: '128Mi' } },
        env: [{ name: 'MODE', value: 'production' }],
        volumeMounts: [{ name: 'html', mountPath: '/usr/share/nginx/html', readOnly: true }],
      },
    ],
    volumes: [{ name: 'html', emptyDir: {} }],
    nodeName: 'node-1',
    restartPolicy: 'Always',
    priority: 0,
    schedulerName: 'default-scheduler',
    terminationGracePeriodSeconds: 30,
    tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
  },
  status: {
    phase: 'Running',
    hostIP: '10.0.0.11',
    podIP: '10.244.1.5',
    podIPs: [{ ip: '10.244.1.5' }],
    startTime: ago(305),
    conditions: [
      { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: ago(303) },
      { type: 'Initialized', status: 'True', lastTransitionTime: ago(303) },
      { type: 'Ready', status: 'True', lastTransitionTime: ago(300) },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: ago(300) },
      scheduled(305),
    ],
    containerStatuses: [
      { name: 'nginx', ready: true, started: true, restartCount: 0, image: 'nginx:1.25', imageID: '', containerID: 'flotilla://web-nginx', state: { running: { startedAt: ago(300) } } },
    ],
  },
});

export const initPod = pod('migrate', 40, {
  spec: {
    initContainers: [
      { name: 'init-db', image: 'busybox', command: ['sh', '-c', 'echo migrating'] },
      { name: 'init-cache', image: 'busybox' },
    ],
    containers: [{ name: 'app', image: 'app:2' }],
    nodeName: 'node-2',
  },
  status: {
    phase: 'Pending',
    hostIP: '10.0.0.12',
    podIP: '10.244.2.7',
    podIPs: [{ ip: '10.244.2.7' }],
    startTime: ago(38),
    conditions: [
      { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized' },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
      scheduled(39),
    ],
    initContainerStatuses: [
      { name: 'init-db', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: ago(36), finishedAt: ago(30) } } },
      { name: 'init-cache', ready: false, restartCount: 0, state: { running: { startedAt: ago(29) } } },
    ],
    containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
  },
});

export const crashingPod = pod('crash', 3 * 3600 + 25 * 60, {
  spec: { containers: [{ name: 'worker', image: 'worker:1', args: ['--fail'] }], nodeName: 'node-1', restartPolicy: 'Always' },
  status: {
    phase: 'Running',
    hostIP: '10.0.0.11',
    podIP: '10.244.1.9',
    podIPs: [{ ip: '10.244.1.9' }],
    conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'False' }, scheduled(12000)],
    containerStatuses: [
      {
        name: 'worker',
        ready: false,
        restartCount: 4,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(125), finishedAt: ago(120) } },
      },
    ],
  },
});

export const completedPod = pod('batch', 3 * 86400 + 5 * 3600, {
  spec: { containers: [{ name: 'job', image: 'busybox' }], nodeName: 'node-2', restartPolicy: 'Never' },
  status: {
    phase: 'Succeeded',
    conditions: [{ type: 'Initialized', status: 'True' }, scheduled(270000)],
    containerStatuses: [{ name: 'job', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: ago(269000), finishedAt: ago(268000) } } }],
  },
});

export const sidecarPod = pod('with-sidecar', 95, {
  spec: {
    initContainers: [{ name: 'log-shipper', image: 'shipper:1', restartPolicy: 'Always' }],
    containers: [{ name: 'app', image: 'app:1' }],
    nodeName: 'node-1',
  },
  status: {
    phase: 'Running',
    podIP: '10.244.1.6',
    conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }, scheduled(94)],
    initContainerStatuses: [{ name: 'log-shipper', ready: true, started: true, restartCount: 1, state: { running: { startedAt: ago(60) } }, lastState: { terminated: { exitCode: 137, reason: 'Error', finishedAt: ago(61) } } }],
    containerStatuses: [{ name: 'app', ready: true, started: true, restartCount: 0, state: { running: { startedAt: ago(90) } } }],
  },
});

export const terminatingPod = pod('old', 7200, {
  metadata: { name: 'old', namespace: 'default', uid: 'uid-old', creationTimestamp: ago(7200), deletionTimestamp: ago(-5), deletionGracePeriodSeconds: 30 },
  spec: { containers: [{ name: 'c', image: 'busybox' }], nodeName: 'node-2' },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: { startedAt: ago(7100) } } }],
  },
});

export const pendingPod = pod('queued', 12, {
  metadata: { name: 'queued', namespace: 'team-b', uid: 'uid-queued', creationTimestamp: ago(12) },
  spec: { containers: [{ name: 'big', image: 'big:1', resources: { requests: { cpu: '64' } } }] },
});

export const initErrorPod = pod('bad-init', 600, {
  spec: { initContainers: [{ name: 'setup', image: 'busybox' }], containers: [{ name: 'app', image: 'app:1' }], nodeName: 'node-2', restartPolicy: 'Never' },
  status: {
    phase: 'Failed',
    initContainerStatuses: [{ name: 'setup', ready: false, restartCount: 0, state: { terminated: { exitCode: 2, reason: 'Error' } } }],
    containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
  },
});

export const creatingPod = pod('starting', 3, {
  spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }], nodeName: 'node-1' },
  status: {
    phase: 'Pending',
    containerStatuses: [
      { name: 'a', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
      { name: 'b', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
    ],
  },
});

export const node1: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-1', uid: 'uid-node-1', creationTimestamp: ago(2 * 86400 + 3 * 3600), labels: { 'kubernetes.io/hostname': 'node-1', 'node-role.kubernetes.io/worker': '', zone: 'a' } },
  spec: { podCIDR: '10.244.1.0/24', taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] },
  status: {
    capacity: { cpu: '4', memory: '8Gi', pods: '110' },
    allocatable: { cpu: '4', memory: '8Gi', pods: '110', 'example.com/gpu': '2' },
    addresses: [
      { type: 'InternalIP', address: '10.0.0.11' },
      { type: 'Hostname', address: 'node-1' },
    ],
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'node agent is posting ready status', lastHeartbeatTime: ago(10), lastTransitionTime: ago(2 * 86400) }],
    nodeInfo: { kubeletVersion: 'flotilla-0.1.0', osImage: 'Flotilla sim', kernelVersion: '6.1.0', containerRuntimeVersion: 'sim://1' },
  },
};

export const node2: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-2', uid: 'uid-node-2', creationTimestamp: ago(45) },
  spec: { unschedulable: true },
  status: {
    capacity: { cpu: '2', memory: '4Gi' },
    allocatable: { cpu: '2', memory: '4Gi' },
    conditions: [{ type: 'Ready', status: 'False', reason: 'LeaseExpired' }],
  },
};

function event(name: string, reason: string, message: string, rest: Partial<KubeEvent> = {}): KubeEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: ago(300) },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'uid-web' },
    reason,
    message,
    type: 'Normal',
    source: { component: 'default-scheduler' },
    firstTimestamp: ago(305),
    lastTimestamp: ago(305),
    count: 1,
    ...rest,
  };
}

export const webEvents: KubeEvent[] = [
  event('web.1', 'Scheduled', 'Successfully assigned default/web to node-1'),
  event('web.2', 'Started', 'Started container nginx', {
    source: { component: 'node-agent', host: 'node-1' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'uid-web', fieldPath: 'spec.containers{nginx}' },
    firstTimestamp: ago(300),
    lastTimestamp: ago(300),
  }),
  event('crash.1', 'BackOff', 'Back-off restarting failed container worker in pod crash', {
    type: 'Warning',
    source: { component: 'node-agent', host: 'node-1' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'crash', uid: 'uid-crash' },
    firstTimestamp: ago(3000),
    lastTimestamp: ago(20),
    count: 17,
  }),
];

export const frontendReplicaSet: ReplicaSet = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'frontend', namespace: 'default', uid: 'uid-frontend', creationTimestamp: ago(13), generation: 2, labels: { app: 'guestbook', tier: 'frontend' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { tier: 'frontend' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'canary'] }] },
    template: {
      metadata: { labels: { tier: 'frontend', env: 'prod' } },
      spec: {
        containers: [
          { name: 'php-redis', image: 'gb-frontend:v5' },
          { name: 'log', image: 'busybox:1.36', command: ['sh', '-c', 'tail -f /var/log/app.log'] },
        ],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
      },
    },
  },
  status: { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 2, observedGeneration: 2 },
};

export const scalingReplicaSet: ReplicaSet = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web', namespace: 'team-b', uid: 'uid-rs-web', creationTimestamp: ago(3 * 3600), generation: 1 },
  spec: {
    replicas: 10,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], volumeMounts: [{ name: 'html', mountPath: '/html' }] }],
        volumes: [{ name: 'html', emptyDir: {} }],
        nodeSelector: { zone: 'a' },
        tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }],
      },
    },
  },
  status: { replicas: 4, readyReplicas: 1 },
};

export const replicaSetEvents: KubeEvent[] = [
  {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'frontend.1', namespace: 'default', uid: 'e-rs-1', resourceVersion: '20', creationTimestamp: ago(13) },
    involvedObject: { kind: 'ReplicaSet', namespace: 'default', name: 'frontend', uid: 'uid-frontend' },
    reason: 'SuccessfulCreate',
    message: 'Created pod: frontend-gbgfx',
    type: 'Normal',
    source: { component: 'replicaset-controller' },
    firstTimestamp: ago(13),
    lastTimestamp: ago(13),
    count: 1,
  },
];
