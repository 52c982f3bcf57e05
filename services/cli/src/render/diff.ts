// `flotilla diff`: the objects added, removed and changed between two states of the cluster, one row
// each, with the fields that tell what happened.
import type { ClusterDiff, DiffChange } from '@flotilla/client';
import { formatTable } from './tabwriter.ts';

const KIND_NAMES: Record<DiffChange['kind'], string> = { Pod: 'pod', Node: 'node', ReplicaSet: 'replicaset.apps' };

function details(change: DiffChange): string {
  if (change.change === 'Changed') return change.fields.map((f) => `${f.field}: ${f.from ?? '<none>'} -> ${f.to ?? '<none>'}`).join(', ');
  // Added: what it is now; Removed: what it was last.
  return change.fields.map((f) => `${f.field}=${(change.change === 'Added' ? f.to : f.from) ?? '<none>'}`).join(' ');
}

const side = (s: ClusterDiff['from']): string => (s.at === s.resourceVersion ? s.resourceVersion : `${s.resourceVersion} (${s.at})`);

export function diffText(diff: ClusterDiff): string {
  const title = `From resourceVersion ${side(diff.from)} to ${side(diff.to)}:\n`;
  if (diff.changes.length === 0) return `${title}No changes.\n`;
  const namespaced = diff.changes.some((c) => c.namespace !== undefined);
  const header = ['KIND', ...(namespaced ? ['NAMESPACE'] : []), 'NAME', 'CHANGE', 'DETAILS'];
  const rows = diff.changes.map((c) => [KIND_NAMES[c.kind], ...(namespaced ? [c.namespace ?? ''] : []), c.name, c.change.toLowerCase(), details(c)]);
  return title + formatTable(header, rows);
}
