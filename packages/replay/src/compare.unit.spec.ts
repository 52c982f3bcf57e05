import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE } from '@flotilla/scheduling';
import type { Profile } from '@flotilla/scheduling';
import { ReplayComparisonError, compareReplays, formatFigure, renderReplayComparison } from './compare.ts';
import { generateTrace } from './generate.ts';
import { replayTrace } from './replay.ts';

const MOST_ALLOCATED: Profile = {
  ...DEFAULT_PROFILE,
  pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] } } }],
};

const trace = generateTrace({ nodes: [{ count: 4, cpu: '4', memory: '16Gi' }], zones: 2, pods: [{ count: 8, namePrefix: 'web', cpu: '1', memory: '1Gi' }, { count: 1, namePrefix: 'huge', cpu: '8', memory: '1Gi' }] });
const least = replayTrace(trace, { profile: DEFAULT_PROFILE, name: 'default' });
const most = replayTrace(trace, { profile: MOST_ALLOCATED, name: 'most-allocated' });

describe('compareReplays', () => {
  it('puts the profiles side by side, figure by figure', () => {
    const comparison = compareReplays([least, most]);
    expect(comparison.profiles).toEqual(['default', 'most-allocated']);
    const value = (metric: string) => comparison.rows.find((row) => row.metric === metric)?.values;
    expect(value('nodes used')).toEqual([4, 2]);
    expect(value('pending')).toEqual([1, 1]);
    expect(value('NodeResourcesFit: Insufficient cpu')).toEqual([1, 1]);
    expect(value('pods in zone zone-a')).toEqual([least.placement.spread.perZone['zone-a'], most.placement.spread.perZone['zone-a']]);
    // No CPU clock given: no CPU figures.
    expect(value('scheduling CPU')).toEqual([null, null]);
  });

  it('renders an aligned table, Markdown and JSON', () => {
    const comparison = compareReplays([least, most]);
    const table = renderReplayComparison(comparison).split('\n');
    expect(table[0]).toBe('trace: 4 nodes, 9 pods, over 0 ms');
    const header = table[2]!;
    expect(header.trimStart().split(/\s+/)).toEqual(['default', 'most-allocated']);
    const used = table.find((line) => line.trimStart().startsWith('nodes used'))!;
    // Values end where their column's heading ends.
    expect(used.indexOf(' 4') + 2).toBe(header.indexOf('default') + 'default'.length);
    expect(used.endsWith('2')).toBe(true);
    expect(used.length).toBe(header.length);
    expect(table).toContain('PLACEMENT WHEN THE LAST POD ARRIVED');

    const markdown = renderReplayComparison(comparison, 'markdown');
    expect(markdown).toContain('| | default | most-allocated |');
    expect(markdown).toContain('| nodes used | 4 | 2 |');

    const json = JSON.parse(renderReplayComparison(comparison, 'json')) as { profiles: string[]; results: unknown[] };
    expect(json.profiles).toEqual(['default', 'most-allocated']);
    expect(json.results).toHaveLength(2);
  });

  it('refuses nothing to compare, and replays of different traces', () => {
    expect(() => compareReplays([])).toThrow(ReplayComparisonError);
    const other = replayTrace(generateTrace({ nodes: [{ count: 1, cpu: '4', memory: '16Gi' }], pods: [] }), { profile: DEFAULT_PROFILE, name: 'other' });
    expect(() => compareReplays([least, other])).toThrow('results: other replayed another trace than default');
  });

  it('formats figures by kind', () => {
    expect(formatFigure(12_345.6, 'count')).toBe('12,346');
    expect(formatFigure(0.1234, 'percent')).toBe('12.3%');
    expect(formatFigure(12_500, 'ms')).toBe('12.5 s');
    expect(formatFigure(42.25, 'ms')).toBe('42.3 ms');
    expect(formatFigure(null, 'rate')).toBe('-');
  });
});
