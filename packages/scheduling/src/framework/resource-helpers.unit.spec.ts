import { describe, expect, it } from 'vitest';
import type { PodSpec } from '@flotilla/model';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, nonZeroPodRequest } from './resource-helpers.ts';

const Mi = 1024 * 1024;

describe('nonZeroPodRequest (kube-scheduler scoring request)', () => {
  it('uses 100m cpu and 200Mi memory for a container without requests', () => {
    expect(DEFAULT_MILLI_CPU_REQUEST).toBe(100);
    expect(DEFAULT_MEMORY_REQUEST).toBe(200 * Mi);
    expect(nonZeroPodRequest({ containers: [{ name: 'a' }] })).toEqual({ cpu: 100, memory: 200 * Mi });
  });

  it('fills in per container and per resource', () => {
    const spec: PodSpec = {
      containers: [
        { name: 'a', resources: { requests: { cpu: '250m' } } },
        { name: 'b', resources: { requests: { memory: '64Mi' } } },
      ],
    };
    expect(nonZeroPodRequest(spec)).toEqual({ cpu: 350, memory: 264 * Mi });
  });

  it('takes a missing request from the limit, and keeps an explicit zero', () => {
    const spec: PodSpec = {
      containers: [
        { name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } },
        { name: 'b', resources: { requests: { cpu: '0', memory: '0' } } },
      ],
    };
    expect(nonZeroPodRequest(spec)).toEqual({ cpu: 1000, memory: 1024 * Mi });
  });

  it('applies the effective-request rule to init containers and sidecars, with defaults', () => {
    const spec: PodSpec = {
      containers: [{ name: 'app' }],
      initContainers: [
        { name: 'sidecar', restartPolicy: 'Always' },
        { name: 'init', resources: { requests: { cpu: '2', memory: '1Mi' } } },
      ],
    };
    // steady: app (100m, 200Mi) + sidecar (100m, 200Mi) = 200m, 400Mi
    // init peak: sidecar (100m, 200Mi) + init (2000m, 1Mi) = 2100m, 201Mi
    expect(nonZeroPodRequest(spec)).toEqual({ cpu: 2100, memory: 400 * Mi });
  });
});
