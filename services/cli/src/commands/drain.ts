import { ApiError, ApiUnreachableError } from '@flotilla/client';
import type { Pod, Volume } from '@flotilla/model';
import { formatError } from '../render/errors.ts';
import type { CommandContext } from './context.ts';
import { setUnschedulable } from './cordon.ts';

// `flotilla drain NODE`: kubectl drain's steps and wording. Cordon the node, refuse (or, with the
// override flags, warn about) pods that would be lost for good, evict the others through the
// Eviction API, and wait until they are gone.

export interface DrainOptions {
  /** Evict pods that declare no controller (nothing recreates them). */
  force?: boolean;
  /** Seconds each pod gets to stop; negative (the default) uses the pod's own terminationGracePeriodSeconds. */
  gracePeriod?: number;
  /** How long to wait for the pods to be gone, in ms; 0 waits for ever (kubectl's default). */
  timeout?: number;
  /** Skip DaemonSet-managed pods instead of refusing them. */
  ignoreDaemonsets?: boolean;
  /** Evict pods with emptyDir volumes (their data is lost). */
  deleteEmptydirData?: boolean;
  /** Delete the pods instead of evicting them. */
  disableEviction?: boolean;
  /** How often to check whether the evicted pods are gone (tests shorten it). */
  pollIntervalMs?: number;
}

const NO_CONTROLLER = 'Pods that declare no controller';
const LOCAL_STORAGE = 'Pods with local storage';
const DAEMON_SET = 'DaemonSet-managed Pods';

interface Classified {
  toEvict: Pod[];
  /** kubectl's "cannot delete <what> (<remedy>): ns/a, ns/b", grouped by message. */
  errors: Map<string, string[]>;
  /** kubectl's "Warning: <what>: ns/a, ns/b". */
  warnings: Map<string, string[]>;
}

/** An emptyDir volume, or one with no source at all (which the API server defaults to emptyDir). */
function isEmptyDir(volume: Volume): boolean {
  if (volume.emptyDir !== undefined && volume.emptyDir !== null) return true;
  return Object.entries(volume).every(([key, value]) => key === 'name' || value === undefined || value === null);
}

const podRef = (pod: Pod): string => `${pod.metadata.namespace}/${pod.metadata.name}`;
const isTerminal = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** kubectl drain's filters in its order: DaemonSet pods, then local storage, then unreplicated pods. */
export function classifyPods(pods: readonly Pod[], options: DrainOptions): Classified {
  const out: Classified = { toEvict: [], errors: new Map(), warnings: new Map() };
  const add = (map: Map<string, string[]>, message: string, pod: Pod): void => {
    map.set(message, [...(map.get(message) ?? []), podRef(pod)]);
  };
  for (const pod of pods) {
    const controller = pod.metadata.ownerReferences?.find((ref) => ref.controller === true);
    const terminal = isTerminal(pod);
    if (controller?.kind === 'DaemonSet' && !terminal) {
      if (options.ignoreDaemonsets) add(out.warnings, `ignoring ${DAEMON_SET}`, pod);
      else add(out.errors, `${DAEMON_SET} (use --ignore-daemonsets to ignore)`, pod);
      continue;
    }
    const hasLocalStorage = (pod.spec.volumes ?? []).some(isEmptyDir);
    if (hasLocalStorage && !terminal) {
      if (!options.deleteEmptydirData) {
        add(out.errors, `${LOCAL_STORAGE} (use --delete-emptydir-data to override)`, pod);
        continue;
      }
      add(out.warnings, `deleting ${LOCAL_STORAGE}`, pod);
    }
    if (!controller && !terminal) {
      if (!options.force) {
        add(out.errors, `${NO_CONTROLLER} (use --force to override)`, pod);
        continue;
      }
      add(out.warnings, `deleting ${NO_CONTROLLER}`, pod);
    }
    out.toEvict.push(pod);
  }
  return out;
}

export async function runDrain(name: string, options: DrainOptions, ctx: CommandContext): Promise<number> {
  const cordoned = await setUnschedulable(name, true, ctx);
  if (cordoned === 'failed' || cordoned === 'unreachable') return 1;
  ctx.io.out(`node/${name} ${cordoned === 'unchanged' ? 'already cordoned' : 'cordoned'}\n`);

  let pods: Pod[];
  try {
    pods = (await ctx.client.listPods(undefined, { fieldSelector: `spec.nodeName=${name}` })).body.items;
  } catch (error) {
    return failDrain(name, formatError(error).replace(/^error: /, '').trimEnd(), ctx);
  }
  const { toEvict, errors, warnings } = classifyPods(pods, options);
  if (errors.size > 0) {
    const messages = [...errors].map(([message, refs]) => `cannot delete ${message}: ${refs.join(', ')}`);
    return failDrain(name, messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`, ctx);
  }
  for (const [message, refs] of warnings) ctx.io.err(`Warning: ${message}: ${refs.join(', ')}\n`);

  const started = Date.now();
  const waiting: Pod[] = [];
  for (const pod of toEvict) {
    const { namespace, name: podName } = pod.metadata;
    const grace = options.gracePeriod !== undefined && options.gracePeriod >= 0 ? options.gracePeriod : undefined;
    try {
      if (options.disableEviction) {
        await ctx.client.deletePod(namespace, podName, grace !== undefined ? { gracePeriodSeconds: grace } : {});
      } else {
        ctx.io.out(`evicting pod ${namespace}/${podName}\n`);
        await ctx.client.evictPod(namespace, podName, grace !== undefined ? { gracePeriodSeconds: grace } : {});
      }
    } catch (error) {
      // Gone already: nothing to evict, and the wait below sees it gone.
      if (!(error instanceof ApiError && error.reason === 'NotFound')) {
        if (error instanceof ApiError) ctx.warn(error.warnings);
        const what = `error when ${options.disableEviction ? 'deleting' : 'evicting'} pods/${JSON.stringify(podName)} -n ${JSON.stringify(namespace)}`;
        if (error instanceof ApiUnreachableError) {
          ctx.io.err(formatError(error));
          return 1;
        }
        return failDrain(name, `${what}: ${error instanceof Error ? error.message : String(error)}`, ctx);
      }
    }
    waiting.push(pod);
  }

  const left = await waitForGone(waiting, options, started, ctx);
  if (left === 'aborted') return 1;
  if (left === 'unreachable') return 1;
  if (left.length > 0) {
    return failDrain(name, `global timeout reached: ${goDuration(options.timeout ?? 0)}; pods not yet gone: ${left.map(podRef).join(', ')}`, ctx);
  }
  ctx.io.out(`node/${name} drained\n`);
  return 0;
}

/** Polls each pod until it is gone (404, or its name now belongs to another uid); returns those left at the timeout. */
async function waitForGone(pods: readonly Pod[], options: DrainOptions, started: number, ctx: CommandContext): Promise<Pod[] | 'aborted' | 'unreachable'> {
  const interval = options.pollIntervalMs ?? 1000;
  const timeout = options.timeout ?? 0;
  let remaining = [...pods];
  for (;;) {
    const still: Pod[] = [];
    for (const pod of remaining) {
      try {
        const current = (await ctx.client.getPod(pod.metadata.namespace, pod.metadata.name)).body;
        if (current.metadata.uid === pod.metadata.uid) {
          still.push(pod);
          continue;
        }
      } catch (error) {
        if (error instanceof ApiUnreachableError) {
          ctx.io.err(formatError(error));
          return 'unreachable';
        }
        if (!(error instanceof ApiError && error.reason === 'NotFound')) {
          // A passing failure (timeout, 503): ask again on the next round.
          still.push(pod);
          continue;
        }
      }
      ctx.io.out(`pod/${pod.metadata.name} ${options.disableEviction ? 'deleted' : 'evicted'}\n`);
    }
    remaining = still;
    if (remaining.length === 0) return [];
    if (ctx.signal?.aborted) return 'aborted';
    const elapsed = Date.now() - started;
    if (timeout > 0 && elapsed >= timeout) return remaining;
    await sleep(timeout > 0 ? Math.min(interval, timeout - elapsed) : interval, ctx.signal);
  }
}

/** kubectl's way of ending a drain that could not finish: the node stays cordoned. */
function failDrain(node: string, message: string, ctx: CommandContext): number {
  ctx.io.err(`error: unable to drain node ${JSON.stringify(node)} due to error: ${message}, continuing command...\n`);
  ctx.io.err(`There are pending nodes to be drained:\n ${node}\n`);
  ctx.io.err(`error: ${message}\n`);
  return 1;
}

/** Go's time.Duration String(), as kubectl prints its timeouts: 1m0s, 30s, 500ms. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const totalSeconds = ms / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = Math.round((totalSeconds % 60) * 1000) / 1000;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
