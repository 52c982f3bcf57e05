import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '@flotilla/service-kit';
import { formatIPv4, parseCidr } from '../ip-allocator.ts';
import { HostCommandError, runHostCommand, withHostLock } from './command.ts';

// The pod's network sandbox, as the CNI bridge plugin builds it: one bridge per node holding the
// first address of the node's pod CIDR, and per pod a network namespace joined to the bridge by a
// veth pair (eth0 inside). The host reaches a pod through the bridge's connected route; there is no
// ip_forward and no NAT, so pods talk to the host and to the pods of the same node, nothing further.
// Without root (or without a working `ip netns`) every pod gets its own 127.x.y.z address instead.

export type PodNetworkMode = 'netns' | 'loopback';

export interface NetworkModeDetection {
  mode: PodNetworkMode;
  reason: string;
}

export interface PodNetworkRequest {
  uid: string;
  nodeName: string;
  podCIDR: string;
  podIP: string;
}

export interface PodNetworkSetup {
  mode: PodNetworkMode;
  /** The address the pod answers at: podIP in netns mode; in loopback mode 127.<a>.<b>.<c> derived from podIP. */
  podIP: string;
  /** Network namespace name (netns mode). */
  netns?: string;
  /** argv prefix that runs a command inside the pod's network namespace (['ip','netns','exec',name]; [] in loopback). */
  execPrefix: string[];
}

/** The pod's network could not be set up or torn down. */
export class PodNetworkError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PodNetworkError';
  }
}

export const NETNS_PREFIX = 'flotilla-';
const UID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

function shortHash(value: string, hexChars: number): string {
  return createHash('sha256').update(value).digest('hex').slice(0, hexChars);
}

/** The node's bridge: `flt` + 8 hex digits of a hash of the node name (interface names hold 15 characters). */
export function bridgeName(nodeName: string): string {
  return `flt${shortHash(nodeName, 8)}`;
}

/** The host end of the pod's veth pair: `vf` + 10 hex digits of a hash of the pod uid. */
export function hostVethName(uid: string): string {
  return `vf${shortHash(uid, 10)}`;
}

/** The pod's network namespace name; the uid must be a plain token (it becomes a file name under /run/netns). */
export function netnsName(uid: string): string {
  if (!UID_PATTERN.test(uid)) throw new PodNetworkError(`pod uid ${JSON.stringify(uid)} cannot name a network namespace`);
  return `${NETNS_PREFIX}${uid}`;
}

/** The pod uid a Flotilla network namespace belongs to; undefined for other namespaces. */
export function uidOfNetns(name: string): string | undefined {
  if (!name.startsWith(NETNS_PREFIX)) return undefined;
  const uid = name.slice(NETNS_PREFIX.length);
  return UID_PATTERN.test(uid) ? uid : undefined;
}

/** Loopback mode's stand-in for a pod IP: 127 followed by the pod IP's last three octets (10.244.3.7 -> 127.244.3.7). */
export function loopbackPodIP(podIP: string): string {
  const octets = parseIPv4(podIP);
  return `127.${octets[1]}.${octets[2]}.${octets[3]}`;
}

/** The bridge's (gateway's) address: the CIDR's first host address, with the CIDR's prefix. */
export function gatewayFor(podCIDR: string): { address: string; prefix: number } {
  const cidr = parseCidr(podCIDR);
  return { address: formatIPv4(cidr.network + 1), prefix: cidr.prefix };
}

/** Whether `ip` lies in `podCIDR` and is neither its network, gateway nor broadcast address. */
export function isPodAddress(podCIDR: string, ip: string): boolean {
  const cidr = parseCidr(podCIDR);
  const value = parseIPv4(ip).reduce((acc, o) => acc * 256 + o, 0);
  const offset = value - cidr.network;
  return offset >= 2 && offset < 2 ** (32 - cidr.prefix) - 1;
}

function parseIPv4(ip: string): [number, number, number, number] {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  const octets = match ? match.slice(1, 5).map(Number) : [];
  if (octets.length !== 4 || octets.some((o) => o > 255)) throw new PodNetworkError(`invalid IPv4 address ${JSON.stringify(ip)}`);
  return octets as [number, number, number, number];
}

/** netns when running as root on Linux with a working `ip netns`; else loopback with the reason. */
export async function detectNetworkMode(): Promise<NetworkModeDetection> {
  if (process.platform !== 'linux') return { mode: 'loopback', reason: `network namespaces need Linux (this is ${process.platform})` };
  const uid = process.getuid?.();
  if (uid !== 0) return { mode: 'loopback', reason: `network namespaces need root (running as uid ${uid ?? 'unknown'})` };
  // Try everything setUp needs in a throwaway namespace, so nothing touches the host's links.
  const probe = `fltprobe-${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    await removeStaleProbes();
    await ip(['netns', 'add', probe]);
    try {
      await ip(['-n', probe, 'link', 'set', 'lo', 'up']);
      await ip(['-n', probe, 'link', 'add', 'probebr', 'type', 'bridge']);
      await ip(['-n', probe, 'link', 'add', 'probev0', 'type', 'veth', 'peer', 'name', 'probev1']);
      await runHostCommand(['ip', 'netns', 'exec', probe, 'unshare', '--mount', '--uts', '--propagation', 'private', '--', 'true']);
    } finally {
      await ip(['netns', 'del', probe]).catch(() => undefined);
    }
  } catch (error) {
    return { mode: 'loopback', reason: `ip netns is not usable: ${error instanceof Error ? error.message : String(error)}` };
  }
  return { mode: 'netns', reason: 'running as root on Linux with ip netns, veth, bridge and unshare available' };
}

/** Probe namespaces left by an agent killed while it probed (their pid is gone). */
async function removeStaleProbes(): Promise<void> {
  for (const name of await namespaces()) {
    const pid = Number(/^fltprobe-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || isAlive(pid)) continue;
    await ip(['netns', 'del', name]).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class PodNetwork {
  readonly mode: PodNetworkMode;
  private readonly logger: Logger | undefined;

  constructor(options: { mode: PodNetworkMode; logger?: Logger }) {
    this.mode = options.mode;
    this.logger = options.logger;
  }

  static netnsName(uid: string): string {
    return netnsName(uid);
  }

  /** Builds (or repairs) the pod's network. Idempotent: again with the same request re-attaches. */
  async setUp(request: PodNetworkRequest): Promise<PodNetworkSetup> {
    if (!isPodAddress(request.podCIDR, request.podIP)) {
      throw new PodNetworkError(`pod IP ${request.podIP} is not a pod address of ${request.podCIDR}`);
    }
    if (this.mode === 'loopback') return { mode: 'loopback', podIP: loopbackPodIP(request.podIP), execPrefix: [] };
    const netns = netnsName(request.uid);
    return withHostLock(`node:${request.nodeName}`, async () => {
      try {
        await this.build(request, netns);
      } catch (error) {
        throw new PodNetworkError(`setting up the network of pod ${request.uid} on node ${request.nodeName} failed: ${message(error)}`, { cause: error });
      }
      return { mode: 'netns', podIP: request.podIP, netns, execPrefix: ['ip', 'netns', 'exec', netns] };
    });
  }

  /** Removes the pod's namespace and veth, and the node's bridge once no pod uses it. Idempotent. */
  async tearDown(request: Omit<PodNetworkRequest, 'podIP'>): Promise<void> {
    if (this.mode === 'loopback') return;
    const netns = netnsName(request.uid);
    await withHostLock(`node:${request.nodeName}`, async () => {
      try {
        if (await namespaceExists(netns)) {
          // Deleting eth0 first frees the veth pair at once, even if a process still holds the namespace.
          if (await linkExists('eth0', netns)) await ip(['-n', netns, 'link', 'del', 'eth0']);
          await ip(['netns', 'del', netns]);
        }
        const veth = hostVethName(request.uid);
        if (await linkExists(veth)) await ip(['link', 'del', veth]);
        await this.removeBridgeIfUnused(request.nodeName);
      } catch (error) {
        throw new PodNetworkError(`tearing down the network of pod ${request.uid} on node ${request.nodeName} failed: ${message(error)}`, { cause: error });
      }
    });
  }

  /** Deletes the node's bridge when no pod is attached to it (after an agent restart found nothing to keep). Idempotent. */
  async releaseNode(nodeName: string): Promise<void> {
    if (this.mode === 'loopback') return;
    await withHostLock(`node:${nodeName}`, () => this.removeBridgeIfUnused(nodeName));
  }

  /** Flotilla network namespaces on this host (for cleanup after a killed agent). */
  async listNamespaces(): Promise<string[]> {
    if (this.mode === 'loopback') return [];
    return (await namespaces()).filter((name) => uidOfNetns(name) !== undefined);
  }

  /** Reads what exists and changes only what is missing or wrong, so a second call (or one after a crash) repairs. */
  private async build(request: PodNetworkRequest, netns: string): Promise<void> {
    const gateway = gatewayFor(request.podCIDR);
    const bridge = bridgeName(request.nodeName);
    const veth = hostVethName(request.uid);
    const host = await links([]);

    const bridgeLink = host.find((link) => link.ifname === bridge);
    if (!bridgeLink) {
      await ip(['link', 'add', bridge, 'type', 'bridge']);
      this.logger?.info('pod bridge created', { bridge, nodeName: request.nodeName, gateway: `${gateway.address}/${gateway.prefix}` });
    }
    await ensureOnlyAddress([], bridge, bridgeLink, `${gateway.address}/${gateway.prefix}`);
    if (!isUp(bridgeLink)) await ip(['link', 'set', bridge, 'up']);

    const nsExisted = (await namespaces()).includes(netns);
    if (!nsExisted) await ip(['netns', 'add', netns]);
    const inside = nsExisted ? await links(['-n', netns]) : [];
    if (!isUp(inside.find((link) => link.ifname === 'lo'))) await ip(['-n', netns, 'link', 'set', 'lo', 'up']);

    let hostEnd = host.find((link) => link.ifname === veth);
    let podEnd = inside.find((link) => link.ifname === 'eth0');
    if (!hostEnd || !podEnd || podEnd.link_index !== hostEnd.ifindex) {
      // Half a pair, or ends that do not belong together (a crash between steps): make the pair again.
      if (hostEnd) await ip(['link', 'del', veth]);
      if (podEnd) await ip(['-n', netns, 'link', 'del', 'eth0']);
      await ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      // The new eth0 has a new MAC: forget the old one the host may still hold for this IP (a repair, or the IP's last pod).
      await ip(['neigh', 'flush', 'to', request.podIP, 'dev', bridge]);
      hostEnd = undefined;
      podEnd = undefined;
    }
    if (hostEnd?.master !== bridge) await ip(['link', 'set', veth, 'master', bridge]);
    if (!isUp(hostEnd)) await ip(['link', 'set', veth, 'up']);
    await ensureOnlyAddress(['-n', netns], 'eth0', podEnd, `${request.podIP}/${gateway.prefix}`);
    if (!isUp(podEnd)) await ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
    const routes = podEnd ? (JSON.parse((await ip(['-n', netns, '-j', 'route', 'show', 'default'])).trim() || '[]') as Array<{ gateway?: string; dev?: string }>) : [];
    if (routes.length !== 1 || routes[0]?.gateway !== gateway.address || routes[0]?.dev !== 'eth0') {
      await ip(['-n', netns, 'route', 'replace', 'default', 'via', gateway.address, 'dev', 'eth0']);
    }
  }

  private async removeBridgeIfUnused(nodeName: string): Promise<void> {
    const bridge = bridgeName(nodeName);
    if (!(await linkExists(bridge))) return;
    const members = JSON.parse((await ip(['-j', 'link', 'show', 'master', bridge])).trim() || '[]') as unknown[];
    if (members.length > 0) return;
    await ip(['link', 'del', bridge]);
    this.logger?.info('pod bridge deleted', { bridge, nodeName });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function ip(args: string[]): Promise<string> {
  return (await runHostCommand(['ip', ...args], { timeoutMs: 30_000 })).stdout;
}

async function namespaces(): Promise<string[]> {
  const listed = JSON.parse((await ip(['-j', 'netns', 'list'])).trim() || '[]') as Array<{ name?: unknown }>;
  return listed.flatMap((entry) => (typeof entry.name === 'string' ? [entry.name] : []));
}

async function namespaceExists(name: string): Promise<boolean> {
  return (await namespaces()).includes(name);
}

async function linkExists(name: string, netns?: string): Promise<boolean> {
  try {
    await ip([...(netns ? ['-n', netns] : []), 'link', 'show', 'dev', name]);
    return true;
  } catch (error) {
    if (error instanceof HostCommandError && /does not exist/i.test(error.stderr)) return false;
    throw error;
  }
}

interface LinkState {
  ifname: string;
  ifindex: number;
  /** The peer's ifindex (veth), in the peer's namespace. */
  link_index?: number;
  flags?: string[];
  master?: string;
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }>;
}

/** Every link of the host (nsArgs []) or of a namespace (['-n', name]) with its addresses, in one call. */
async function links(nsArgs: string[]): Promise<LinkState[]> {
  return JSON.parse((await ip([...nsArgs, '-j', 'addr', 'show'])).trim() || '[]') as LinkState[];
}

function isUp(link: LinkState | undefined): boolean {
  return link?.flags?.includes('UP') ?? false;
}

/** Makes `cidrAddress` the only IPv4 address of the link (`state` as read before; undefined for a new link). */
async function ensureOnlyAddress(nsArgs: string[], link: string, state: LinkState | undefined, cidrAddress: string): Promise<void> {
  const present = (state?.addr_info ?? []).filter((info) => info.family === 'inet').map((info) => `${info.local}/${info.prefixlen}`);
  if (present.length === 1 && present[0] === cidrAddress) return;
  if (present.length > 0) await ip([...nsArgs, '-4', 'addr', 'flush', 'dev', link]);
  await ip([...nsArgs, 'addr', 'add', cidrAddress, 'dev', link]);
}
