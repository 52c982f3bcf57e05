import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { MemoryEventLog } from '@flotilla/eventlog';
import { envelope, msgIdFor, subjectFor, type DomainEvent } from '@flotilla/events';
import { LiveProjection, createLogger } from '@flotilla/service-kit';
import { buildApiServer } from './server.ts';

const pod = (name: string, cpu = '500m', extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu } } }], ...extra },
});

const node = (name: string, cpu: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels },
  status: { capacity: { cpu, memory: '8Gi' } },
});

describe('scheduling routes', () => {
  let log: MemoryEventLog;
  let projection: LiveProjection;
  let app: FastifyInstance;

  beforeEach(async () => {
    log = new MemoryEventLog();
    projection = new LiveProjection(log);
    await projection.start();
    app = await buildApiServer({ log, projection, logger: createLogger('api-test', {}, 'error'), writeTimeoutMs: 1000 });
    for (const n of [node('small', '1'), node('large', '8')]) {
      expect((await app.inject({ method: 'POST', url: '/api/v1/nodes', payload: n })).statusCode).toBe(201);
    }
  });

  afterEach(async () => {
    await app.close();
    await projection.stop();
    await log.close();
  });

  /** What a scheduler would append. */
  async function schedulerAppends(event: DomainEvent): Promise<void> {
    const { seq } = await log.append({ subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source: 'scheduler', time: '2026-01-01T00:00:00.000Z' }) });
    await projection.waitFor(seq, 1000);
  }

  describe('GET /api/v1/namespaces/{ns}/pods/{name}/scheduling', () => {
    it('returns the last attempt with its verdict table and summary', async () => {
      const created = (await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: pod('web') })).json();
      const before = (await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/web/scheduling' })).json();
      expect(before).toMatchObject({ kind: 'PodScheduling', metadata: { name: 'web', namespace: 'default', uid: created.metadata.uid }, attempts: 0, schedulerName: 'default-scheduler' });
      expect(before.lastScheduling).toBeUndefined();

      const verdicts = [
        { node: 'large', score: 393, scores: { NodeResourcesFit: 93 }, plugins: { NodeResourcesFit: { raw: 93, normalized: 93, weighted: 93 } } },
        { node: 'small', score: 350, scores: { NodeResourcesFit: 50 }, plugins: { NodeResourcesFit: { raw: 50, normalized: 50, weighted: 50 } } },
      ];
      const summary = { nodes: 2, evaluated: 2, feasible: 2, rejectedBy: {} };
      await schedulerAppends({
        type: 'PodBound',
        data: { namespace: 'default', name: 'web', uid: created.metadata.uid, nodeName: 'large', schedulerName: 'default-scheduler', attempt: 1, verdicts, summary },
      });
      const response = await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/web/scheduling' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        nodeName: 'large',
        attempts: 1,
        lastScheduling: { attempt: 1, schedulerName: 'default-scheduler', outcome: 'Bound', nodeName: 'large', verdicts, summary },
      });
    });

    it('answers 404 with a Status for a pod that does not exist', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/nope/scheduling' });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', details: { name: 'nope', kind: 'pods' } });
    });
  });

  describe('POST /api/v1/namespaces/{ns}/pods/plan', () => {
    it('says where the pod would go and why, and writes nothing', async () => {
      const lastBefore = await log.lastSequence();
      const response = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods/plan', payload: pod('web', '2') });
      expect(response.statusCode).toBe(200);
      const plan = response.json();
      expect(plan).toMatchObject({ kind: 'PodSchedulingPlan', schedulerName: 'default-scheduler', feasible: true, nodeName: 'large' });
      expect(plan.verdicts.map((v: { node: string }) => v.node)).toEqual(['small', 'large']);
      expect(plan.verdicts[0]).toEqual({ node: 'small', rejectedBy: 'NodeResourcesFit', reasons: ['Insufficient cpu'] });
      expect(plan.verdicts[1].plugins.NodeResourcesFit).toMatchObject({ normalized: expect.any(Number) });
      expect(plan.summary).toEqual({ nodes: 2, evaluated: 2, feasible: 1, rejectedBy: { 'NodeResourcesFit: Insufficient cpu': 1 } });
      expect(await log.lastSequence()).toBe(lastBefore);
      expect((await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods/web' })).statusCode).toBe(404);
    });

    it('explains a pod no node can take with the scheduler\'s message', async () => {
      const plan = (await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods/plan', payload: pod('huge', '16') })).json();
      expect(plan.feasible).toBe(false);
      expect(plan.message).toMatch(/^0\/2 nodes are available: 2 Insufficient cpu\./);
      expect(plan.preemption).toBeUndefined();
      expect(plan.nodeName).toBeUndefined();
      expect(plan.summary.rejectedBy).toEqual({ 'NodeResourcesFit: Insufficient cpu': 2 });
    });

    it('counts the pods already bound, and can trim the table', async () => {
      const created = (await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: pod('big', '7') })).json();
      await schedulerAppends({ type: 'PodBound', data: { namespace: 'default', name: 'big', uid: created.metadata.uid, nodeName: 'large', schedulerName: 'default-scheduler', attempt: 1 } });
      const plan = (await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods/plan', payload: pod('next', '800m') })).json();
      expect(plan.nodeName).toBe('small');
      const trimmed = (await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods/plan?maxVerdicts=1', payload: pod('next', '800m') })).json();
      expect(trimmed.verdicts.map((v: { node: string }) => v.node)).toEqual(['small']);
    });

    it('validates the manifest like a create, with Status objects', async () => {
      const invalid = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods/plan', payload: pod('x', '1.5.5') });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json()).toMatchObject({ kind: 'Status', reason: 'Invalid', details: { causes: [{ field: 'spec.containers[0].resources.requests.cpu' }] } });
      const wrongNs = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods/plan', payload: { ...pod('x'), metadata: { name: 'x', namespace: 'other' } } });
      expect(wrongNs.statusCode).toBe(400);
      expect(wrongNs.json().message).toContain('does not match the namespace');
      const otherScheduler = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods/plan', payload: pod('x', '1', { schedulerName: 'packer' }) });
      expect(otherScheduler.statusCode).toBe(400);
      expect(otherScheduler.json().message).toContain('spec.schedulerName');
      const badQuery = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods/plan?maxVerdicts=0', payload: pod('x') });
      expect(badQuery.statusCode).toBe(400);
      const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: y\nspec:\n  containers:\n  - name: c\n    image: x\n';
      const fromYaml = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods/plan', payload: yaml, headers: { 'content-type': 'application/yaml' } });
      expect(fromYaml.statusCode).toBe(200);
      expect(fromYaml.json().feasible).toBe(true);
    });
  });
});
