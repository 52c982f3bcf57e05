import { nodeForRegister, toResources, type Node, type NodeManifest, type Taint } from '@flotilla/model';
import type { NodeRecord } from '@flotilla/state';

/** A hosted node's capacity (also its allocatable). */
export interface NodeCapacity {
  cpu: string;
  memory: string;
  pods: string;
  'ephemeral-storage'?: string;
}

/** What one hosted node is configured with (from flags, or a fleet file). */
export interface HostedNodeConfig {
  name: string;
  /** 1-based position among the nodes this process hosts. */
  index: number;
  /** Nodes of a fleet may share this object (and labels, taints): never mutate it. */
  capacity: NodeCapacity;
  labels: Record<string, string>;
  taints: Taint[];
}

export interface RuntimeInfo {
  mode: string;
  version: string;
  /** Labels the runtime gives the node, e.g. `node.flotilla.io/pod-network: netns`. */
  nodeLabels?: Readonly<Record<string, string>>;
}

export const AGENT_VERSION = 'flotilla-0.1.0';
export const RUNTIME_LABEL = 'node.flotilla.io/runtime';
export const HOST_IP = '127.0.0.1';

/** Kubernetes' GOARCH names for Node.js' process.arch. */
export function kubeArch(arch: string = process.arch): string {
  const names: Record<string, string> = { x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return names[arch] ?? arch;
}

/** The node as the agent describes it: labels, capacity, taints, a Ready condition, addresses, nodeInfo. */
export function nodeManifest(config: HostedNodeConfig, runtime: RuntimeInfo, time: string, arch = kubeArch()): NodeManifest {
  const os = 'linux';
  const capacity = { ...config.capacity };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: config.name,
      labels: {
        'kubernetes.io/hostname': config.name,
        'kubernetes.io/os': os,
        'kubernetes.io/arch': arch,
        [RUNTIME_LABEL]: runtime.mode,
        ...runtime.nodeLabels,
        ...config.labels,
      },
    },
    // podCIDR is left unset: the fold assigns it.
    spec: config.taints.length > 0 ? { taints: config.taints.map((taint) => ({ ...taint })) } : {},
    status: {
      capacity,
      allocatable: capacity,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: time, lastTransitionTime: time },
      ],
      addresses: [
        { type: 'InternalIP', address: HOST_IP },
        { type: 'Hostname', address: config.name },
      ],
      nodeInfo: { kubeletVersion: AGENT_VERSION, containerRuntimeVersion: runtime.version, operatingSystem: os, architecture: arch },
    },
  };
}

/**
 * The NodeRegistered payload, or undefined when the fold already holds this node as configured
 * (a restarted agent then does not register again). A changed node keeps its uid.
 */
export function registrationFor(existing: NodeRecord | undefined, desired: NodeManifest, server: { uid: () => string; now: string }): Node | undefined {
  if (existing && sameRegistration(existing.node, desired)) return undefined;
  const uid = existing?.node.metadata.uid ?? server.uid();
  const node = nodeForRegister(desired, { uid, now: existing?.node.metadata.creationTimestamp ?? server.now });
  return node;
}

/**
 * Same capacity, and every label and taint the agent sets is there. Labels and taints that others
 * added since (kubectl label, the node lifecycle controller) do not count as a difference.
 */
export function sameRegistration(existing: Node, desired: NodeManifest): boolean {
  if (!sameResources(existing.status.capacity, desired.status?.capacity ?? {})) return false;
  const labels = existing.metadata.labels ?? {};
  for (const [key, value] of Object.entries(desired.metadata.labels ?? {})) if (labels[key] !== value) return false;
  const taints = existing.spec.taints ?? [];
  for (const taint of desired.spec?.taints ?? []) {
    if (!taints.some((t) => t.key === taint.key && (t.value ?? '') === (taint.value ?? '') && t.effect === taint.effect)) return false;
  }
  return true;
}

function sameResources(a: Record<string, string | number>, b: Record<string, string | number>): boolean {
  let left: Record<string, number>;
  let right: Record<string, number>;
  try {
    left = toResources(a);
    right = toResources(b);
  } catch {
    return false;
  }
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) if (left[key] !== right[key]) return false;
  return true;
}
