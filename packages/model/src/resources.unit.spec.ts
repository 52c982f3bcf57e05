import { describe, expect, it } from 'vitest';
import type { PodSpec } from './pod.ts';
import { effectivePodRequest } from './resources.ts';

const c = (name: string, cpu: string, extra: object = {}) => ({ name, image: 'x', resources: { requests: { cpu } }, ...extra });

describe('effectivePodRequest (kube-scheduler rule)', () => {
  it('sums app containers', () => {
    expect(effectivePodRequest({ containers: [c('a', '100m'), c('b', '200m')] } as PodSpec).cpu).toBe(300);
  });

  it('takes the largest init container when it exceeds the app sum', () => {
    expect(effectivePodRequest({ initContainers: [c('i', '1')], containers: [c('a', '100m')] } as PodSpec).cpu).toBe(1000);
  });

  it('adds sidecars started before an init container to its request, and to the steady state', () => {
    const spec = {
      initContainers: [c('proxy', '300m', { restartPolicy: 'Always' }), c('migrate', '800m')],
      containers: [c('app', '500m')],
    } as PodSpec;
    // steady: 500 + 300 = 800; init peak: 300 (sidecar) + 800 = 1100.
    expect(effectivePodRequest(spec).cpu).toBe(1100);
  });

  it('does not count sidecars started after an init container against it', () => {
    const spec = {
      initContainers: [c('migrate', '800m'), c('proxy', '300m', { restartPolicy: 'Always' })],
      containers: [c('app', '600m')],
    } as PodSpec;
    expect(effectivePodRequest(spec).cpu).toBe(900);
  });

  it('uses limits when requests are missing, as Kubernetes defaults them', () => {
    const spec = { containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '250m', memory: '1Gi' } } }] } as PodSpec;
    expect(effectivePodRequest(spec)).toEqual({ cpu: 250, memory: 2 ** 30 });
  });
});

import { podForCreate } from './defaults.ts';

describe('podForCreate and priority classes', () => {
  it('takes the priority and preemption policy from the named class', () => {
    const pod = podForCreate(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }], priorityClassName: 'best-effort-no-preempt' } },
      { uid: 'u', now: '2026-01-01T00:00:00Z' },
    );
    expect(pod.spec.priority).toBe(-1000);
    expect(pod.spec.preemptionPolicy).toBe('Never');
    const plain = podForCreate({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q' }, spec: { containers: [{ name: 'c' }] } }, { uid: 'v', now: '2026-01-01T00:00:00Z' });
    expect(plain.spec.priority).toBe(0);
    expect(plain.spec.preemptionPolicy).toBe('PreemptLowerPriority');
  });
});
