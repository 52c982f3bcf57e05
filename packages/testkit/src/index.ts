export { getFreePort } from './free-port.ts';
export {
  startNatsServer,
  findNatsServerBinary,
  NatsServerNotFoundError,
  NatsServerStartError,
  NATS_SERVER_INSTALL_HINT,
} from './nats-server.ts';
export type { RunningNatsServer, StartNatsServerOptions } from './nats-server.ts';
export { waitFor, WaitForTimeoutError } from './wait-for.ts';
export type { WaitForOptions } from './wait-for.ts';
