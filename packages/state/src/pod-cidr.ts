// Pod CIDR allocation, done in the fold so every process agrees on it without a controller:
// a node that registers without spec.podCIDR gets the lowest free /24, starting at 10.244.0.0/24
// (the common Kubernetes cluster CIDR) and continuing through 10.245.x, ... so large simulated
// fleets (tens of thousands of nodes) still get distinct ranges.

const FIRST_SECOND_OCTET = 244;
const RANGES = 256 * 256;

export function podCidrForIndex(index: number): string {
  const second = (FIRST_SECOND_OCTET + Math.floor(index / 256)) % 256;
  return `10.${second}.${index % 256}.0/24`;
}

export function indexOfPodCidr(cidr: string): number | undefined {
  const match = /^10\.(\d{1,3})\.(\d{1,3})\.0\/24$/.exec(cidr);
  if (!match) return undefined;
  const second = Number(match[1]);
  const third = Number(match[2]);
  if (second > 255 || third > 255) return undefined;
  return ((second - FIRST_SECOND_OCTET + 256) % 256) * 256 + third;
}

/**
 * Tracks which ranges are taken; allocation is lowest-free, so it is deterministic for a given log.
 * A range stays with its node name even after the node is removed, so a node that comes back finds
 * its pods' addresses still inside its own range.
 */
export class PodCidrAllocator {
  private readonly taken = new Set<number>();
  private readonly byName = new Map<string, string>();
  private lowestFree = 0;

  /** A node brought its own range. */
  reserve(name: string, cidr: string): void {
    const index = indexOfPodCidr(cidr);
    if (index !== undefined) this.taken.add(index);
    this.byName.set(name, cidr);
  }

  /** The range this node name had, or the lowest free one; undefined when all 65,536 are taken. */
  allocate(name: string): string | undefined {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    while (this.lowestFree < RANGES && this.taken.has(this.lowestFree)) this.lowestFree++;
    if (this.lowestFree >= RANGES) return undefined;
    this.taken.add(this.lowestFree);
    const cidr = podCidrForIndex(this.lowestFree);
    this.byName.set(name, cidr);
    return cidr;
  }
}
