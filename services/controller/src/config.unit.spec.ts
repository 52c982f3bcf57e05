import { describe, expect, it } from 'vitest';
import { ConfigError } from '@flotilla/service-kit';
import { parseControllerConfig } from './config.ts';

const flags = (...pairs: Array<[string, string]>): Map<string, string> => new Map(pairs);

describe('parseControllerConfig', () => {
  it('defaults to Kubernetes\' timings', () => {
    expect(parseControllerConfig(flags(), {})).toEqual({
      nats: 'nats://127.0.0.1:4222',
      name: 'controller',
      nodeMonitorGraceMs: 50_000,
      nodeStartupGraceMs: 60_000,
      evictionRate: 0.1,
      defaultNotReadyTolerationSeconds: 300,
      defaultUnreachableTolerationSeconds: 300,
      syncPeriodMs: 1_000,
      metricsPort: 0,
      metricsHost: '127.0.0.1',
    });
  });

  it('takes flags over the environment, and the environment over the defaults', () => {
    const env = { NATS_URL: 'nats://10.0.0.1:4222', FLOTILLA_NODE_MONITOR_GRACE_MS: '2000', FLOTILLA_EVICTION_RATE: '1', FLOTILLA_DEFAULT_UNREACHABLE_TOLERATION_SECONDS: '4' };
    const config = parseControllerConfig(flags(['nats', 'nats://127.0.0.1:5222'], ['node-monitor-grace-ms', '1500'], ['sync-period-ms', '200']), env);
    expect(config).toMatchObject({ nats: 'nats://127.0.0.1:5222', nodeMonitorGraceMs: 1_500, evictionRate: 1, defaultUnreachableTolerationSeconds: 4, syncPeriodMs: 200 });
  });

  it('names the setting when a value is wrong, and refuses unknown flags', () => {
    expect(() => parseControllerConfig(flags(['eviction-rate', '-1']), {})).toThrow(/--eviction-rate \/ FLOTILLA_EVICTION_RATE must be a number >= 0/);
    expect(() => parseControllerConfig(flags(['node-monitor-grace-ms', 'soon']), {})).toThrow(ConfigError);
    expect(() => parseControllerConfig(flags(['grace', '1']), {})).toThrow(/unknown flag --grace/);
  });
});
