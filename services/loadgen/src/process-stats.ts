// RSS and CPU time of the cluster's service processes, read from /proc every second.
import { readFileSync } from 'node:fs';

export interface ProcessUsage {
  pid: number;
  /** Highest resident set size seen, in bytes. */
  maxRssBytes: number;
  /** User + system CPU time at the last sample, in seconds. */
  cpuSeconds: number;
  samples: number;
}

// Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 on every mainstream build).
const CLOCK_TICKS = 100;

/** One sample of a process, or undefined when it is gone (or this is not Linux). */
export function readProcessSample(pid: number): { rssBytes: number; cpuSeconds: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKiB = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
    return { rssBytes: rssKiB * 1024, cpuSeconds: (utime + stime) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** Samples a set of named processes every `intervalMs` until stopped. */
export class ProcessSampler {
  private readonly usage = new Map<string, ProcessUsage>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly processes: () => Array<{ id: string; pid: number | undefined }>,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  sample(): void {
    for (const { id, pid } of this.processes()) {
      if (pid === undefined) continue;
      const sample = readProcessSample(pid);
      if (!sample) continue;
      const current = this.usage.get(id);
      if (current && current.pid === pid) {
        current.maxRssBytes = Math.max(current.maxRssBytes, sample.rssBytes);
        current.cpuSeconds = sample.cpuSeconds;
        current.samples += 1;
      } else {
        this.usage.set(id, { pid, maxRssBytes: sample.rssBytes, cpuSeconds: sample.cpuSeconds, samples: 1 });
      }
    }
  }

  /** Takes a last sample and stops. */
  stop(): Record<string, ProcessUsage> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return Object.fromEntries(this.usage);
  }
}
