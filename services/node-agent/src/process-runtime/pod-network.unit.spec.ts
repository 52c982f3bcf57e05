import { describe, expect, it } from 'vitest';
import { PodNetwork, PodNetworkError, bridgeName, gatewayFor, hostVethName, isPodAddress, loopbackPodIP, netnsName, uidOfNetns } from './pod-network.ts';

describe('pod network names', () => {
  it('names bridges and host veths within the 15 characters Linux allows, stably and distinctly', () => {
    expect(bridgeName('node-1')).toMatch(/^flt[0-9a-f]{8}$/);
    expect(bridgeName('node-1')).toBe(bridgeName('node-1'));
    expect(bridgeName('node-1')).not.toBe(bridgeName('node-2'));
    expect(hostVethName('5f0c7c9e-1d7a-4c1e-9d38-0a4f2b0c9e11')).toMatch(/^vf[0-9a-f]{10}$/);
    expect(hostVethName('a')).not.toBe(hostVethName('b'));
  });

  it('names namespaces after the pod uid and maps them back', () => {
    const uid = '5f0c7c9e-1d7a-4c1e-9d38-0a4f2b0c9e11';
    expect(netnsName(uid)).toBe(`flotilla-${uid}`);
    expect(PodNetwork.netnsName(uid)).toBe(`flotilla-${uid}`);
    expect(uidOfNetns(netnsName(uid))).toBe(uid);
    expect(uidOfNetns('cni-1234')).toBeUndefined();
    expect(() => netnsName('../etc')).toThrow(PodNetworkError);
    expect(() => netnsName('')).toThrow(PodNetworkError);
  });
});

describe('addresses', () => {
  it('maps a pod IP to 127 and its last three octets in loopback mode', () => {
    expect(loopbackPodIP('10.244.3.7')).toBe('127.244.3.7');
    expect(loopbackPodIP('192.168.0.2')).toBe('127.168.0.2');
    expect(() => loopbackPodIP('10.244.3')).toThrow(PodNetworkError);
  });

  it('puts the gateway on the CIDR first host address', () => {
    expect(gatewayFor('10.244.2.0/24')).toEqual({ address: '10.244.2.1', prefix: 24 });
    expect(gatewayFor('10.250.0.0/16')).toEqual({ address: '10.250.0.1', prefix: 16 });
  });

  it('accepts only pod addresses of the CIDR', () => {
    expect(isPodAddress('10.244.2.0/24', '10.244.2.2')).toBe(true);
    expect(isPodAddress('10.244.2.0/24', '10.244.2.254')).toBe(true);
    for (const ip of ['10.244.2.0', '10.244.2.1', '10.244.2.255', '10.244.3.2']) expect(isPodAddress('10.244.2.0/24', ip)).toBe(false);
  });
});

describe('PodNetwork in loopback mode', () => {
  it('gives the pod its 127.x address without touching the host', async () => {
    const network = new PodNetwork({ mode: 'loopback' });
    const request = { uid: 'u1', nodeName: 'n', podCIDR: '10.244.3.0/24', podIP: '10.244.3.7' };
    await expect(network.setUp(request)).resolves.toEqual({ mode: 'loopback', podIP: '127.244.3.7', execPrefix: [] });
    await expect(network.tearDown(request)).resolves.toBeUndefined();
    await expect(network.listNamespaces()).resolves.toEqual([]);
  });

  it('refuses a pod IP outside the CIDR', async () => {
    const network = new PodNetwork({ mode: 'loopback' });
    await expect(network.setUp({ uid: 'u1', nodeName: 'n', podCIDR: '10.244.3.0/24', podIP: '10.244.4.7' })).rejects.toThrow(PodNetworkError);
  });
});
