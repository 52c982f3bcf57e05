import { describe, expect, it } from 'vitest';
import { agentNodeNames, KillPlanError, planAgents, planKill, type AgentPlan } from './agent-plan.ts';
import { parseWorkload } from './workload.ts';

/** Agents hosting these numbers of nodes, named agent-1, agent-2, ... */
function agents(...sizes: number[]): AgentPlan[] {
  return sizes.map((nodes, i) => ({ id: `agent-${i + 1}`, nodes, namePrefix: `n-${i + 1}`, args: [] }));
}

const ids = (plan: { agents: AgentPlan[] }): string[] => plan.agents.map((a) => a.id);

describe('planKill', () => {
  it('kills one of ten equal agents for 10% of the nodes', () => {
    const plan = planKill(agents(...Array.from({ length: 10 }, () => 100)), 10);
    expect(ids(plan)).toEqual(['agent-1']);
    expect(plan).toMatchObject({ nodes: 100, percent: 10 });
  });

  it('adds whole agents up to the share closest to the one asked for', () => {
    const sizes = agents(30, 20, 50);
    expect(ids(planKill(sizes, 20))).toEqual(['agent-2']);
    expect(ids(planKill(sizes, 50))).toEqual(['agent-3']);
    expect(ids(planKill(sizes, 70))).toEqual(['agent-2', 'agent-3']);
    expect(planKill(sizes, 70)).toMatchObject({ nodes: 70, percent: 70 });
    // 25%: 20 and 30 nodes are as close; the smaller share wins.
    expect(ids(planKill(sizes, 25))).toEqual(['agent-2']);
  });

  it('prefers the agents listed first among equal choices', () => {
    expect(ids(planKill(agents(10, 10, 10, 10), 50))).toEqual(['agent-1', 'agent-2']);
  });

  it('kills at least one agent, and never all of them', () => {
    expect(ids(planKill(agents(50, 50), 1))).toEqual(['agent-1']);
    expect(ids(planKill(agents(50, 50), 99))).toEqual(['agent-1']);
    expect(planKill(agents(30, 20, 50), 99)).toMatchObject({ nodes: 80 });
    // Uneven agents: the closest share may be below the one asked for, never everything.
    expect(planKill(agents(1, 99), 90)).toMatchObject({ nodes: 99 });
  });

  it('refuses a kill with fewer than two agents or a share outside 0..100', () => {
    expect(() => planKill(agents(10), 10)).toThrow(KillPlanError);
    expect(() => planKill(agents(10), 10)).toThrow(/at least 2 node agents/);
    expect(() => planKill(agents(10, 10), 0)).toThrow(/percent/);
    expect(() => planKill(agents(10, 10), 100)).toThrow(/percent/);
  });

  it('plans a large cluster (100 agents of 50 to 149 nodes) to within a node of the share', () => {
    const plan = planKill(agents(...Array.from({ length: 100 }, (_, i) => 50 + (i % 100))), 10);
    const total = 99 * 100 / 2 + 50 * 100;
    expect(Math.abs(plan.nodes - total / 10)).toBeLessThanOrEqual(0.5);
    expect(plan.agents.reduce((n, a) => n + a.nodes, 0)).toBe(plan.nodes);
  });
});

describe('agentNodeNames', () => {
  it('names the nodes an agent hosts as the node agent does', () => {
    const plans = planAgents(parseWorkload({ name: 'w', cluster: { nodes: 5, nodeAgents: 2 }, phases: [{ name: 'p', pods: { count: 1, namePrefix: 'p', template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } }] }));
    expect(plans.map(agentNodeNames)).toEqual([
      ['node-1-1', 'node-1-2', 'node-1-3'],
      ['node-2-1', 'node-2-2'],
    ]);
    for (const plan of plans) expect(plan.args.slice(plan.args.indexOf('--name-prefix'), plan.args.indexOf('--name-prefix') + 2)).toEqual(['--name-prefix', plan.namePrefix]);
  });
});
