import { describe, expect, it } from 'vitest';
import { podForCreate, replicaSetForCreate, withDefaultTolerations } from './defaults.ts';
import type { Toleration } from './meta.ts';
import type { PodManifest, PodSpec } from './pod.ts';

const server = { uid: 'u1', now: '2026-01-01T00:00:00.000Z' };

describe('podForCreate: probe and hook defaults', () => {
  it('fills in what Kubernetes defaults in probes and httpGet actions, and keeps what is set', () => {
    const manifest: PodManifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        initContainers: [{ name: 'side', restartPolicy: 'Always', startupProbe: { tcpSocket: { port: 9000 } } }],
        containers: [
          {
            name: 'web',
            ports: [{ name: 'http', containerPort: 8080 }],
            livenessProbe: { httpGet: { port: 'http' } },
            readinessProbe: { exec: { command: ['true'] }, periodSeconds: 2, successThreshold: 2, failureThreshold: 1, timeoutSeconds: 5, initialDelaySeconds: 3 },
            lifecycle: { preStop: { httpGet: { port: 8080, path: '', scheme: 'HTTPS' } }, postStart: { exec: { command: ['true'] } } },
          },
        ],
      },
    };
    const pod = podForCreate(manifest, server);
    const web = pod.spec.containers[0];
    expect(web?.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(web?.livenessProbe).toEqual({
      httpGet: { port: 'http', path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(web?.readinessProbe).toEqual({ exec: { command: ['true'] }, periodSeconds: 2, successThreshold: 2, failureThreshold: 1, timeoutSeconds: 5, initialDelaySeconds: 3 });
    expect(web?.lifecycle).toEqual({ preStop: { httpGet: { port: 8080, path: '/', scheme: 'HTTPS' } }, postStart: { exec: { command: ['true'] } } });
    expect(pod.spec.initContainers?.[0]?.startupProbe).toEqual({ tcpSocket: { port: 9000 }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  });

  it('adds nothing to a container without probes or hooks', () => {
    const pod = podForCreate({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } }, server);
    expect(pod.spec.containers).toEqual([{ name: 'c', image: 'x' }]);
  });
});

describe('replicaSetForCreate', () => {
  const manifest = {
    apiVersion: 'apps/v1' as const,
    kind: 'ReplicaSet' as const,
    metadata: { name: 'web', labels: { app: 'web' }, uid: 'client-set', resourceVersion: '7' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80 }] }], priorityClassName: 'high-priority' },
      },
    },
    status: { replicas: 9 },
  };

  it('assigns identity and generation 1, defaults replicas to 1 and the template as pods are defaulted', () => {
    const rs = replicaSetForCreate(manifest, server);
    expect(rs.metadata).toEqual({ name: 'web', namespace: 'default', uid: 'u1', creationTimestamp: server.now, generation: 1, labels: { app: 'web' } });
    expect(rs.spec.replicas).toBe(1);
    expect(rs.spec.template.metadata).toEqual({ labels: { app: 'web' } });
    expect(rs.spec.template.spec).toMatchObject({
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, protocol: 'TCP' }] }],
    });
    // Admission (priority) runs on the pods, not on the template.
    expect(rs.spec.template.spec.priority).toBeUndefined();
    expect(rs.status).toBeUndefined();
  });

  it('keeps replicas and minReadySeconds when given, and takes the namespace from the request', () => {
    const rs = replicaSetForCreate({ ...manifest, spec: { ...manifest.spec, replicas: 0, minReadySeconds: 10 } }, { ...server, namespace: 'prod' });
    expect(rs.spec.replicas).toBe(0);
    expect(rs.spec.minReadySeconds).toBe(10);
    expect(rs.metadata.namespace).toBe('prod');
  });
});

describe('withDefaultTolerations (DefaultTolerationSeconds admission)', () => {
  const notReady = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
  const unreachable = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
  const podSpec = (tolerations?: Toleration[]): PodSpec => ({ containers: [{ name: 'c' }], ...(tolerations ? { tolerations } : {}) });

  it('adds both NoExecute tolerations for 300 s to a pod without them', () => {
    expect(withDefaultTolerations(podSpec()).tolerations).toEqual([notReady, unreachable]);
  });

  it('uses the configured seconds', () => {
    expect(withDefaultTolerations(podSpec(), { notReadySeconds: 5, unreachableSeconds: 7 }).tolerations).toEqual([
      { ...notReady, tolerationSeconds: 5 },
      { ...unreachable, tolerationSeconds: 7 },
    ]);
  });

  it('keeps what the pod tolerates already, adding only the other', () => {
    const own: Toleration = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 6000 };
    const gpu: Toleration = { key: 'gpu', operator: 'Exists', effect: 'NoSchedule' };
    expect(withDefaultTolerations(podSpec([gpu, own])).tolerations).toEqual([gpu, own, notReady]);
  });

  it('counts a toleration without effect, and an all-keys toleration, as tolerating', () => {
    const withoutEffect = podSpec([{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }]);
    expect(withDefaultTolerations(withoutEffect).tolerations).toEqual([...(withoutEffect.tolerations ?? []), unreachable]);
    const everything = podSpec([{ operator: 'Exists' }]);
    expect(withDefaultTolerations(everything)).toBe(everything);
  });

  it('does not count a NoSchedule toleration for the same key', () => {
    const spec = podSpec([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(withDefaultTolerations(spec).tolerations).toEqual([...(spec.tolerations ?? []), notReady, unreachable]);
  });
});
