import { describe, expect, it } from 'vitest';
import { formatFieldError, validateNode, validatePod, validateReplicaSet } from './validation.ts';

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

describe('validatePod: probes and lifecycle hooks', () => {
  /** A pod whose app container `web` (port 8080 named `http`) gets `fields`. */
  const withApp = (fields: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'probed' },
    spec: {
      containers: [{ name: 'web', image: 'node', command: ['node', 'server.js'], ports: [{ name: 'http', containerPort: 8080 }], ...fields }],
      ...extra,
    },
  });
  const errorsOf = (fields: Record<string, unknown>) => messages(withApp(fields));

  it('accepts each handler kind, named and numbered ports, and hooks', () => {
    const result = validatePod(
      withApp({
        livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: '1' }] }, periodSeconds: 5, failureThreshold: 2 },
        readinessProbe: { tcpSocket: { port: 8080 }, successThreshold: 2, initialDelaySeconds: 0 },
        startupProbe: { exec: { command: ['cat', '/tmp/started'] }, failureThreshold: 30, periodSeconds: 1 },
        lifecycle: { postStart: { exec: { command: ['touch', '/tmp/x'] } }, preStop: { sleep: { seconds: 5 } } },
      }),
    );
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it('needs exactly one handler', () => {
    expect(errorsOf({ livenessProbe: { periodSeconds: 5 } })).toContain('spec.containers[0].livenessProbe: required value: must specify a handler type');
    expect(errorsOf({ readinessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 8080 } } })).toEqual([
      'spec.containers[0].readinessProbe.tcpSocket: forbidden: may not specify more than 1 handler type',
    ]);
    expect(errorsOf({ lifecycle: { preStop: {} } })).toContain('spec.containers[0].lifecycle.preStop: required value: must specify a handler type');
    expect(errorsOf({ lifecycle: { preStop: { exec: { command: ['true'] }, sleep: { seconds: 1 } } } })).toEqual([
      'spec.containers[0].lifecycle.preStop.sleep: forbidden: may not specify more than 1 handler type',
    ]);
  });

  it('counts grpc as a probe handler, accepted with a warning', () => {
    const result = validatePod(withApp({ livenessProbe: { grpc: { port: 9090 } } }));
    expect(result).toMatchObject({ ok: true, warnings: ['spec.containers[0].livenessProbe.grpc: accepted but not acted on by Flotilla'] });
    expect(errorsOf({ livenessProbe: { grpc: { port: 9090 }, exec: { command: ['true'] } } })).toEqual([
      'spec.containers[0].livenessProbe.grpc: forbidden: may not specify more than 1 handler type',
    ]);
  });

  it('needs a command for exec', () => {
    expect(errorsOf({ livenessProbe: { exec: { command: [] } } })).toEqual(['spec.containers[0].livenessProbe.exec.command: required value']);
    expect(errorsOf({ lifecycle: { postStart: { exec: {} } } })).toEqual(['spec.containers[0].lifecycle.postStart.exec.command: required value']);
  });

  it.each([
    [{ httpGet: { port: 0 } }, 'spec.containers[0].readinessProbe.httpGet.port: invalid value 0: must be between 1 and 65535, inclusive'],
    [{ tcpSocket: { port: 65536 } }, 'spec.containers[0].readinessProbe.tcpSocket.port: invalid value 65536: must be between 1 and 65535, inclusive'],
    [{ tcpSocket: { port: 'metrics' } }, 'spec.containers[0].readinessProbe.tcpSocket.port: invalid value "metrics": must be the name of one of the container\'s ports'],
    [{ httpGet: { port: 'HTTP' } }, 'spec.containers[0].readinessProbe.httpGet.port: invalid value "HTTP": must contain only alpha-numeric characters (a-z, 0-9), or hyphens (-)'],
    [{ httpGet: { port: '8080' } }, 'spec.containers[0].readinessProbe.httpGet.port: invalid value "8080": must contain at least one letter (a-z)'],
    [{ httpGet: { port: 'a-very-long-port-name' } }, 'spec.containers[0].readinessProbe.httpGet.port: invalid value "a-very-long-port-name": must be no more than 15 characters'],
    [{ httpGet: { port: 'web--ui' } }, 'spec.containers[0].readinessProbe.httpGet.port: invalid value "web--ui": must not contain consecutive hyphens (-)'],
    [{ httpGet: { port: 'http', path: 'healthz' } }, 'spec.containers[0].readinessProbe.httpGet.path: invalid value "healthz": must start with "/"'],
    [{ httpGet: { port: 'http', scheme: 'http' } }, 'spec.containers[0].readinessProbe.httpGet.scheme: unsupported value "http": supported values: "HTTP", "HTTPS"'],
    [{ httpGet: { port: 'http', httpHeaders: [{ name: 'X Bad', value: '1' }] } }, 'spec.containers[0].readinessProbe.httpGet.httpHeaders[0].name: invalid value "X Bad": a valid HTTP header'],
  ])('rejects a bad handler %j', (handler, expected) => {
    const errors = errorsOf({ readinessProbe: handler });
    expect(errors.some((e) => e.startsWith(expected)), `${JSON.stringify(errors)} should contain ${expected}`).toBe(true);
  });

  it('checks hook ports like probe ports', () => {
    expect(errorsOf({ lifecycle: { preStop: { httpGet: { port: 'admin', path: '/stop' } } } })).toEqual([
      'spec.containers[0].lifecycle.preStop.httpGet.port: invalid value "admin": must be the name of one of the container\'s ports',
    ]);
  });

  it('a port name only refers to the probing container\'s own ports', () => {
    const pod = withApp({}, { initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always', readinessProbe: { httpGet: { port: 'http' } } }] });
    expect(messages(pod)).toEqual(['spec.initContainers[0].readinessProbe.httpGet.port: invalid value "http": must be the name of one of the container\'s ports']);
  });

  it.each([
    ['initialDelaySeconds', -1, 'invalid value -1: must be greater than or equal to 0'],
    ['timeoutSeconds', 0, 'invalid value 0: must be greater than or equal to 1'],
    ['periodSeconds', 0, 'invalid value 0: must be greater than or equal to 1'],
    ['successThreshold', 0, 'invalid value 0: must be greater than or equal to 1'],
    ['failureThreshold', 0, 'invalid value 0: must be greater than or equal to 1'],
    ['terminationGracePeriodSeconds', 0, 'invalid value 0: must be greater than 0'],
  ])('rejects %s %d', (field, value, expected) => {
    expect(errorsOf({ readinessProbe: { exec: { command: ['true'] }, [field]: value } })).toContain(`spec.containers[0].readinessProbe.${field}: ${expected}`);
  });

  it('liveness and startup probes need successThreshold 1; readiness may ask for more', () => {
    const probe = { exec: { command: ['true'] }, successThreshold: 3 };
    expect(errorsOf({ livenessProbe: probe })).toEqual(['spec.containers[0].livenessProbe.successThreshold: invalid value 3: must be 1']);
    expect(errorsOf({ startupProbe: probe })).toEqual(['spec.containers[0].startupProbe.successThreshold: invalid value 3: must be 1']);
    expect(errorsOf({ readinessProbe: probe })).toEqual([]);
  });

  it('sleep hooks need non-negative seconds', () => {
    expect(errorsOf({ lifecycle: { preStop: { sleep: { seconds: -1 } } } })).toEqual([
      'spec.containers[0].lifecycle.preStop.sleep.seconds: invalid value -1: must be greater than or equal to 0',
    ]);
    expect(errorsOf({ lifecycle: { preStop: { sleep: { seconds: 0 } } } })).toEqual([]);
  });

  it('regular init containers may have neither probes nor hooks; sidecars may', () => {
    const probe = { exec: { command: ['true'] } };
    const fields = { lifecycle: { preStop: probe }, livenessProbe: probe, readinessProbe: probe, startupProbe: probe };
    const pod = withApp({}, { initContainers: [{ name: 'init', image: 'x', ...fields }, { name: 'side', image: 'x', restartPolicy: 'Always', ...fields }] });
    expect(messages(pod)).toEqual(
      ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'].map((f) => `spec.initContainers[0].${f}: forbidden: may not be set for init containers without restartPolicy=Always`),
    );
  });

  it('checks container port names: IANA_SVC_NAME, unique within the container', () => {
    const pod = withApp({ ports: [{ name: 'http', containerPort: 8080 }, { name: 'http', containerPort: 8081 }, { name: 'Admin', containerPort: 8082 }] });
    expect(messages(pod)).toEqual([
      'spec.containers[0].ports[1].name: duplicate value "http"',
      'spec.containers[0].ports[2].name: invalid value "Admin": must contain only alpha-numeric characters (a-z, 0-9), or hyphens (-)',
    ]);
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

const goodReplicaSet = () => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'edge'] }] },
    template: {
      metadata: { labels: { app: 'web', tier: 'front' } },
      spec: { containers: [{ name: 'server', image: 'nginx', ports: [{ containerPort: 80 }] }] },
    },
  },
});

function replicaSetMessages(input: unknown): string[] {
  const result = validateReplicaSet(input);
  return result.ok ? [] : result.errors.map(formatFieldError);
}

describe('validateReplicaSet', () => {
  it('accepts a ReplicaSet whose selector matches its template', () => {
    const result = validateReplicaSet(goodReplicaSet());
    expect(result.ok ? [] : result.errors).toEqual([]);
    if (result.ok) expect(result.value.spec.template.spec.containers[0]?.name).toBe('server');
  });

  it('accepts what `get rs -o yaml` prints (status ignored)', () => {
    const rs = { ...goodReplicaSet(), status: { replicas: 3, readyReplicas: 2, observedGeneration: 1 } };
    expect(validateReplicaSet(rs).ok).toBe(true);
  });

  it.each<[string, (rs: ReturnType<typeof goodReplicaSet>) => unknown, string]>([
    ['a template the selector does not match', (rs) => ({ ...rs, spec: { ...rs.spec, template: { ...rs.spec.template, metadata: { labels: { app: 'api', tier: 'front' } } } } }), 'spec.template.metadata.labels: Invalid value: {"app":"api","tier":"front"}: `selector` does not match template `labels`'],
    ['a template without labels', (rs) => ({ ...rs, spec: { ...rs.spec, template: { spec: rs.spec.template.spec } } }), 'spec.template.metadata.labels: Invalid value: {}: `selector` does not match template `labels`'],
    ['no selector', (rs) => ({ ...rs, spec: { ...rs.spec, selector: undefined } }), 'spec.selector: Required value'],
    ['an empty selector', (rs) => ({ ...rs, spec: { ...rs.spec, selector: {} } }), 'spec.selector: Invalid value: {}: empty selector is invalid for deployment'],
    ['negative replicas', (rs) => ({ ...rs, spec: { ...rs.spec, replicas: -1 } }), 'spec.replicas: Invalid value: -1: must be greater than or equal to 0'],
    ['negative minReadySeconds', (rs) => ({ ...rs, spec: { ...rs.spec, minReadySeconds: -5 } }), 'spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0'],
    ['restartPolicy Never', (rs) => ({ ...rs, spec: { ...rs.spec, template: { ...rs.spec.template, spec: { ...rs.spec.template.spec, restartPolicy: 'Never' } } } }), 'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ['restartPolicy OnFailure', (rs) => ({ ...rs, spec: { ...rs.spec, template: { ...rs.spec.template, spec: { ...rs.spec.template.spec, restartPolicy: 'OnFailure' } } } }), 'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
    ['a bad name', (rs) => ({ ...rs, metadata: { name: 'Web_1' } }), 'metadata.name: invalid value "Web_1": a lowercase RFC 1123 subdomain'],
    ['a bad container name in the template', (rs) => ({ ...rs, spec: { ...rs.spec, template: { ...rs.spec.template, spec: { containers: [{ name: 'my.server', image: 'x' }] } } } }), 'spec.template.spec.containers[0].name: invalid value "my.server": a lowercase RFC 1123 label'],
    ['an unknown field in the template', (rs) => ({ ...rs, spec: { ...rs.spec, template: { ...rs.spec.template, spec: { containers: [{ name: 'c', imagee: 'x' }] } } } }), 'spec.template.spec.containers[0].imagee: unknown field'],
    ['a bad quantity in the template', (rs) => ({ ...rs, spec: { ...rs.spec, template: { ...rs.spec.template, spec: { containers: [{ name: 'c', resources: { requests: { cpu: '1.5.5' } } }] } } } }), 'spec.template.spec.containers[0].resources.requests.cpu: invalid quantity "1.5.5"'],
    ['a bad template label', (rs) => ({ ...rs, spec: { ...rs.spec, selector: { matchLabels: { app: 'web' } }, template: { ...rs.spec.template, metadata: { labels: { app: 'web', bad: 'no spaces' } } } } }), 'spec.template.metadata.labels.bad: invalid value "no spaces"'],
    ['a selector expression without values', (rs) => ({ ...rs, spec: { ...rs.spec, selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } } }), 'spec.selector.matchExpressions[0].values: required value'],
    ['the wrong apiVersion', (rs) => ({ ...rs, apiVersion: 'v1' }), 'apiVersion: unsupported value "v1": supported values: "apps/v1"'],
  ])('rejects %s', (_what, patch, expected) => {
    const errors = replicaSetMessages(patch(goodReplicaSet()));
    expect(errors.some((e) => e.startsWith(expected)), `${JSON.stringify(errors)} should contain ${expected}`).toBe(true);
  });

  it('lists every problem in one answer, each once', () => {
    const rs = goodReplicaSet();
    const errors = replicaSetMessages({
      ...rs,
      spec: { ...rs.spec, replicas: -2, selector: undefined, template: { spec: { ...rs.spec.template.spec, restartPolicy: 'Never' } } },
    });
    expect(errors).toEqual([
      'spec.replicas: Invalid value: -2: must be greater than or equal to 0',
      'spec.selector: Required value',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });
});
