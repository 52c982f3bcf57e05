export { ServiceProcess, REPO_ROOT } from './service-process.ts';
export type { ServiceName, ServiceSpec } from './service-process.ts';
export { LocalCluster } from './local-cluster.ts';
export type { LocalClusterOptions } from './local-cluster.ts';
