import { ApiError, formatLabelSelector } from '@flotilla/client';
import type { KubeEvent, PodScheduling } from '@flotilla/client';
import type { Node, Pod, ReplicaSet } from '@flotilla/model';
import { describeNode } from '../render/describe-node.ts';
import { describePod } from '../render/describe-pod.ts';
import { describeReplicaSet, podPhaseCounts, type PodPhaseCounts } from '../render/describe-replica-set.ts';
import { formatError, isFatal } from '../render/errors.ts';
import { podNodeName } from '../render/pod-status.ts';
import { DEFAULT_NAMESPACE, type CommandContext } from './context.ts';
import { parseTargets } from './resource-types.ts';

export interface DescribeCommandOptions {
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
}

export async function runDescribe(args: readonly string[], options: DescribeCommandOptions, ctx: CommandContext): Promise<number> {
  const targets = parseTargets(args);
  if (typeof targets === 'string') {
    ctx.io.err(`error: ${targets}\n`);
    return 1;
  }
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const describeOptions = { now: ctx.now(), localTime: ctx.localTime };
  const outputs: string[] = [];
  let failed = false;
  let listedNothing = false;

  const fail = (error: unknown): boolean => {
    if (error instanceof ApiError) ctx.warn(error.warnings);
    ctx.io.err(formatError(error));
    failed = true;
    return isFatal(error);
  };

  for (const target of targets) {
    if (target.kind === 'event') {
      ctx.io.err('error: describe supports pods, nodes and replicasets\n');
      failed = true;
      continue;
    }
    try {
      if (target.kind === 'pod') {
        let pods: Pod[] = [];
        if (target.names.length === 0) {
          pods = (await ctx.client.listPods(options.allNamespaces ? undefined : namespace, { labelSelector: options.selector })).body.items;
          if (pods.length === 0) listedNothing = true;
        } else {
          for (const name of target.names) {
            try {
              const result = await ctx.client.getPod(namespace, name);
              ctx.warn(result.warnings);
              pods.push(result.body);
            } catch (error) {
              if (fail(error)) return 1;
            }
          }
        }
        for (const pod of pods) outputs.push(describePod(pod, await podEvents(pod, ctx), describeOptions, await podScheduling(pod, ctx)));
      } else if (target.kind === 'replicaset') {
        let replicaSets: ReplicaSet[] = [];
        if (target.names.length === 0) {
          replicaSets = (await ctx.client.listReplicaSets(options.allNamespaces ? undefined : namespace, { labelSelector: options.selector })).body.items;
          if (replicaSets.length === 0) listedNothing = true;
        } else {
          for (const name of target.names) {
            try {
              const result = await ctx.client.getReplicaSet(namespace, name);
              ctx.warn(result.warnings);
              replicaSets.push(result.body);
            } catch (error) {
              if (fail(error)) return 1;
            }
          }
        }
        for (const rs of replicaSets) outputs.push(describeReplicaSet(rs, await replicaSetPods(rs, ctx), await replicaSetEvents(rs, ctx), describeOptions));
      } else {
        let nodes: Node[] = [];
        if (target.names.length === 0) {
          nodes = (await ctx.client.listNodes({ labelSelector: options.selector })).body.items;
          if (nodes.length === 0) listedNothing = true;
        } else {
          for (const name of target.names) {
            try {
              nodes.push((await ctx.client.getNode(name)).body);
            } catch (error) {
              if (fail(error)) return 1;
            }
          }
        }
        if (nodes.length > 0) {
          const pods = (await ctx.client.listPods(undefined)).body.items;
          for (const node of nodes) {
            const onNode = pods.filter((pod) => podNodeName(pod) === node.metadata.name && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed');
            outputs.push(describeNode(node, onNode, await nodeEvents(node, ctx), describeOptions));
          }
        }
      }
    } catch (error) {
      if (fail(error)) return 1;
    }
  }
  if (outputs.length > 0) ctx.io.out(outputs.join('\n\n'));
  else if (listedNothing && !failed) {
    const clusterScoped = targets.every((t) => t.kind === 'node');
    ctx.io.err(clusterScoped || options.allNamespaces ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`);
  }
  return failed ? 1 : 0;
}

/** The pod's events (this pod, not an earlier one of the same name); undefined if they cannot be read. */
async function podEvents(pod: Pod, ctx: CommandContext): Promise<KubeEvent[] | undefined> {
  try {
    const events = (await ctx.client.listEvents(pod.metadata.namespace, { involvedObjectName: pod.metadata.name, kind: 'Pod' })).body.items;
    return events.filter((e) => !e.involvedObject.uid || e.involvedObject.uid === pod.metadata.uid);
  } catch {
    return undefined;
  }
}

/** The pod's last scheduling attempt; undefined if it cannot be read (an older API, a replaced pod). */
async function podScheduling(pod: Pod, ctx: CommandContext): Promise<PodScheduling | undefined> {
  try {
    const scheduling = (await ctx.client.getScheduling(pod.metadata.namespace, pod.metadata.name)).body;
    return scheduling.metadata.uid === pod.metadata.uid ? scheduling : undefined;
  } catch {
    return undefined;
  }
}

/** The ReplicaSet's pods by phase: those its selector matches that it controls. */
async function replicaSetPods(rs: ReplicaSet, ctx: CommandContext): Promise<PodPhaseCounts | { error: string }> {
  try {
    const pods = (await ctx.client.listPods(rs.metadata.namespace, { labelSelector: formatLabelSelector(rs.spec.selector) })).body.items;
    return podPhaseCounts(rs, pods);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

async function replicaSetEvents(rs: ReplicaSet, ctx: CommandContext): Promise<KubeEvent[] | undefined> {
  try {
    const events = (await ctx.client.listEvents(rs.metadata.namespace, { involvedObjectName: rs.metadata.name, kind: 'ReplicaSet' })).body.items;
    return events.filter((e) => !e.involvedObject.uid || e.involvedObject.uid === rs.metadata.uid);
  } catch {
    return undefined;
  }
}

async function nodeEvents(node: Node, ctx: CommandContext): Promise<KubeEvent[] | undefined> {
  try {
    return (await ctx.client.listEvents(undefined, { involvedObjectName: node.metadata.name, kind: 'Node' })).body.items;
  } catch {
    return undefined;
  }
}
