import { describe, expect, it } from 'vitest';
import { NodeLeaseSchema, leaseKey, nodeNameOfLeaseKey } from './lease.ts';

describe('lease keys', () => {
  it('keeps DNS node names (dots included) as they are', () => {
    expect(leaseKey('node-1')).toBe('node-1');
    expect(leaseKey('worker.eu-west.example.com')).toBe('worker.eu-west.example.com');
  });

  it('escapes what a KV key cannot hold, the escape itself, and dots that would leave an empty token', () => {
    expect(leaseKey('a b')).toBe('a=20b');
    expect(leaseKey('a=b')).toBe('a=3Db');
    expect(leaseKey('x*>')).toBe('x=2A=3E');
    expect(leaseKey('.a..b.')).toBe('=2Ea.=2Eb=2E');
    expect(leaseKey('nœud')).toBe('n=C5=93ud');
    for (const key of ['a b', 'a=b', 'x*>', '.a..b.', 'nœud']) expect(leaseKey(key)).toMatch(/^[-/_=.a-zA-Z0-9]+$/);
  });

  it('is reversible, so distinct names never share a key', () => {
    const names = ['node-1', 'a.b', 'a=2Eb', 'a.b.', '..', 'x y', 'nœud', 'a/b', 'a_b', '=', 'é=C3=A9'];
    expect(new Set(names.map(leaseKey)).size).toBe(names.length);
    for (const name of names) expect(nodeNameOfLeaseKey(leaseKey(name))).toBe(name);
  });

  it('refuses an empty node name', () => {
    expect(() => leaseKey('')).toThrow('node name must not be empty');
  });
});

describe('NodeLeaseSchema', () => {
  it('accepts a lease as the renewer writes it and refuses anything less', () => {
    const lease = { nodeName: 'node-1', holderIdentity: 'node-agent/node-1', renewTime: '2024-05-01T10:00:00.000Z', leaseDurationSeconds: 40 };
    expect(NodeLeaseSchema.parse(lease)).toEqual(lease);
    expect(NodeLeaseSchema.safeParse({ ...lease, renewTime: 'yesterday' }).success).toBe(false);
    expect(NodeLeaseSchema.safeParse({ ...lease, leaseDurationSeconds: 0 }).success).toBe(false);
    expect(NodeLeaseSchema.safeParse({ ...lease, nodeName: '' }).success).toBe(false);
  });
});
