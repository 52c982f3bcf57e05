import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';

export interface ConnectNodeRpcOptions {
  servers: string | string[];
  /** Connection name shown by the server's monitoring. */
  name?: string;
}

/** A core NATS connection for node RPCs that reconnects forever, as the event log's does. */
export function connectNodeRpc(options: ConnectNodeRpcOptions): Promise<NatsConnection> {
  return connect({
    servers: options.servers,
    ...(options.name !== undefined ? { name: options.name } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    pingInterval: 10_000,
    maxPingOut: 2,
  });
}
