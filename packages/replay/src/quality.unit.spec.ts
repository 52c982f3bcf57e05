import { describe, expect, it } from 'vitest';
import { given, nodeRegistered, nodeUpdated, podBound, podCreated, podSchedulingFailed } from '@flotilla/state/testing';
import { distribution, measurePlacement, pendingReasons, podOutcomes } from './quality.ts';

const GiB = 2 ** 30;

describe('placement quality', () => {
  // a: 4 cpu with 3.5 bound; b: 4 cpu with 1 bound; c: 4 cpu, empty but cordoned. Zones x, x, y.
  const state = given(
    nodeRegistered({ name: 'a', cpu: '4', memory: '8Gi', labels: { zone: 'x' }, podCIDR: '10.244.1.0/24' }),
    nodeRegistered({ name: 'b', cpu: '4', memory: '8Gi', labels: { zone: 'x' }, podCIDR: '10.244.2.0/24' }),
    nodeRegistered({ name: 'c', cpu: '4', memory: '8Gi', labels: { zone: 'y' }, podCIDR: '10.244.3.0/24' }),
    nodeUpdated({ name: 'c', unschedulable: true }),
    podCreated({ name: 'big', cpu: '3500m', memory: '2Gi' }),
    podBound({ name: 'big', nodeName: 'a' }),
    podCreated({ name: 'one', cpu: '1', memory: '2Gi' }),
    podBound({ name: 'one', nodeName: 'b' }),
    podCreated({ name: 'stuck', cpu: '5' }),
    podSchedulingFailed({ name: 'stuck', message: '0/3 nodes are available: 3 Insufficient cpu.' }),
  ).state();

  it('measures utilisation, stranded room and spread', () => {
    const quality = measurePlacement(state, { median: { cpu: 1000, memory: GiB }, largest: { cpu: 3500, memory: GiB } }, 'zone');
    expect(quality.nodes).toBe(3);
    expect(quality.nodesUsed).toBe(2);
    expect(quality.cpu.mean).toBeCloseTo((0.875 + 0.25 + 0) / 3);
    expect(quality.cpu.max).toBeCloseTo(0.875);
    expect(quality.cpuMeanOfUsed).toBeCloseTo((0.875 + 0.25) / 2);
    expect(quality.memory.max).toBeCloseTo(0.25);
    // Free: a 0.5 (the median pod of 1 cpu does not fit), b 3, c 4 (cordoned: nobody can use it).
    expect(quality.fragmentation).toMatchObject({ freeCpu: 7500, strandedCpu: 4500 });
    expect(quality.fragmentation.cpuShare).toBeCloseTo(4500 / 7500);
    // The largest pod (3.5 cpu) fits nowhere: b has 3 free, c takes no pods.
    expect(quality.fragmentation.cpuShareForLargest).toBe(1);
    expect(quality.cpuOfCluster).toBeCloseTo(4500 / 12000);
    expect(quality.spread).toEqual({ zoneLabel: 'zone', perZone: { x: 2, y: 0 }, zoneSkew: 2, zoneStddev: 1, nodeSkew: 1, nodeStddev: expect.closeTo(Math.sqrt(2 / 9)), maxPodsOnNode: 1 });
  });

  it('has no zones when no node has the label', () => {
    expect(measurePlacement(state, { median: { cpu: 1000, memory: GiB }, largest: { cpu: 1000, memory: GiB } }, 'topology.kubernetes.io/zone').spread).toMatchObject({ perZone: {}, zoneSkew: 0, zoneStddev: 0 });
  });

  it('counts pod outcomes and the reasons behind pending pods', () => {
    expect(podOutcomes(state)).toEqual({ total: 3, pending: 1, bound: 2, orphaned: 0, running: 0, succeeded: 0, failed: 0, terminating: 0 });
    // podSchedulingFailed without a summary: the message is the reason.
    expect(pendingReasons(state)).toEqual({ '0/3 nodes are available: 3 Insufficient cpu.': 1 });
  });

  it('summarises a distribution (population standard deviation)', () => {
    expect(distribution([1, 3])).toEqual({ mean: 2, stddev: 1, min: 1, max: 3 });
    expect(distribution([])).toEqual({ mean: 0, stddev: 0, min: 0, max: 0 });
  });
});
