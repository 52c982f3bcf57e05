/** kube-scheduler's ErrNoNodesAvailable: the attempt found an empty cluster. */
export const NO_NODES_AVAILABLE_MESSAGE = 'no nodes available to schedule pods';

export interface UnschedulableMessageOptions {
  /** A PreFilter rejected the pod outright: its message replaces the per-node histogram. */
  preFilterMessage?: string;
  /** PostFilter's outcome (preemption), appended as its own sentence (kube-scheduler's end with their own period). */
  postFilterMessage?: string;
}

/**
 * kube-scheduler's FitError message: `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had
 * untolerated taint {key: value}.` Every reason of every rejected node is counted; the "N reason"
 * strings are sorted as Go's sort.Strings does (byte order, so "10 x" sorts before "2 y") and joined
 * with ", ".
 */
export function unschedulableMessage(
  totalNodes: number,
  nodeStatuses: Iterable<{ readonly reasons: readonly string[] }>,
  options: UnschedulableMessageOptions = {},
): string {
  if (totalNodes === 0) return NO_NODES_AVAILABLE_MESSAGE;
  let message = `0/${totalNodes} nodes are available:`;
  if (options.preFilterMessage !== undefined && options.preFilterMessage !== '') {
    message += ` ${options.preFilterMessage}.`;
  } else {
    const counts = new Map<string, number>();
    for (const status of nodeStatuses) {
      for (const reason of status.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    // Default sort compares UTF-16 code units: the same order as Go's byte-wise sort for ASCII reasons.
    const histogram = [...counts].map(([reason, count]) => `${count} ${reason}`).sort();
    if (histogram.length > 0) message += ` ${histogram.join(', ')}.`;
  }
  if (options.postFilterMessage !== undefined && options.postFilterMessage !== '') {
    message += options.postFilterMessage.endsWith('.') ? ` ${options.postFilterMessage}` : ` ${options.postFilterMessage}.`;
  }
  return message;
}
