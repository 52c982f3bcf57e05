import { describe, expect, it } from 'vitest';
import type { Container, PodSpec } from '@flotilla/model';
import { podHostPorts, podQosClass, podRequest } from './pod-resources.ts';

const withResources = (name: string, requests?: Record<string, string>, limits?: Record<string, string>): Container => ({
  name,
  ...(requests || limits ? { resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } } : {}),
});

describe('podQosClass', () => {
  const cases: Array<[string, PodSpec, string]> = [
    ['no requests or limits', { containers: [withResources('a'), withResources('b')] }, 'BestEffort'],
    ['only non-QoS resources', { containers: [withResources('a', { 'ephemeral-storage': '1Gi' })] }, 'BestEffort'],
    ['requests equal limits for cpu and memory', { containers: [withResources('a', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })] }, 'Guaranteed'],
    ['limits only (requests default to limits)', { containers: [withResources('a', undefined, { cpu: '500m', memory: '128Mi' })] }, 'Guaranteed'],
    ['a request below its limit', { containers: [withResources('a', { cpu: '500m', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })] }, 'Burstable'],
    ['a cpu limit without a memory limit', { containers: [withResources('a', undefined, { cpu: '1' })] }, 'Burstable'],
    ['requests only', { containers: [withResources('a', { cpu: '100m' })] }, 'Burstable'],
    [
      'one container without limits makes the pod Burstable',
      { containers: [withResources('a', undefined, { cpu: '1', memory: '1Gi' }), withResources('b')] },
      'Burstable',
    ],
    [
      'init containers count too',
      { containers: [withResources('a', undefined, { cpu: '1', memory: '1Gi' })], initContainers: [withResources('init', { cpu: '100m' })] },
      'Burstable',
    ],
  ];
  it.each(cases)('%s', (_title, spec, expected) => expect(podQosClass(spec)).toBe(expected));
});

describe('podRequest', () => {
  it('adds one pod slot to the effective request', () => {
    expect(podRequest({ containers: [withResources('a', { cpu: '100m' })] })).toEqual({ cpu: 100, pods: 1 });
    expect(podRequest({ containers: [withResources('a')] })).toEqual({ pods: 1 });
  });

  it('defaults a missing request to the limit', () => {
    expect(podRequest({ containers: [withResources('a', undefined, { memory: '1Gi' })] })).toEqual({ memory: 2 ** 30, pods: 1 });
  });
});

describe('podHostPorts', () => {
  it('collects host ports of app containers and sidecars with their protocol', () => {
    const spec: PodSpec = {
      containers: [{ name: 'a', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, hostPort: 53, protocol: 'UDP' }, { containerPort: 9090 }] }],
      initContainers: [
        { name: 'init', ports: [{ containerPort: 1, hostPort: 1000 }] },
        { name: 'proxy', restartPolicy: 'Always', ports: [{ containerPort: 15001, hostPort: 15001 }] },
      ],
    };
    expect(podHostPorts(spec)).toEqual(['TCP/15001', 'TCP/8080', 'UDP/53']);
  });
});
