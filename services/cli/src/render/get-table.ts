import { formatLabelSelector, type KubeEvent } from '@flotilla/client';
import type { Container, Node, Pod, ReplicaSet } from '@flotilla/model';
import { since } from './duration.ts';
import { podIP, podNodeName, summarizePod } from './pod-status.ts';
import { cellWidth, formatTable } from './tabwriter.ts';

// `flotilla get` tables, column for column as kubectl prints them.

export interface TableOptions {
  now: Date;
  wide?: boolean;
  /** -A: prepend NAMESPACE (namespaced kinds only). */
  allNamespaces?: boolean;
  showLabels?: boolean;
}

export interface Table {
  header: string[];
  rows: string[][];
}

export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((key) => `${key}=${labels![key]}`).join(',');
}

// ---- pods ----

export function podHeader(options: TableOptions): string[] {
  const header = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'];
  if (options.wide) header.push('IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES');
  return decorateHeader(header, options, true);
}

export function podRow(pod: Pod, options: TableOptions): string[] {
  const summary = summarizePod(pod, options.now);
  const row = [pod.metadata.name, summary.ready, summary.status, summary.restarts, since(pod.metadata.creationTimestamp, options.now)];
  if (options.wide) {
    row.push(podIP(pod) ?? '<none>', podNodeName(pod) ?? '<none>', pod.status?.nominatedNodeName || '<none>', readinessGates(pod));
  }
  return decorateRow(row, pod.metadata.namespace, pod.metadata.labels, options, true);
}

function readinessGates(pod: Pod): string {
  const gates = pod.spec.readinessGates;
  if (!Array.isArray(gates) || gates.length === 0) return '<none>';
  let trueConditions = 0;
  for (const gate of gates as unknown[]) {
    const type = typeof gate === 'object' && gate !== null ? (gate as { conditionType?: unknown }).conditionType : undefined;
    if (pod.status?.conditions?.find((c) => c.type === type)?.status === 'True') trueConditions++;
  }
  return `${trueConditions}/${gates.length}`;
}

// ---- nodes ----

export function nodeHeader(options: TableOptions): string[] {
  const header = ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'];
  if (options.wide) header.push('INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME');
  return decorateHeader(header, options, false);
}

export function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const status = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

/** node-role.kubernetes.io/<role> labels and kubernetes.io/role=<role>, sorted. */
export function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/')) {
      const role = key.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (key === 'kubernetes.io/role' && value) {
      roles.add(value);
    }
  }
  return [...roles].sort();
}

export function nodeInfo(node: Node): Record<string, string> {
  const info = node.status?.nodeInfo ?? {};
  return Object.fromEntries(Object.entries(info).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function nodeAddress(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

export function nodeRow(node: Node, options: TableOptions): string[] {
  const info = nodeInfo(node);
  const roles = nodeRoles(node).join(',') || '<none>';
  const row = [node.metadata.name, nodeStatus(node), roles, since(node.metadata.creationTimestamp, options.now), info['kubeletVersion'] || 'flotilla'];
  if (options.wide) {
    row.push(
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      info['osImage'] || '<unknown>',
      info['kernelVersion'] || '<unknown>',
      info['containerRuntimeVersion'] || '<unknown>',
    );
  }
  return decorateRow(row, undefined, node.metadata.labels, options, false);
}

// ---- replica sets ----

export function replicaSetHeader(options: TableOptions): string[] {
  const header = ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'];
  if (options.wide) header.push('CONTAINERS', 'IMAGES', 'SELECTOR');
  return decorateHeader(header, options, true);
}

export function replicaSetRow(rs: ReplicaSet, options: TableOptions): string[] {
  const row = [
    rs.metadata.name,
    String(rs.spec.replicas ?? 1),
    String(rs.status?.replicas ?? 0),
    String(rs.status?.readyReplicas ?? 0),
    since(rs.metadata.creationTimestamp, options.now),
  ];
  if (options.wide) {
    const { names, images } = containerCells(rs.spec.template.spec.containers);
    row.push(names, images, selectorText(rs));
  }
  return decorateRow(row, rs.metadata.namespace, rs.metadata.labels, options, true);
}

/** metav1.FormatLabelSelector: the selector's string form, `<none>` when empty. */
export function selectorText(rs: ReplicaSet): string {
  return formatLabelSelector(rs.spec.selector) || '<none>';
}

/** kubectl's layoutContainerCells: container names and images, comma-separated. */
function containerCells(containers: readonly Container[]): { names: string; images: string } {
  return { names: containers.map((c) => c.name).join(','), images: containers.map((c) => c.image ?? '').join(',') };
}

// ---- events ----

export function eventHeader(options: TableOptions): string[] {
  const header = options.wide
    ? ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'SUBOBJECT', 'SOURCE', 'MESSAGE', 'FIRST SEEN', 'COUNT', 'NAME']
    : ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];
  return decorateHeader(header, { ...options, showLabels: false }, true);
}

export function eventObject(event: KubeEvent): string {
  const kind = event.involvedObject.kind.toLowerCase();
  return event.involvedObject.name ? `${kind}/${event.involvedObject.name}` : kind;
}

export function eventRow(event: KubeEvent, options: TableOptions): string[] {
  const first = since(event.firstTimestamp, options.now);
  const last = event.lastTimestamp ? since(event.lastTimestamp, options.now) : first;
  const count = event.count || 1;
  const row = options.wide
    ? [last, event.type, event.reason, eventObject(event), event.involvedObject.fieldPath ?? '', eventSource(event), event.message.trim(), first, String(count), event.metadata.name]
    : [last, event.type, event.reason, eventObject(event), event.message.trim()];
  return decorateRow(row, event.metadata.namespace, undefined, { ...options, showLabels: false }, true);
}

function eventSource(event: KubeEvent): string {
  const { component, host } = event.source;
  if (!component && !host) return '';
  return host ? `${component}, ${host}` : component;
}

// ---- shared ----

function decorateHeader(header: string[], options: TableOptions, namespaced: boolean): string[] {
  const out = namespaced && options.allNamespaces ? ['NAMESPACE', ...header] : [...header];
  if (options.showLabels) out.push('LABELS');
  return out;
}

function decorateRow(row: string[], namespace: string | undefined, labels: Record<string, string> | undefined, options: TableOptions, namespaced: boolean): string[] {
  const out = namespaced && options.allNamespaces ? [namespace ?? '', ...row] : row;
  if (options.showLabels) out.push(formatLabels(labels));
  return out;
}

export function podTable(pods: readonly Pod[], options: TableOptions): Table {
  return { header: podHeader(options), rows: pods.map((pod) => podRow(pod, options)) };
}

export function nodeTable(nodes: readonly Node[], options: TableOptions): Table {
  return { header: nodeHeader(options), rows: nodes.map((node) => nodeRow(node, options)) };
}

export function replicaSetTable(replicaSets: readonly ReplicaSet[], options: TableOptions): Table {
  return { header: replicaSetHeader(options), rows: replicaSets.map((rs) => replicaSetRow(rs, options)) };
}

export function eventTable(events: readonly KubeEvent[], options: TableOptions): Table {
  return { header: eventHeader(options), rows: events.map((event) => eventRow(event, options)) };
}

export function renderTable(table: Table): string {
  return formatTable(table.header, table.rows);
}

/**
 * Rows printed one at a time under an already printed table (`get -w`), keeping the widths seen so
 * far and growing them when a cell is wider, like kubectl's tabwriter with RememberWidths.
 */
export class StreamingTable {
  private widths: number[];

  constructor(table: Table) {
    this.widths = table.header.map((_, i) => Math.max(6, ...[table.header, ...table.rows].map((row) => cellWidth(row[i] ?? '') + 3)));
  }

  line(row: readonly string[]): string {
    return (
      row
        .map((cell, i) => {
          if (i === row.length - 1) return cell;
          this.widths[i] = Math.max(this.widths[i] ?? 6, cellWidth(cell) + 3);
          return cell + ' '.repeat(this.widths[i]! - cellWidth(cell));
        })
        .join('') + '\n'
    );
  }
}
