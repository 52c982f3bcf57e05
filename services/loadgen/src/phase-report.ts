// The terminal lines for what a phase's churn and node kill did (the JSON report holds the same
// figures under loadgen.phases[].churn / .kill).
import type { LatencyStats } from '@flotilla/measure';
import type { Milestones } from './run-tracker.ts';
import type { PhaseResult } from './run-workload.ts';

const s = (ms: number | null): string => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);
const ms = (value: number): string => `${Math.round(value)}`;
const stats = (l: LatencyStats): string => (l.count === 0 ? 'none' : `p50 ${ms(l.p50)} / p99 ${ms(l.p99)} / max ${ms(l.max)} ms (${l.count})`);
const statsSeconds = (l: LatencyStats): string => (l.count === 0 ? 'none' : `p50 ${s(l.p50)} / p99 ${s(l.p99)} / max ${s(l.max)} (${l.count})`);
const failures = (f: Record<string, number>): string => {
  const entries = Object.entries(f);
  return entries.length === 0 ? '' : `, failed ${entries.map(([status, n]) => `${n}x ${status}`).join(', ')}`;
};
const milestones = (m: Milestones): string => `${m.count}/${m.of}, first ${s(m.firstMs)}, all ${s(m.allMs)}`;

export function renderPhaseDetails(phases: readonly PhaseResult[], capacityViolations: readonly string[]): string {
  const lines: string[] = [];
  for (const phase of phases) {
    const churn = phase.churn;
    if (churn) {
      lines.push(`churn (phase ${phase.name}): ran ${s(churn.ranMs)} of ${s(churn.plannedMs)} planned, ${churn.steps} steps, late by max ${ms(churn.lateness.maxMs)} ms (mean ${ms(churn.lateness.meanMs)} ms)`);
      if (churn.pods) {
        const p = churn.pods;
        lines.push(`  pods: ${p.created} created, ${p.deleted} deleted${p.nothingToDelete > 0 ? ` (${p.nothingToDelete} deletions found no pod)` : ''}${failures(p.failures)}; ${churn.liveAtEnd} live at the end`);
      }
      if (churn.nodes) {
        const n = churn.nodes;
        lines.push(`  nodes: ${n.added} added, ${n.removed} removed during the churn and ${n.removedAtEnd} after it${failures(n.failures)}; ${n.orphanedPods} pods left bound to removed nodes`);
      }
      const d = churn.during;
      lines.push(`  while churning: ${d.created} pods created, ${d.bound} bound (${d.boundPerSecond.toFixed(1)}/s); scheduling ${stats(d.schedulingLatency)}; startup ${stats(d.startupLatency)}`);
    }
    const kill = phase.kill;
    if (kill) {
      lines.push(`kill (phase ${phase.name}): ${kill.agents.join(', ')} SIGKILLed: ${kill.nodes} nodes (${kill.percentOfNodes.toFixed(1)}%) hosting ${kill.podsOnKilledNodes} pods`);
      lines.push(`  NotReady ${milestones(kill.notReady)}; NoExecute taint ${milestones(kill.evictionTaints)}`);
      lines.push(`  evicted ${milestones(kill.evictions)}`);
      const r = kill.replacements;
      lines.push(`  replacements: ${r.created} created, ${r.bound} bound, ${r.running} running; kill -> replaced ${statsSeconds(r.fromKill)}`);
      lines.push(`  eviction -> replaced ${statsSeconds(r.fromEviction)}; created -> Running ${stats(r.startup)}`);
      lines.push(`  ${kill.recovered ? `recovered ${s(kill.recoveredMs)} after the kill` : 'NOT recovered'}: ${kill.lost} pods lost, ${kill.notEvicted} not evicted`);
    }
  }
  if (lines.length === 0 && capacityViolations.length === 0) return '';
  lines.push(capacityViolations.length === 0 ? 'capacity: no node over its capacity' : `capacity: ${capacityViolations.length} node(s) over capacity: ${capacityViolations.slice(0, 5).join('; ')}`);
  return `${lines.join('\n')}\n`;
}
