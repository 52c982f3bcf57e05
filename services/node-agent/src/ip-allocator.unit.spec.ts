import { describe, expect, it } from 'vitest';
import { InvalidCidrError, cidrContains, hostPart, lowestFreeIP, parseCidr, podAddressCount } from './ip-allocator.ts';

describe('pod IP allocation', () => {
  it('hands out the lowest free address, never the network address, the gateway (.1) or the broadcast', () => {
    const cidr = parseCidr('10.244.3.0/24');
    expect(lowestFreeIP(cidr, () => false)).toBe('10.244.3.2');
    const used = new Set(['10.244.3.2', '10.244.3.4']);
    expect(lowestFreeIP(cidr, (ip) => used.has(ip))).toBe('10.244.3.3');
    expect(podAddressCount(cidr)).toBe(253);
    const all = new Set(Array.from({ length: 253 }, (_, i) => `10.244.3.${i + 2}`));
    expect(all.has('10.244.3.254')).toBe(true);
    expect(lowestFreeIP(cidr, (ip) => all.has(ip))).toBeUndefined();
  });

  it('normalises the network address and works for other prefixes', () => {
    const cidr = parseCidr('10.1.2.77/28');
    expect(lowestFreeIP(cidr, () => false)).toBe('10.1.2.66');
    expect(podAddressCount(cidr)).toBe(13);
  });

  it('rejects malformed CIDRs', () => {
    expect(() => parseCidr('10.0.0.0')).toThrow(InvalidCidrError);
    expect(() => parseCidr('10.0.0.300/24')).toThrow(InvalidCidrError);
    expect(() => parseCidr('10.0.0.0/31')).toThrow(InvalidCidrError);
  });

  it('tells whether an address is in the CIDR, and its host part', () => {
    const cidr = parseCidr('10.244.3.0/24');
    expect(cidrContains(cidr, '10.244.3.9')).toBe(true);
    expect(cidrContains(cidr, '127.244.3.9')).toBe(false);
    expect(cidrContains(cidr, 'nonsense')).toBe(false);
    expect(hostPart(cidr, '127.244.3.9')).toBe(9);
    expect(hostPart(parseCidr('10.1.0.0/16'), '127.1.2.3')).toBe(2 * 256 + 3);
  });
});
