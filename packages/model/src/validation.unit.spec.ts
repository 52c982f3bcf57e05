import { describe, expect, it } from 'vitest';
import { formatFieldError, validateNode, validatePod } from './validation.ts';

const goodPod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web.v1', labels: { app: 'web', 'example.com/tier': 'front' } },
  spec: {
    initContainers: [
      { name: 'init', image: 'busybox', command: ['sh', '-c', 'true'] },
      { name: 'proxy', image: 'envoy', restartPolicy: 'Always', ports: [{ containerPort: 9901 }] },
    ],
    containers: [
      { name: 'server', image: 'nginx', ports: [{ containerPort: 80, hostPort: 8080 }], resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: 1, memory: '128Mi' } }, volumeMounts: [{ name: 'data', mountPath: '/data' }] },
      { name: 'sidecar', image: 'busybox', ports: [{ containerPort: 80, protocol: 'UDP' }], volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }] },
    ],
    volumes: [{ name: 'data', emptyDir: { medium: 'Memory' } }],
    restartPolicy: 'OnFailure',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
    terminationGracePeriodSeconds: 10,
    priority: 100,
  },
});

function messages(input: unknown): string[] {
  const result = validatePod(input);
  return result.ok ? [] : result.errors.map(formatFieldError);
}

describe('validatePod', () => {
  it('accepts a full manifest and keeps its fields', () => {
    const result = validatePod(goodPod());
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.spec.containers).toHaveLength(2);
      expect(result.value.spec.initContainers?.[1]?.restartPolicy).toBe('Always');
      expect(result.warnings).toEqual([]);
    }
  });

  it('accepts what `kubectl get pod -o yaml` prints, warning about fields Flotilla does not act on', () => {
    const pod = goodPod();
    const fromKubectl = {
      ...pod,
      metadata: { ...pod.metadata, uid: 'abc', resourceVersion: '12', creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [{ manager: 'kubectl' }] },
      spec: { ...pod.spec, dnsPolicy: 'ClusterFirst', serviceAccountName: 'default', containers: pod.spec.containers.map((c) => ({ ...c, imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' })) },
      status: { phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
    };
    const result = validatePod(fromKubectl);
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual(
      expect.arrayContaining([
        'metadata.managedFields: accepted but not acted on by Flotilla',
        'spec.dnsPolicy: accepted but not acted on by Flotilla',
        'spec.serviceAccountName: accepted but not acted on by Flotilla',
        'spec.containers[0].imagePullPolicy: accepted but not acted on by Flotilla',
        'spec.containers[1].terminationMessagePath: accepted but not acted on by Flotilla',
      ]),
    );
  });

  it('lists every problem with its field path in one answer', () => {
    const pod = goodPod();
    pod.spec.containers[1] = { ...pod.spec.containers[1]!, name: 'server', resources: { requests: { cpu: '1.5.5' } } } as never;
    const errors = messages(pod);
    expect(errors).toContain('spec.containers[1].resources.requests.cpu: invalid quantity "1.5.5"');
    expect(errors).toContain('spec.containers[1].name: duplicate value "server"');
  });

  it.each([
    ['unknown fields', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec.containers[0]!, { imagePullPolic: 'Always' }), 'spec.containers[0].imagePullPolic: unknown field'],
    ['unknown top-level fields', (p: ReturnType<typeof goodPod>) => Object.assign(p, { specs: {} }), 'specs: unknown field'],
    ['bad pod names', (p: ReturnType<typeof goodPod>) => Object.assign(p.metadata, { name: 'Web_1' }), 'metadata.name: invalid value "Web_1": a lowercase RFC 1123 subdomain'],
    ['bad container names', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec.containers[0]!, { name: 'my.server' }), 'spec.containers[0].name: invalid value "my.server": a lowercase RFC 1123 label'],
    ['bad memory quantities', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec.containers[0]!, { resources: { limits: { memory: '1GB' } } }), 'spec.containers[0].resources.limits.memory: invalid quantity "1GB"'],
    ['requests over limits', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec.containers[0]!, { resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }), 'spec.containers[0].resources.requests.cpu: invalid value "2": must be less than or equal to cpu limit of "1"'],
    ['two containers on one port', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec.containers[1]!, { ports: [{ containerPort: 80 }] }), 'spec.containers[1].ports[0].containerPort: port 80/TCP is already used by container "server": containers of a pod share one port space'],
    ['a sidecar and an app container on one port', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec.containers[1]!, { ports: [{ containerPort: 9901 }] }), 'spec.containers[1].ports[0].containerPort: port 9901/TCP is already used by container "proxy"'],
    ['an undeclared volume', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec.containers[0]!, { volumeMounts: [{ name: 'logs', mountPath: '/logs' }] }), 'spec.containers[0].volumeMounts[0].name: volume "logs" is not declared in spec.volumes'],
    ['a relative mount path', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec.containers[0]!, { volumeMounts: [{ name: 'data', mountPath: 'data' }] }), 'spec.containers[0].volumeMounts[0].mountPath: must be an absolute path'],
    ['a bad restartPolicy', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec, { restartPolicy: 'Sometimes' }), 'spec.restartPolicy: unsupported value "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    ['restartPolicy on an app container', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec.containers[0]!, { restartPolicy: 'Always' }), 'spec.containers[0].restartPolicy: may only be set on init containers'],
    ['a wrong type', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec.containers[0]!, { ports: [{ containerPort: '80' }] }), 'spec.containers[0].ports[0].containerPort: expected number, got string'],
    ['a missing container name', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec.containers[0]!, { name: undefined }), 'spec.containers[0].name: required value'],
    ['no containers', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec, { containers: [] }), 'spec.containers: at least one container is required'],
    ['a bad label value', (p: ReturnType<typeof goodPod>) => Object.assign(p.metadata, { labels: { app: 'has space' } }), 'metadata.labels.app: invalid value "has space"'],
    ['a port out of range', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec.containers[0]!, { ports: [{ containerPort: 70000 }] }), 'spec.containers[0].ports[0].containerPort: invalid value 70000: must be between 1 and 65535, inclusive'],
    ['a value on an Exists toleration', (p: ReturnType<typeof goodPod>) => Object.assign(p.spec, { tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] }), 'spec.tolerations[0].value: must be empty when operator is Exists'],
    ['the wrong kind', (p: ReturnType<typeof goodPod>) => Object.assign(p, { kind: 'Deployment' }), 'kind: unsupported value "Deployment": supported values: "Pod"'],
  ])('rejects %s', (_case, mutate, expected) => {
    const pod = goodPod();
    mutate(pod);
    const errors = messages(pod);
    expect(errors.some((e) => e.startsWith(expected)), `${JSON.stringify(errors)} should contain ${expected}`).toBe(true);
  });

  it('needs a name or generateName', () => {
    const pod = goodPod();
    delete (pod.metadata as { name?: string }).name;
    expect(messages(pod)).toContain('metadata.name: name or generateName is required');
    expect(validatePod({ ...pod, metadata: { generateName: 'web-' } }).ok).toBe(true);
  });

  it('does not crash on garbage', () => {
    for (const garbage of [null, 42, 'pod', [], { spec: 'x' }, { apiVersion: 'v1', kind: 'Pod', metadata: [], spec: { containers: 'x' } }]) {
      const result = validatePod(garbage);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors.length).toBeGreaterThan(0);
    }
  });
});

describe('validateNode', () => {
  it('accepts a node with capacity and taints', () => {
    const result = validateNode({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1', labels: { 'topology.kubernetes.io/zone': 'a' } },
      spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], unschedulable: false },
      status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' } },
    });
    expect(result.ok).toBe(true);
  });

  it('rejects bad capacity and taint effects with paths', () => {
    const result = validateNode({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1' },
      spec: { taints: [{ key: 'dedicated', effect: 'Sometimes' }] },
      status: { capacity: { cpu: 'four' } },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      const errors = result.errors.map(formatFieldError);
      expect(errors).toContain('status.capacity.cpu: invalid quantity "four"');
      expect(errors.some((e) => e.startsWith('spec.taints[0].effect: unsupported value "Sometimes"'))).toBe(true);
    }
  });
});

describe('scheduling fields', () => {
  const base = () => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } });

  it('accepts node affinity, pod (anti-)affinity and topology spread as Kubernetes writes them', () => {
    const pod = {
      ...base(),
      spec: {
        ...base().spec,
        priorityClassName: 'high-priority',
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, { key: 'cpus', operator: 'Gt', values: ['4'] }] }] },
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'ssd', operator: 'Exists' }] } }],
          },
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] },
        },
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }],
      },
    };
    const result = validatePod(pod);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it.each([
    [{ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cpus', operator: 'Gt', values: ['many'] }] }] } } } }, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: must be a single integer when `operator` is 'Gt'"],
    [{ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' }] }] } } } }, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: required value"],
    [{ affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, podAffinityTerm: { topologyKey: 'zone' } }] } } }, 'spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: invalid value 0: must be in the range 1-100'],
    [{ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: '' }] } } }, 'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: required value'],
    [{ topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] }, 'spec.topologySpreadConstraints[0].maxSkew: invalid value 0: must be greater than zero'],
    [{ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'Sometimes' }] }, 'spec.topologySpreadConstraints[0].whenUnsatisfiable: unsupported value "Sometimes"'],
    [{ priorityClassName: 'urgent' }, 'spec.priorityClassName: no PriorityClass with name "urgent" was found'],
    [{ priorityClassName: 'high-priority', priority: 5 }, 'spec.priority: the integer value of priority (5) must not be provided'],
  ])('rejects %j', (specPatch, expected) => {
    const errors = messages({ ...base(), spec: { ...base().spec, ...specPatch } });
    expect(errors.some((e) => e.startsWith(expected)), `${JSON.stringify(errors)} should contain ${expected}`).toBe(true);
  });
});
