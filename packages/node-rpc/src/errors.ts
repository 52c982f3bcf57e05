import type { ContainerLogsErrorReason } from './protocol.ts';

/** Base of the errors a node RPC raises. */
export class NodeRpcError extends Error {
  readonly nodeName: string;
  constructor(nodeName: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NodeRpcError';
    this.nodeName = nodeName;
  }
}

/**
 * The node agent refused or ended the request with a reason (its container runtime found no logs,
 * the pod is not on the node, ...). Servers throw it from `open` to choose the reason; requesters
 * receive it as the node sent it.
 */
export class ContainerLogsRequestError extends Error {
  readonly reason: ContainerLogsErrorReason;
  constructor(reason: ContainerLogsErrorReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ContainerLogsRequestError';
    this.reason = reason;
  }
}

/** Nothing subscribes to the node's subject: no running node agent hosts that node. */
export class NodeAgentUnavailableError extends NodeRpcError {
  readonly subject: string;
  constructor(nodeName: string, subject: string, options?: ErrorOptions) {
    super(nodeName, `no node agent is serving node ${nodeName} (nothing listens on ${subject})`, options);
    this.name = 'NodeAgentUnavailableError';
    this.subject = subject;
  }
}

/** The first reply did not come in time: the agent may be down, overloaded or cut off; nobody knows which. */
export class NodeAgentTimeoutError extends NodeRpcError {
  readonly timeoutMs: number;
  constructor(nodeName: string, timeoutMs: number, options?: ErrorOptions) {
    super(nodeName, `node agent for node ${nodeName} did not answer within ${formatMs(timeoutMs)}`, options);
    this.name = 'NodeAgentTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** An open stream broke: a message was lost (a gap in seq), the agent went silent, or it sent garbage. */
export class NodeStreamBrokenError extends NodeRpcError {
  constructor(nodeName: string, message: string, options?: ErrorOptions) {
    super(nodeName, message, options);
    this.name = 'NodeStreamBrokenError';
  }
}

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
