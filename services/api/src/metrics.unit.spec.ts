import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envelope, msgIdFor, subjectFor } from '@flotilla/events';
import { METRICS_CONTENT_TYPE, parseMetrics } from '@flotilla/service-kit';
import { podCreated } from '@flotilla/state/testing';
import { waitFor } from '@flotilla/testkit';
import { podManifest, startHarness, type Harness } from './test-harness.ts';

const PODS = '/api/v1/namespaces/default/pods';

describe('API /metrics', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  async function scrape(): Promise<Map<string, number>> {
    const response = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(METRICS_CONTENT_TYPE);
    return parseMetrics(response.body);
  }

  it('counts requests by verb, route and code, and times them', async () => {
    for (const name of ['a', 'b', 'c']) expect((await h.app.inject({ method: 'POST', url: PODS, payload: podManifest(name) })).statusCode).toBe(201);
    expect((await h.app.inject({ method: 'POST', url: PODS, payload: podManifest('a') })).statusCode).toBe(409);
    expect((await h.app.inject({ method: 'GET', url: `${PODS}/missing` })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/nowhere' })).statusCode).toBe(404);

    const metrics = await scrape();
    const route = '/api/v1/namespaces/:ns/pods';
    expect(metrics.get(`apiserver_request_total{verb="POST",route="${route}",code="201"}`)).toBe(3);
    expect(metrics.get(`apiserver_request_total{verb="POST",route="${route}",code="409"}`)).toBe(1);
    expect(metrics.get(`apiserver_request_total{verb="GET",route="${route}/:name",code="404"}`)).toBe(1);
    expect(metrics.get('apiserver_request_total{verb="GET",route="unmatched",code="404"}')).toBe(1);
    expect(metrics.get(`apiserver_request_duration_seconds_count{verb="POST",route="${route}"}`)).toBe(4);
    expect(metrics.get(`apiserver_request_duration_seconds_bucket{le="+Inf",verb="POST",route="${route}"}`)).toBe(4);
  });

  it('exposes the event-log families: applied sequence, lag, append latency', async () => {
    await h.app.inject({ method: 'POST', url: PODS, payload: podManifest('a') });
    await h.app.inject({ method: 'POST', url: PODS, payload: podManifest('b') });
    const metrics = await scrape();
    expect(metrics.get('flotilla_eventlog_applied_sequence')).toBe(h.projection.state.seq);
    expect(metrics.get('flotilla_eventlog_lag_events')).toBe(0);
    expect(metrics.get('flotilla_eventlog_connected')).toBe(1);
    expect(metrics.get('flotilla_nats_reconnects_total')).toBe(0);
    // Two pod creations, each one append that was stored.
    expect(metrics.get('flotilla_eventlog_append_duration_seconds_count{outcome="stored"}')).toBe(2);
  });

  it('shows the lag while the fold is behind the log, and a lost connection', async () => {
    await h.projection.stop();
    for (const name of ['x', 'y']) {
      const event = podCreated({ name });
      await h.log.append({ subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source: 'test', time: new Date().toISOString() }) });
    }
    h.log.simulateOutage(true);
    const metrics = await scrape();
    expect(metrics.get('flotilla_eventlog_lag_events')).toBe(2);
    expect(metrics.get('flotilla_eventlog_connected')).toBe(0);
  });

  it('counts a watch as long-running while it is open and as a WATCH request once it ends', async () => {
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const address = h.app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const controller = new AbortController();
    const response = await fetch(`${base}${PODS}?watch=true`, { signal: controller.signal });
    expect(response.status).toBe(200);
    const route = '/api/v1/namespaces/:ns/pods';
    expect((await scrape()).get(`apiserver_longrunning_requests{verb="WATCH",route="${route}"}`)).toBe(1);
    controller.abort();
    await waitFor(async () => (await scrape()).get(`apiserver_request_total{verb="WATCH",route="${route}",code="200"}`) === 1, 2000);
    const after = await scrape();
    expect(after.get(`apiserver_longrunning_requests{verb="WATCH",route="${route}"}`)).toBe(0);
    // Long-running requests are not timed.
    expect(after.has(`apiserver_request_duration_seconds_count{verb="WATCH",route="${route}"}`)).toBe(false);
  });
});
