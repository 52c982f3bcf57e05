import type { Pod } from '@flotilla/client';
import { formatError } from '../render/errors.ts';
import { DEFAULT_NAMESPACE, type CommandContext } from './context.ts';

// `flotilla logs POD [-c CONTAINER]`: kubectl's flags and messages; the API streams the text.

export interface LogsOptions {
  namespace?: string;
  container?: string;
  follow?: boolean;
  /** Lines from the end; -1 (the default) prints all. */
  tail?: number;
  previous?: boolean;
  timestamps?: boolean;
  limitBytes?: number;
  /** --since as milliseconds. */
  since?: number;
  sinceTime?: string;
}

/** kubectl's annotation naming the container `kubectl logs` and `exec` pick by default. */
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

const POD_TYPES = new Set(['pod', 'pods', 'po']);

export async function runLogs(args: string[], options: LogsOptions, ctx: CommandContext): Promise<number> {
  const usage = checkUsage(args, options);
  if (typeof usage === 'string') {
    ctx.io.err(`error: ${usage}\n`);
    return 1;
  }
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const { pod: name } = usage;
  let container = usage.container;
  try {
    if (container === undefined) {
      // Like kubectl: without -c, read the pod and pick its default container.
      const pod = (await ctx.client.getPod(namespace, name)).body;
      container = defaultContainer(pod, (text) => ctx.io.err(text));
    }
    const stream = ctx.client.logs(namespace, name, {
      container,
      follow: options.follow ?? false,
      previous: options.previous ?? false,
      timestamps: options.timestamps ?? false,
      ...(options.tail !== undefined && options.tail >= 0 ? { tailLines: options.tail } : {}),
      ...(options.limitBytes !== undefined ? { limitBytes: options.limitBytes } : {}),
      ...(options.since !== undefined ? { sinceSeconds: Math.max(1, Math.ceil(options.since / 1000)) } : {}),
      ...(options.sinceTime !== undefined ? { sinceTime: options.sinceTime } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    for await (const chunk of stream) ctx.io.out(chunk);
    return 0;
  } catch (error) {
    ctx.io.err(formatError(error, { kind: 'Pod', name }));
    return 1;
  }
}

/** The pod and container named on the command line, or what is wrong with it (kubectl's words). */
export function checkUsage(args: string[], options: LogsOptions): { pod: string; container: string | undefined } | string {
  const [target, inline, ...extra] = args;
  if (target === undefined || target === '') return 'expected \'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]\'.\nPOD or TYPE/NAME is a required argument for the logs command';
  if (extra.length > 0) return 'expected \'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]\'.\nPOD or TYPE/NAME is a required argument for the logs command';
  let pod = target;
  const slash = target.indexOf('/');
  if (slash >= 0) {
    const type = target.slice(0, slash);
    if (!POD_TYPES.has(type)) return `logs can only be read from pods, not ${JSON.stringify(type)}`;
    pod = target.slice(slash + 1);
    if (pod === '') return `arguments in resource/name form must have a single resource and name`;
  }
  if (inline !== undefined && options.container !== undefined && inline !== options.container) return 'only one of -c or an inline [CONTAINER] arg is allowed';
  if (options.tail !== undefined && options.tail < -1) return '--tail must be greater than or equal to -1';
  if (options.limitBytes !== undefined && options.limitBytes < 1) return '--limit-bytes must be greater than 0';
  if (options.since !== undefined && options.since <= 0) return '--since must be greater than 0';
  if (options.since !== undefined && options.sinceTime !== undefined) return 'at most one of `sinceTime` or `sinceSeconds` may be specified';
  if (options.sinceTime !== undefined && Number.isNaN(Date.parse(options.sinceTime))) return `--since-time: invalid time ${JSON.stringify(options.sinceTime)}; use RFC 3339, e.g. 2024-05-01T12:00:00Z`;
  return { pod, container: options.container ?? inline };
}

/**
 * kubectl's choice when no container is named: the one the default-container annotation names, else
 * the first app container, saying so when there was a choice.
 */
export function defaultContainer(pod: Pod, warn: (text: string) => void): string | undefined {
  const containers = pod.spec?.containers ?? [];
  const initContainers = pod.spec?.initContainers ?? [];
  const annotated = pod.metadata.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated && [...containers, ...initContainers].some((c) => c.name === annotated)) return annotated;
  const first = containers[0]?.name;
  if (first === undefined) return undefined;
  if (containers.length > 1 || initContainers.length > 0) {
    const all = [...containers.map((c) => c.name), ...initContainers.map((c) => `${c.name} (init)`)];
    warn(`Defaulted container "${first}" out of: ${all.join(', ')}\n`);
  }
  return first;
}
