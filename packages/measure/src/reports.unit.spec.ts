import { describe, expect, it } from 'vitest';
import { latencyStats } from './latency.ts';
import { limitRatio } from './limit.ts';
import { renderHtmlReport } from './report-html.ts';
import { renderJsonReport } from './report-json.ts';
import { renderTerminalReport } from './report-terminal.ts';
import { histogram } from './run-recorder.ts';
import type { JetStreamLimit, ReportMeta, RunSummary } from './types.ts';

const limit: JetStreamLimit = { eventBytes: 900, appendsPerSecond: 20_000, ackP50Ms: 2, ackP99Ms: 9, inFlight: 1000, count: 20_000 };

function summary(): RunSummary {
  const scheduling = [5, 8, 12, 40, 300];
  const startup = [100, 150, 220];
  return {
    startedAt: '2026-03-01T12:00:00.000Z',
    endedAt: '2026-03-01T12:00:04.000Z',
    durationMs: 4000,
    pods: { created: 10_000, bound: 9_990, running: 9_000, pending: 10 },
    throughput: {
      podsBoundPerSecond: 2_500,
      peakPerSecond: 3_100,
      perSecond: [
        { second: 0, created: 3_000, bound: 2_000, running: 500, events: 9_000 },
        { second: 1, created: 3_000, bound: 3_100, running: 2_500, events: 12_000 },
        { second: 2, created: 4_000, bound: 3_000, running: 3_000, events: 13_000 },
        { second: 3, created: 0, bound: 1_890, running: 3_000, events: 8_000 },
      ],
    },
    schedulingLatency: latencyStats(scheduling),
    startupLatency: latencyStats(startup),
    events: { total: 42_000, perSecond: 10_500, byType: { PodCreated: 10_000, PodBound: 10_000, ContainerStarted: 9_000 } },
    bindings: { accepted: 9_990, rejected: 3, duplicates: 2, schedulingFailures: 12 },
    nodes: {
      count: 3,
      cpuUtilisation: { min: 0.1, mean: 0.5, max: 0.9 },
      perNode: [
        { name: 'node-1', pods: 3, cpu: 0.1 },
        { name: 'node-2', pods: 30, cpu: 0.5 },
        { name: 'node-<3>&"x"', pods: 50, cpu: 0.9 },
      ],
    },
    distributions: { scheduling: histogram(scheduling), startup: histogram(startup) },
  };
}

function meta(extra: Partial<ReportMeta> = {}): ReportMeta {
  return {
    workload: 'SchedulingBasic',
    machine: { cores: 2, cpuModel: 'Test CPU @ 2.0GHz', memoryGiB: 7.8, node: 'v20.19.0', natsServer: '2.10.24' },
    date: '2026-03-01T12:00:00.000Z',
    ...extra,
  };
}

describe('limitRatio', () => {
  it('divides pods/s by the appends/s left per pod', () => {
    // 20,000 appends/s ÷ 4 events per pod = 5,000 pods/s; 2,500 of that is 0.5.
    expect(limitRatio(summary(), limit, 4)).toBe(0.5);
  });

  it('is 0 when the limit is unknown', () => {
    expect(limitRatio(summary(), { ...limit, appendsPerSecond: 0 }, 4)).toBe(0);
    expect(limitRatio(summary(), limit, 0)).toBe(0);
  });
});

describe('renderTerminalReport', () => {
  it('leads with pods/s against the JetStream limit', () => {
    const text = renderTerminalReport(summary(), meta({ limit, eventsPerPodOnCriticalPath: 4 }));
    expect(text).toContain('2,500 pods/s bound (0.50 of the JetStream limit: 20,000 appends/s ÷ 4 events per pod)');
  });

  it('prints the bare rate without a limit', () => {
    const text = renderTerminalReport(summary(), meta());
    expect(text).toContain('\n2,500 pods/s bound\n');
    expect(text).not.toContain('JetStream limit');
  });

  it('aligns the latency table in columns', () => {
    const lines = renderTerminalReport(summary(), meta()).split('\n');
    const header = lines.find((line) => line.startsWith('latency'));
    const scheduling = lines.find((line) => /^scheduling\s+\d/.test(line));
    const startup = lines.find((line) => /^startup\s+\d/.test(line));
    expect(header).toBeDefined();
    // Right-aligned columns end at the same place.
    expect(scheduling?.length).toBe(header?.length);
    expect(startup?.length).toBe(header?.length);
    expect(scheduling).toMatch(/scheduling\s+5\s+12 ms\s+300 ms\s+300 ms\s+300 ms\s+73 ms$/);
  });

  it('lists the targets with whether each was met', () => {
    const text = renderTerminalReport(
      summary(),
      meta({
        targets: [
          { name: 'pods/s sustained', target: '>= 2,500', reached: '2,500', met: true },
          { name: 'p99 scheduling latency', target: '<= 50 ms', reached: '300 ms', met: false },
        ],
      }),
    );
    expect(text).toMatch(/pods\/s sustained\s+>= 2,500\s+2,500\s+yes/);
    expect(text).toMatch(/p99 scheduling latency\s+<= 50 ms\s+300 ms\s+NO/);
  });
});

describe('renderJsonReport', () => {
  it('holds the summary, the meta and the ratio', () => {
    const parsed = JSON.parse(renderJsonReport(summary(), meta({ limit, eventsPerPodOnCriticalPath: 4 })));
    expect(parsed.limitRatio).toBe(0.5);
    expect(parsed.meta.limit).toEqual(limit);
    expect(parsed.summary.pods).toEqual({ created: 10_000, bound: 9_990, running: 9_000, pending: 10 });
    expect(parsed.summary.schedulingLatency.p99).toBe(300);
  });

  it('writes keys in the same order whatever order the objects were built in', () => {
    const original = summary();
    const shuffled = Object.fromEntries(Object.entries(original).reverse()) as unknown as RunSummary;
    shuffled.events = { byType: { ContainerStarted: 9_000, PodBound: 10_000, PodCreated: 10_000 }, perSecond: 10_500, total: 42_000 };
    expect(renderJsonReport(shuffled, meta())).toBe(renderJsonReport(original, meta()));
    const keys = Object.keys(JSON.parse(renderJsonReport(original, meta())).summary);
    expect(keys.slice(0, 4)).toEqual(['startedAt', 'endedAt', 'durationMs', 'pods']);
  });
});

describe('renderHtmlReport', () => {
  const html = renderHtmlReport(summary(), meta({ workload: 'Basic <script>alert(1)</script>', limit, eventsPerPodOnCriticalPath: 4 }));

  it('is one self-contained document without scripts or external assets', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|href=/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('escapes names', () => {
    expect(html).toContain('Basic &#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('node-&#60;3&#62;&#38;&#34;x&#34;: 50 pods, cpu 90%');
    expect(html).not.toContain('node-<3>');
  });

  it('draws the throughput chart: one bar per second and the created line', () => {
    const chart = /<svg class="chart throughput"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(chart.match(/<rect class="bar-bound"/g)).toHaveLength(4);
    expect(chart).toContain('<title>second 1: 3100 bound, 3000 created, 2500 running, 12000 events</title>');
    expect(chart).toContain('<polyline class="line-created"');
  });

  it('draws both latency distributions with p50/p90/p99 marks', () => {
    for (const name of ['scheduling', 'startup']) {
      const chart = new RegExp(`<svg class="chart latency latency-${name}"[\\s\\S]*?</svg>`).exec(html)?.[0] ?? '';
      expect(chart).toContain('<rect class="bar-latency"');
      for (const mark of ['p50', 'p90', 'p99']) expect(chart).toContain(`class="mark mark-${mark}"`);
    }
    expect(html).toContain('p99 300 ms');
  });

  it('draws a heat map cell per node with a hover title', () => {
    const chart = /<svg class="chart heatmap"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(chart.match(/<rect class="node"/g)).toHaveLength(3);
    expect(chart).toContain('<title>node-1: 3 pods, cpu 10%</title>');
  });

  it('carries the headline', () => {
    expect(html).toContain('2,500 pods/s bound (0.50 of the JetStream limit: 20,000 appends/s ÷ 4 events per pod)');
  });
});
