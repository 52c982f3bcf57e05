import { describe, expect, it } from 'vitest';
import { podForCreate } from './defaults.ts';
import type { PodManifest } from './pod.ts';

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
