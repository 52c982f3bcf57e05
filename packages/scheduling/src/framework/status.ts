/**
 * The result of running one plugin at one extension point, as kube-scheduler's framework.Status.
 * Plugins return a Status for every expected outcome and never throw for one.
 */
export type StatusCode =
  | 'Success'
  /** Rejected, but preemption or a cluster change on this node may help. */
  | 'Unschedulable'
  /** Rejected, and nothing done to this node's pods can help (preemption skips such nodes). */
  | 'UnschedulableAndUnresolvable'
  /** An unexpected failure: the attempt is aborted and the pod goes to backoff. */
  | 'Error'
  /** From PreFilter/PreScore: the plugin has nothing to do for this pod; its Filter/Score is not run. */
  | 'Skip'
  /** From Permit only: hold the pod before binding (interface only for now). */
  | 'Wait';

export interface Status {
  readonly code: StatusCode;
  readonly reasons: readonly string[];
  /** The plugin that produced a non-success status. */
  readonly plugin?: string;
}

const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: Object.freeze([]) as readonly string[] });
const SKIP: Status = Object.freeze({ code: 'Skip', reasons: Object.freeze([]) as readonly string[] });

/** The shared success status (allocation-free on the hot path). */
export function success(): Status {
  return SUCCESS;
}

export function skip(): Status {
  return SKIP;
}

export function unschedulable(plugin: string, ...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons, plugin };
}

export function unresolvable(plugin: string, ...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons, plugin };
}

export function errorStatus(plugin: string, message: string): Status {
  return { code: 'Error', reasons: [message], plugin };
}

export function waitStatus(plugin: string, ...reasons: string[]): Status {
  return { code: 'Wait', reasons, plugin };
}

export function isSuccess(status: Status): boolean {
  return status.code === 'Success';
}

export function isSkip(status: Status): boolean {
  return status.code === 'Skip';
}

/** Unschedulable or UnschedulableAndUnresolvable: the pod was rejected, nothing went wrong. */
export function isRejected(status: Status): boolean {
  return status.code === 'Unschedulable' || status.code === 'UnschedulableAndUnresolvable';
}

/** The reasons joined as kube-scheduler's Status.Message() does. */
export function statusMessage(status: Status): string {
  return status.reasons.join(', ');
}

/** The same status attributed to a plugin (the framework stamps plugin names it did not get). */
export function withPlugin(status: Status, plugin: string): Status {
  return status.plugin === plugin ? status : { ...status, plugin };
}
