import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { envelope, msgIdFor, subjectFor } from '@flotilla/events';
import { nodeRegistered, podBound, podCreated } from '@flotilla/state/testing';
import { ConfigError, instrumentAppends, parseMetrics, startMetricsServer } from '@flotilla/service-kit';
import { waitFor } from '@flotilla/testkit';
import { AgentMetrics, takeMetricsFlags } from './metrics.ts';
import { Cluster } from './test-harness.ts';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('node agent /metrics', () => {
  it('counts the running pods and containers of its nodes and times their start', async () => {
    cluster = new Cluster();
    const { projection } = await cluster.startAgent();
    const metrics = new AgentMetrics({ nodeNames: ['node-1'], projection, log: cluster.log });
    projection.onApplied((record, changes) => metrics.onApplied(record, changes, performance.now()));
    // Another agent's node: its pods are not ours.
    await cluster.append(nodeRegistered({ name: 'node-2', podCIDR: '10.244.200.0/24' }));
    await cluster.append(podCreated({ name: 'elsewhere' }));
    await cluster.append(podBound({ name: 'elsewhere', nodeName: 'node-2' }));
    for (const name of ['p1', 'p2', 'p3']) {
      await cluster.append(podCreated({ name }));
      await cluster.append(podBound({ name }));
    }
    const running = (): number => ['p1', 'p2', 'p3'].filter((name) => projection.state.pods.get(`default/${name}`)?.pod.status?.phase === 'Running').length;
    await waitFor(() => running() === 3, 5_000);

    const samples = parseMetrics(await metrics.render());
    expect(samples.get('kubelet_running_pods')).toBe(3);
    expect(samples.get('kubelet_running_containers{container_state="running"}')).toBe(3);
    expect(samples.get('kubelet_running_containers{container_state="exited"}')).toBe(0);
    expect(samples.get('kubelet_pod_start_duration_seconds_count')).toBe(3);
    expect(samples.get('kubelet_pod_start_duration_seconds_bucket{le="+Inf"}')).toBe(3);
    expect(samples.get('flotilla_node_agent_hosted_nodes')).toBe(1);
    expect(samples.get('flotilla_eventlog_applied_sequence')).toBe(projection.state.seq);
  });

  it('times the appends made through the instrumented log', async () => {
    cluster = new Cluster();
    const { projection } = await cluster.startAgent();
    const metrics = new AgentMetrics({ nodeNames: ['node-1'], projection, log: cluster.log });
    const timed = instrumentAppends(cluster.log, metrics.observeAppend!);
    const event = podCreated({ name: 'x' });
    // The same Nats-Msg-Id twice: stored, then a duplicate.
    const request = { subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source: 'test', time: new Date().toISOString() }) };
    await timed.append(request);
    await timed.append(request);
    const samples = parseMetrics(await metrics.render());
    expect(samples.get('flotilla_eventlog_append_duration_seconds_count{outcome="stored"}')).toBe(1);
    expect(samples.get('flotilla_eventlog_append_duration_seconds_count{outcome="duplicate"}')).toBe(1);
  });

  it('serves the body over HTTP', async () => {
    cluster = new Cluster();
    const { projection } = await cluster.startAgent();
    const metrics = new AgentMetrics({ nodeNames: ['node-1'], projection });
    const server = await startMetricsServer(0, '127.0.0.1', () => metrics.render());
    try {
      const samples = parseMetrics(await (await fetch(server.url)).text());
      expect(samples.get('kubelet_running_pods')).toBe(0);
      // Without a log, no event-log families.
      expect(samples.has('flotilla_eventlog_applied_sequence')).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('takes --metrics-port / FLOTILLA_NODE_METRICS_PORT out of the flags (0 = off)', () => {
    const flags = new Map([['metrics-port', '9102'], ['metrics-host', '0.0.0.0'], ['nodes', '3']]);
    expect(takeMetricsFlags(flags, {})).toEqual({ port: 9102, host: '0.0.0.0' });
    expect([...flags.keys()]).toEqual(['nodes']);
    expect(takeMetricsFlags(new Map(), { FLOTILLA_NODE_METRICS_PORT: '9300' })).toEqual({ port: 9300, host: '127.0.0.1' });
    expect(takeMetricsFlags(new Map(), {})).toEqual({ port: 0, host: '127.0.0.1' });
    expect(() => takeMetricsFlags(new Map([['metrics-port', 'x']]), {})).toThrow(ConfigError);
    expect(() => takeMetricsFlags(new Map([['metrics-port', '70000']]), {})).toThrow(ConfigError);
  });
});
