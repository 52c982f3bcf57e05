// Pod IPs come from the node's pod CIDR, as the kubelet's host-local IPAM hands them out: the
// network address and the first host address (the bridge/gateway) are never given to a pod, nor is
// the broadcast address.

export class InvalidCidrError extends Error {
  constructor(cidr: string, reason: string) {
    super(`invalid CIDR ${JSON.stringify(cidr)}: ${reason}`);
    this.name = 'InvalidCidrError';
  }
}

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit number. */
  network: number;
  prefix: number;
}

export function parseCidr(cidr: string): Ipv4Cidr {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) throw new InvalidCidrError(cidr, 'expected a.b.c.d/n');
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) throw new InvalidCidrError(cidr, 'octet out of range');
  const prefix = Number(match[5]);
  if (prefix > 30) throw new InvalidCidrError(cidr, 'prefix must be at most /30 to hold pods');
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return { network: address - (address % size), prefix };
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The lowest address of `cidr` a pod may get that `inUse` does not report; undefined when all are taken. */
export function lowestFreeIP(cidr: Ipv4Cidr, inUse: (ip: string) => boolean): string | undefined {
  const size = 2 ** (32 - cidr.prefix);
  // Skip the network address (+0) and the gateway (+1); the last address is the broadcast.
  for (let offset = 2; offset < size - 1; offset++) {
    const ip = formatIPv4(cidr.network + offset);
    if (!inUse(ip)) return ip;
  }
  return undefined;
}

/** How many addresses of `cidr` pods can get. */
export function podAddressCount(cidr: Ipv4Cidr): number {
  return Math.max(0, 2 ** (32 - cidr.prefix) - 3);
}


/** The address as an unsigned 32-bit number; undefined when it is not a dotted IPv4 address. */
export function parseIPv4(ip: string): number | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

export function cidrContains(cidr: Ipv4Cidr, ip: string): boolean {
  const value = parseIPv4(ip);
  return value !== undefined && value - (value % 2 ** (32 - cidr.prefix)) === cidr.network;
}

/** The bits of `ip` below the CIDR's prefix (its offset within any network of that size). */
export function hostPart(cidr: Ipv4Cidr, ip: string): number | undefined {
  const value = parseIPv4(ip);
  return value === undefined ? undefined : value % 2 ** (32 - cidr.prefix);
}
