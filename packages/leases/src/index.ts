// @flotilla/leases: node heartbeats in a NATS KV bucket (not the event log), renewed by the node
// agents and watched by the node lifecycle controller.
export { LEASE_BUCKET, NodeLeaseSchema, leaseKey, nodeNameOfLeaseKey } from './lease.ts';
export type { NodeLease } from './lease.ts';
export { LeaseStore, connectLeases } from './lease-store.ts';
export type { ConnectLeasesOptions, LeaseStoreOptions } from './lease-store.ts';
export { InvalidLeaseError, LeaseStoreUnavailableError } from './errors.ts';
