// The process runtime's container shims, tsx against bundled: N containers (`sleep 3600`) started one
// after another through ProcessRuntime in one pod per shim mode, the two modes interleaved so that a
// busy moment of a shared machine falls on both.
//
//   npm run bench -- process-runtime [--containers=N] [--modes=tsx,bundled]
//
// As root with `ip netns` the pods get network namespaces on a bridge of a node of their own
// (10.252.<n>.0/24; no traffic is sent anywhere), otherwise loopback mode; the mode is printed.
// Prints per mode: start latency (startContainer called to resolved) median and p90, the shims'
// VmRSS and RssAnon medians (/proc/<pid>/status; RssFile is node's code, shared between shims by
// the page cache), and stop latency (stop called to exited resolved) median; then removes the pods.
// Figures only; nothing is asserted.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Container, Pod } from '@flotilla/model';
import type { RunningContainer } from '@flotilla/runtime';
import { runHostCommand } from '../services/node-agent/src/process-runtime/command.ts';
import { bridgeName, detectNetworkMode } from '../services/node-agent/src/process-runtime/pod-network.ts';
import { ProcessRuntime } from '../services/node-agent/src/process-runtime/process-runtime.ts';
import type { ShimMode } from '../services/node-agent/src/process-runtime/shim-bundle.ts';

interface Side {
  mode: ShimMode;
  stateDir: string;
  runtime: ProcessRuntime;
  constructMs: number;
  pod: Pod;
  handles: RunningContainer[];
  startMs: number[];
  stopMs: number[];
  rssKb: number[];
  anonKb: number[];
}

function flag(args: readonly string[], name: string): string | undefined {
  const prefix = `--${name}`;
  const arg = args.find((a) => a === prefix || a.startsWith(`${prefix}=`));
  if (arg === undefined) return undefined;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : '';
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** A 10.252.<n>.0/24 that nothing on this host routes yet (only looked at in netns mode). */
async function freeCidr(netns: boolean): Promise<string> {
  if (!netns) return `10.252.${(process.pid % 200) + 20}.0/24`;
  const start = (process.pid % 200) + 20;
  for (let i = 0; i < 230; i++) {
    const n = ((start + i) % 230) + 20;
    const { stdout } = await runHostCommand(['ip', '-4', 'route', 'show', 'to', 'match', `10.252.${n}.1`]);
    if (!stdout.split('\n').some((line) => line.trim() !== '' && !line.startsWith('default'))) return `10.252.${n}.0/24`;
  }
  throw new Error('no free 10.252.x.0/24 for the benchmark');
}

async function statusKb(pid: number): Promise<{ rss: number; anon: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: field('VmRSS'), anon: field('RssAnon') };
  } catch {
    return undefined;
  }
}

export async function run(args: readonly string[]): Promise<void> {
  const count = Number(flag(args, 'containers') ?? 20);
  const modes = (flag(args, 'modes') ?? 'tsx,bundled').split(',').filter((m): m is ShimMode => m === 'tsx' || m === 'bundled');
  const detected = await detectNetworkMode();
  const netns = detected.mode === 'netns';
  const runId = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
  const nodeName = `fltb-rt-${runId}`;
  const podCIDR = await freeCidr(netns);
  const base = podCIDR.replace(/\.0\/24$/, '');
  process.stdout.write(
    `process-runtime benchmark: ${count} containers (sleep 3600) per shim mode, modes ${modes.join(', ')} interleaved\n` +
      `node ${process.version}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n` +
      `network: ${detected.mode}${netns ? ` (pods on ${podCIDR}, node ${nodeName})` : ` (${detected.reason})`}\n\n`,
  );

  const sides: Side[] = [];
  try {
    for (const [i, mode] of modes.entries()) {
      const stateDir = await mkdtemp(join(tmpdir(), `flotilla-bench-${mode}-`));
      const t0 = performance.now();
      const runtime = new ProcessRuntime({ stateDir, networkMode: detected.mode, privileged: netns, memoryCgroupRoot: false, shim: mode });
      const constructMs = performance.now() - t0;
      if (runtime.shimMode !== mode) process.stderr.write(`asked for ${mode} shims, got ${runtime.shimMode} (the bundle could not be built)\n`);
      const containers: Container[] = Array.from({ length: count }, (_, n) => ({ name: `c${n}`, command: ['sleep', '3600'] }));
      const uid = `fltb-${runId}-${mode}`;
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: uid, namespace: 'default', uid, creationTimestamp: new Date().toISOString() },
        spec: { nodeName, containers },
      };
      const side: Side = { mode, stateDir, runtime, constructMs, pod, handles: [], startMs: [], stopMs: [], rssKb: [], anonKb: [] };
      sides.push(side);
      await runtime.createSandbox(pod, { podIP: `${base}.${10 + i}`, node: { name: nodeName, podCIDR } });
    }

    for (let n = 0; n < count; n++) {
      // Alternate which mode goes first, so neither always follows the other's start.
      const order = n % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const container = side.pod.spec.containers[n];
        if (!container) continue;
        const t0 = performance.now();
        side.handles.push(await side.runtime.startContainer(side.pod, container, 'app', new AbortController().signal));
        side.startMs.push(performance.now() - t0);
      }
    }

    // Let the shims settle (tsx's lazy work, GC) before reading their memory.
    await new Promise((done) => setTimeout(done, 2_000));
    for (const side of sides) {
      for (let n = 0; n < count; n++) {
        const state = JSON.parse(await readFile(join(side.stateDir, 'pods', side.pod.metadata.uid, 'containers', `c${n}`, '0', 'state.json'), 'utf8')) as { shimPid: number };
        const kb = await statusKb(state.shimPid);
        if (kb) {
          side.rssKb.push(kb.rss);
          side.anonKb.push(kb.anon);
        }
      }
    }

    for (let n = 0; n < count; n++) {
      const order = n % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const handle = side.handles[n];
        if (!handle) continue;
        const t0 = performance.now();
        await handle.stop(10_000);
        await handle.exited;
        side.stopMs.push(performance.now() - t0);
      }
    }

    const rows = sides.map((side) => ({
      mode: side.runtime.shimMode,
      construct: `${side.constructMs.toFixed(0)} ms`,
      startMedian: median(side.startMs),
      startP90: quantile(side.startMs, 0.9),
      rss: median(side.rssKb) / 1024,
      anon: median(side.anonKb) / 1024,
      stop: median(side.stopMs),
    }));
    for (const side of sides.filter((s) => s.runtime.shimMode === 'bundled')) {
      const dir = join(side.stateDir, 'shim');
      for (const name of (await readdir(dir)).filter((f) => f.endsWith('.mjs'))) {
        process.stdout.write(`bundle: ${name}, ${(await stat(join(dir, name))).size} bytes\n`);
      }
    }
    process.stdout.write('| shim | runtime constructed in | start median ms | start p90 ms | shim VmRSS median MB | shim RssAnon median MB | stop median ms |\n');
    process.stdout.write('|---|---:|---:|---:|---:|---:|---:|\n');
    for (const row of rows) {
      process.stdout.write(
        `| ${row.mode} | ${row.construct} | ${row.startMedian.toFixed(0)} | ${row.startP90.toFixed(0)} | ${row.rss.toFixed(1)} | ${row.anon.toFixed(1)} | ${row.stop.toFixed(0)} |\n`,
      );
    }
    process.stdout.write(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  } finally {
    for (const side of sides) {
      await side.runtime.removeSandbox(side.pod).catch((error: unknown) => process.stderr.write(`cleanup of ${side.pod.metadata.uid} failed: ${String(error)}\n`));
      side.runtime.close();
      await rm(side.stateDir, { recursive: true, force: true });
    }
    if (netns) await runHostCommand(['ip', 'link', 'del', bridgeName(nodeName)]).catch(() => undefined);
  }
}
