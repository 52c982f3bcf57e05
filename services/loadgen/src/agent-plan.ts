// Which node-agent processes host the workload's nodes, and which of them to kill for a share of the
// nodes. Pure: the runner starts and kills the processes.
import type { Workload } from './workload.ts';

/** Fast simulated container timings: the benchmark measures the control plane, not sleeps. */
export const SIM_FLAGS = ['--sim-sandbox-ms', '20', '--sim-start-ms', '20', '--sim-init-ms', '20', '--sim-stop-ms', '20', '--sim-jitter', '0.2'];

export interface AgentPlan {
  id: string;
  nodes: number;
  /** Its nodes are `<namePrefix>-1` .. `<namePrefix>-<nodes>`. */
  namePrefix: string;
  args: string[];
  /**
   * A fleet file's content (services/node-agent/src/fleet.ts) when its nodes differ in labels (zones,
   * instance types): the runner writes it and adds `--fleet FILE`. Absent: the flags say everything.
   */
  fleet?: AgentFleet;
}

/** The subset of the node agent's fleet file the runner writes: one group per agent. */
export interface AgentFleet {
  kind: 'Fleet';
  name: string;
  groups: Array<{
    name: string;
    namePrefix: string;
    count: number;
    capacity: { cpu: string; memory: string; pods: number };
    labels: Record<string, string>;
    zones?: string[];
    instanceTypes?: Array<{ name: string }>;
  }>;
}

export function zoneNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `zone-${String.fromCharCode(97 + i)}`);
}

/**
 * Splits the nodes over node-agent processes, as evenly as they go. With zones or instance types
 * every agent gets a fleet file that spreads its own nodes over all of them round-robin, so one agent
 * can host a multi-zone cluster (one process folding the log instead of one per zone). The workload's
 * cluster.nodeAgent flags come last, so they win over the runner's.
 */
export function planAgents(workload: Workload): AgentPlan[] {
  const { nodes, node, nodeAgents } = workload.cluster;
  const count = Math.min(nodes, nodeAgents);
  const types = node.instanceTypes ?? [];
  const useFleet = node.zones > 0 || types.length > 0;
  const plans: AgentPlan[] = [];
  for (let i = 0; i < count; i++) {
    const share = Math.floor(nodes / count) + (i < nodes % count ? 1 : 0);
    const namePrefix = count === 1 ? 'node' : `node-${i + 1}`;
    const id = count === 1 ? 'node-agent' : `node-agent-${i + 1}`;
    if (useFleet) {
      const group: AgentFleet['groups'][number] = {
        name: 'nodes',
        namePrefix,
        count: share,
        capacity: { cpu: String(node.cpu), memory: node.memory, pods: node.pods },
        labels: { ...node.labels },
        ...(node.zones > 0 ? { zones: zoneNames(node.zones) } : {}),
        ...(types.length > 0 ? { instanceTypes: types.map((name) => ({ name })) } : {}),
      };
      const fleet: AgentFleet = { kind: 'Fleet', name: `${workload.name}-${id}`, groups: [group] };
      plans.push({ id, nodes: share, namePrefix, args: [...SIM_FLAGS, ...(workload.cluster.nodeAgent ?? [])], fleet });
      continue;
    }
    const labelText = Object.entries(node.labels).map(([k, v]) => `${k}=${v}`).join(',');
    const args = ['--nodes', String(share), '--name-prefix', namePrefix, '--cpu', String(node.cpu), '--memory', node.memory, '--pods', String(node.pods), ...SIM_FLAGS];
    if (labelText) args.push('--labels', labelText);
    args.push(...(workload.cluster.nodeAgent ?? []));
    plans.push({ id, nodes: share, namePrefix, args });
  }
  return plans;
}

/** The names of the nodes an agent hosts. */
export function agentNodeNames(plan: AgentPlan): string[] {
  return Array.from({ length: plan.nodes }, (_, i) => `${plan.namePrefix}-${i + 1}`);
}

export interface KillPlan {
  agents: AgentPlan[];
  /** Nodes the killed agents host. */
  nodes: number;
  /** nodes / all nodes, in percent. */
  percent: number;
}

/** A kill that cannot be planned (fewer than two agents). */
export class KillPlanError extends Error {
  override readonly name = 'KillPlanError';
}

/**
 * The agents to kill so that their nodes add up closest to `percent` of all nodes: whole agents, at
 * least one, never all. Ties go to the smaller share, then to fewer agents, then to the agents listed
 * first.
 */
export function planKill(agents: readonly AgentPlan[], percent: number): KillPlan {
  if (agents.length < 2) throw new KillPlanError(`killing ${percent}% of the nodes needs at least 2 node agents (one must survive), got ${agents.length}`);
  if (!(percent > 0 && percent < 100)) throw new KillPlanError(`percent: expected a share between 0 and 100 (exclusive), got ${percent}`);
  const total = agents.reduce((sum, a) => sum + a.nodes, 0);
  const target = (total * percent) / 100;
  // fewest[i][s]: the fewest of agents i.. that host exactly s nodes (NONE: no subset does). Built
  // from the back, so that the subset can be read off front to back, preferring the first agents.
  const NONE = agents.length + 1;
  const fewest = Array.from({ length: agents.length + 1 }, () => new Uint16Array(total + 1).fill(NONE));
  fewest[agents.length]![0] = 0;
  for (let i = agents.length - 1; i >= 0; i--) {
    const row = fewest[i]!;
    const next = fewest[i + 1]!;
    const size = agents[i]!.nodes;
    for (let s = 0; s <= total; s++) row[s] = Math.min(next[s]!, s >= size ? next[s - size]! + 1 : NONE);
  }
  // Every agent hosts at least one node, so any sum in 1..total-1 leaves an agent alive.
  let best = -1;
  for (let s = 1; s < total; s++) {
    if (fewest[0]![s]! >= NONE) continue;
    if (best === -1 || Math.abs(s - target) < Math.abs(best - target)) best = s;
  }
  if (best === -1) throw new KillPlanError(`no proper subset of the ${agents.length} node agents hosts between 1 and ${total - 1} nodes`);
  const chosen: AgentPlan[] = [];
  let left = best;
  for (let i = 0; i < agents.length && left > 0; i++) {
    const size = agents[i]!.nodes;
    // Take agent i when a fewest-agents subset for what is left starts with it.
    if (size <= left && fewest[i + 1]![left - size]! + 1 === fewest[i]![left]) {
      chosen.push(agents[i]!);
      left -= size;
    }
  }
  return { agents: chosen, nodes: best, percent: (best / total) * 100 };
}
