export { NODE_RPC_QUEUE, logsSubject, nodeSubjectToken } from './subjects.ts';
export {
  ContainerLogsErrorReason,
  ContainerLogsRequestSchema,
  ContainerLogsWireRequestSchema,
  ControlMessageSchema,
  StreamMessageSchema,
  DEFAULT_FIRST_REPLY_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_MS,
  DEFAULT_MAX_CHUNK_CHARS,
  DEFAULT_WINDOW,
  MISSED_INTERVALS,
} from './protocol.ts';
export type { ContainerLogsRequest, ContainerLogsWireRequest, ControlMessage, StreamMessage, WireError } from './protocol.ts';
export {
  ContainerLogsRequestError,
  NodeAgentTimeoutError,
  NodeAgentUnavailableError,
  NodeRpcError,
  NodeStreamBrokenError,
} from './errors.ts';
export { serveContainerLogs, splitChunk, toWireError } from './logs-server.ts';
export type { ContainerLogsServer, OpenContext, RpcLogger, ServeContainerLogsOptions } from './logs-server.ts';
export { requestContainerLogs } from './logs-client.ts';
export type { ContainerLogStream, ContainerLogsRequester, RequestContainerLogsOptions } from './logs-client.ts';
export { containerLogStatusProblem, findContainer, containerNames } from './log-status.ts';
export { connectNodeRpc } from './connect.ts';
export type { ConnectNodeRpcOptions } from './connect.ts';
