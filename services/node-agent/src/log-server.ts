import type { NatsConnection } from '@nats-io/transport-node';
import {
  ContainerLogsRequestError,
  connectNodeRpc,
  containerLogStatusProblem,
  findContainer,
  serveContainerLogs,
  type ContainerLogsRequest,
  type ContainerLogsServer,
  type OpenContext,
} from '@flotilla/node-rpc';
import type { ContainerRuntime } from '@flotilla/runtime';
import type { Logger } from '@flotilla/service-kit';
import type { ClusterState } from '@flotilla/state';

// Serves `flotilla logs` for the nodes this agent hosts: the API asks over NATS (node-rpc), the
// runtime reads the files. The fold decides whether the pod instance is here and has a log.

export interface LogServerOptions {
  /** The nodes this agent hosts. */
  nodeNames: Iterable<string>;
  /** The agent's fold (read at each request). */
  projection: { readonly state: ClusterState };
  runtime: Pick<ContainerRuntime, 'readLogs'>;
  logger: Logger;
  /** A connection to use (kept open on close), or servers to open one of its own (closed on close). */
  nc?: NatsConnection;
  servers?: string | string[];
  /** Name of the connection opened from `servers`. */
  connectionName?: string;
}

/** Starts answering container-log requests; close() stops it (and closes its own connection). */
export async function startLogServer(options: LogServerOptions): Promise<ContainerLogsServer> {
  const hosted = new Set(options.nodeNames);
  const owned = options.nc === undefined;
  let nc = options.nc;
  if (nc === undefined) {
    if (options.servers === undefined) throw new TypeError('startLogServer needs a NATS connection (nc) or servers');
    nc = await connectNodeRpc({ servers: options.servers, ...(options.connectionName !== undefined ? { name: options.connectionName } : {}) });
  }
  const connection = nc;
  const server = serveContainerLogs(connection, {
    nodeNames: hosted,
    logger: options.logger,
    open: (request, context) => openContainerLogs(options.projection.state, options.runtime, request, context),
  });
  await server.ready;
  return {
    ready: server.ready,
    get activeStreams() {
      return server.activeStreams;
    },
    async close() {
      await server.close();
      if (owned && !connection.isClosed()) await connection.drain().catch(() => connection.close());
    },
  };
}

/**
 * The log of one container of a pod instance bound to `context.nodeName`, read through the runtime.
 * Throws ContainerLogsRequestError (NotFound, BadRequest) when the fold says there is none to read.
 */
export function openContainerLogs(
  state: ClusterState,
  runtime: Pick<ContainerRuntime, 'readLogs'>,
  request: ContainerLogsRequest,
  context: OpenContext,
): AsyncIterable<string> {
  const key = `${request.namespace}/${request.name}`;
  const record = state.pods.get(key);
  if (!record || record.pod.metadata.uid !== request.uid) {
    throw new ContainerLogsRequestError('NotFound', `pod ${key} (uid ${request.uid}) is not known on node ${context.nodeName}`);
  }
  if (record.nodeName !== context.nodeName) {
    const where = record.nodeName === undefined ? 'is not bound to a node' : `is bound to node ${record.nodeName}`;
    throw new ContainerLogsRequestError('NotFound', `pod ${key} ${where}, not to node ${context.nodeName}`);
  }
  const container = findContainer(record.pod, request.container);
  if (!container) throw new ContainerLogsRequestError('BadRequest', `container ${request.container} is not valid for pod ${request.name}`);
  const problem = containerLogStatusProblem(record.pod, request.container, request.previous);
  if (problem !== undefined) throw new ContainerLogsRequestError('NotFound', problem);
  return runtime.readLogs(record.pod, container, {
    previous: request.previous,
    follow: request.follow,
    timestamps: request.timestamps,
    ...(request.tailLines !== undefined ? { tailLines: request.tailLines } : {}),
    signal: context.signal,
  });
}
