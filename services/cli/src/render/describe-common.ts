import type { KubeEvent } from '@flotilla/client';
import type { Taint, Toleration } from '@flotilla/model';
import { since } from './duration.ts';
import type { PrefixWriter } from './tabwriter.ts';

// Pieces shared by `describe pod` and `describe node`, ported from kubectl's describe.go.

export interface DescribeOptions {
  now: Date;
  /** Print times in the local zone as kubectl does; golden tests leave it off (UTC). */
  localTime?: boolean;
}

export function printLabelsMultiline(w: PrefixWriter, title: string, labels: Record<string, string> | undefined): void {
  w.write(0, `${title}:\t`);
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) {
    w.write(0, '<none>\n');
    return;
  }
  keys.forEach((key, i) => {
    if (i !== 0) w.write(0, '\t');
    w.write(0, `${key}=${labels![key]}\n`);
  });
}

const SKIP_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);
const MAX_ANNOTATION_LEN = 140;

export function printAnnotationsMultiline(w: PrefixWriter, title: string, annotations: Record<string, string> | undefined): void {
  w.write(0, `${title}:\t`);
  const keys = Object.keys(annotations ?? {})
    .filter((key) => !SKIP_ANNOTATIONS.has(key))
    .sort();
  if (keys.length === 0) {
    w.write(0, '<none>\n');
    return;
  }
  keys.forEach((key, i) => {
    if (i !== 0) w.write(0, '\t');
    const value = annotations![key]!.replace(/\n$/, '');
    if (value.length + key.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      w.write(0, `${key}:\n`);
      for (const line of value.split('\n')) w.write(0, `\t  ${shorten(line, MAX_ANNOTATION_LEN - 2)}\n`);
    } else {
      w.write(0, `${key}: ${value}\n`);
    }
  });
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

export function formatTaint(taint: Taint): string {
  return `${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`;
}

export function printTaintsMultiline(w: PrefixWriter, title: string, taints: readonly Taint[] | undefined): void {
  w.write(0, `${title}:\t`);
  if (!taints || taints.length === 0) {
    w.write(0, '<none>\n');
    return;
  }
  const sorted = [...taints].sort((a, b) => compare(`${a.effect},${a.key}`, `${b.effect},${b.key}`));
  sorted.forEach((taint, i) => {
    if (i !== 0) w.write(0, '\t');
    w.write(0, `${formatTaint(taint)}\n`);
  });
}

export function printTolerationsMultiline(w: PrefixWriter, title: string, tolerations: readonly Toleration[] | undefined): void {
  w.write(0, `${title}:\t`);
  if (!tolerations || tolerations.length === 0) {
    w.write(0, '<none>\n');
    return;
  }
  const sorted = [...tolerations].sort((a, b) => compare(a.key ?? '', b.key ?? ''));
  sorted.forEach((toleration, i) => {
    if (i !== 0) w.write(0, '\t');
    let text = toleration.key ?? '';
    if (toleration.value) text += `=${toleration.value}`;
    if (toleration.effect) text += `:${toleration.effect}`;
    if (toleration.operator === 'Exists' && !toleration.value) text += toleration.key || toleration.effect ? ' op=Exists' : 'op=Exists';
    if (toleration.tolerationSeconds !== undefined && toleration.tolerationSeconds !== null) text += ` for ${toleration.tolerationSeconds}s`;
    w.write(0, `${text}\n`);
  });
}

/** The Events table that ends every describe; `undefined` events (not fetched) print nothing. */
export function describeEvents(w: PrefixWriter, events: readonly KubeEvent[] | undefined, options: DescribeOptions): void {
  if (events === undefined) return;
  if (events.length === 0) {
    w.write(0, 'Events:\t<none>\n');
    return;
  }
  w.flush();
  const sorted = [...events].sort((a, b) => timeOf(a.lastTimestamp || a.firstTimestamp) - timeOf(b.lastTimestamp || b.firstTimestamp));
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(1, '----\t------\t----\t----\t-------\n');
  for (const event of sorted) {
    const first = since(event.firstTimestamp, options.now);
    const age = event.count > 1 ? `${since(event.lastTimestamp, options.now)} (x${event.count} over ${first})` : first;
    const message = event.message.trim();
    w.write(1, `${event.type}\t${event.reason}\t${age}\t${event.source.component}\t${message}\n`);
  }
}

function timeOf(timestamp: string | undefined): number {
  const ms = timestamp ? Date.parse(timestamp) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/** Go's string ordering (bytewise), not locale ordering. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function printBool(value: boolean | undefined): string {
  return value ? 'True' : 'False';
}
