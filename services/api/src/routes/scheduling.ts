import type { FastifyInstance } from 'fastify';
import { DEFAULT_SCHEDULER_NAME, type Pod } from '@flotilla/model';
import { DEFAULT_PROFILE, buildNodeInfos, createFramework, withNominatedPods, AssumedPods, type Framework } from '@flotilla/scheduling';
import { podHostPorts, podRequest, type PodRecord } from '@flotilla/state';
import type { PodScheduling, PodSchedulingPlan } from '@flotilla/client';
import { ApiError, notFound } from '../api-status.ts';
import type { ApiContext } from '../server.ts';
import { admittedPod, validatedPodManifest } from './pods.ts';

// The response shapes are the wire contract the typed client declares; the API answers with them.

/** Plans on clusters up to this size show every node; larger ones the best nodes (and one per rejection). */
const PLAN_FULL_TABLE_MAX_NODES = 100;
const PLAN_VERDICTS_KEPT = 20;

export function registerSchedulingRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // The API plans with the default profile only: other profiles live in their schedulers' config files.
  let framework: Framework | undefined;
  const defaultFramework = (): Framework => (framework ??= createFramework(DEFAULT_PROFILE));

  app.get<{ Params: { ns: string; name: string } }>('/api/v1/namespaces/:ns/pods/:name/scheduling', (request) => {
    const { ns, name } = request.params;
    const record = ctx.projection.state.pods.get(`${ns}/${name}`);
    if (!record) throw notFound('pods', name);
    return schedulingOf(record);
  });

  app.post<{ Params: { ns: string }; Querystring: { maxVerdicts?: string } }>('/api/v1/namespaces/:ns/pods/plan', (request, reply) => {
    const namespace = request.params.ns;
    const manifest = validatedPodManifest(request.body, namespace, reply);
    const pod = admittedPod(ctx, manifest, { uid: 'plan', now: ctx.now().toISOString(), namespace, generatedSuffix: 'plan0' });
    const schedulerName = pod.spec.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    if (schedulerName !== DEFAULT_PROFILE.schedulerName) {
      throw new ApiError(
        'BadRequest',
        `spec.schedulerName: the API plans with the "${DEFAULT_PROFILE.schedulerName}" profile only, not ${JSON.stringify(schedulerName)} (its scheduler's --config file defines it)`,
      );
    }
    const maxVerdicts = parseMaxVerdicts(request.query.maxVerdicts);
    const state = ctx.projection.state;
    const record = planRecord(pod);
    const nodes = withNominatedPods(buildNodeInfos(state, new AssumedPods()), state, undefined, record);
    const planned = defaultFramework().schedulePod({
      pod: record,
      nodes,
      pods: state.pods,
      tieBreakSeed: pod.metadata.uid,
      // A plan looks at every node (no sampling), so that asking twice gives the same answer.
      evaluateAllNodes: true,
      maxVerdicts: maxVerdicts === 'all' ? undefined : (maxVerdicts ?? (nodes.length <= PLAN_FULL_TABLE_MAX_NODES ? undefined : PLAN_VERDICTS_KEPT)),
    });
    const plan: PodSchedulingPlan = {
      apiVersion: 'v1',
      kind: 'PodSchedulingPlan',
      schedulerName,
      resourceVersion: String(state.seq),
      feasible: planned.feasible,
      ...(planned.nodeName !== undefined ? { nodeName: planned.nodeName } : {}),
      ...(planned.message !== undefined ? { message: planned.message } : {}),
      verdicts: planned.verdicts,
      summary: planned.summary,
      ...(planned.nominatedNodeName
        ? { preemption: { nodeName: planned.nominatedNodeName, victims: (planned.victims ?? []).map((v) => ({ namespace: v.namespace, name: v.name })) } }
        : {}),
    };
    return plan;
  });
}

function schedulingOf(record: PodRecord): PodScheduling {
  const { pod } = record;
  return {
    apiVersion: 'v1',
    kind: 'PodScheduling',
    metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid, resourceVersion: String(record.resourceVersion) },
    schedulerName: pod.spec.schedulerName ?? DEFAULT_SCHEDULER_NAME,
    ...(record.nodeName !== undefined ? { nodeName: record.nodeName } : {}),
    ...(pod.status?.nominatedNodeName ? { nominatedNodeName: pod.status.nominatedNodeName } : {}),
    attempts: record.schedulingAttempts,
    ...(record.lastScheduling !== undefined ? { lastScheduling: record.lastScheduling } : {}),
  };
}

/** The pod as the fold would record it on creation, never stored. */
function planRecord(pod: Pod): PodRecord {
  let request;
  try {
    request = podRequest(pod.spec);
  } catch (error) {
    throw new ApiError('BadRequest', `cannot count the pod's requests: ${(error as Error).message}`);
  }
  const nodeName = pod.spec.nodeName;
  return {
    pod: { ...pod, status: { phase: 'Pending', conditions: [] } },
    key: `${pod.metadata.namespace}/${pod.metadata.name}`,
    resourceVersion: 0,
    request,
    hostPorts: podHostPorts(pod.spec),
    schedulingAttempts: 0,
    released: false,
    ...(nodeName !== undefined && nodeName !== '' ? { requestedNodeName: nodeName } : {}),
  };
}

function parseMaxVerdicts(raw: string | undefined): number | 'all' | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'all') return 'all';
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ApiError('BadRequest', `maxVerdicts: invalid value ${JSON.stringify(raw)}: must be a positive integer or "all"`);
  return value;
}

