import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE } from '@flotilla/scheduling';
import { ConfigError } from '@flotilla/service-kit';
import { SchedulerConfigFileError, loadProfiles, parseSchedulerConfig } from './config.ts';

const files: Record<string, string> = {
  'two.yaml': [
    'percentageOfNodesToScore: 30',
    'profiles:',
    '  - schedulerName: default-scheduler',
    '    plugins:',
    '      filter: [NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit]',
    '      score: [{ name: NodeResourcesFit, weight: 1 }]',
    '  - schedulerName: packer',
    '    percentageOfNodesToScore: 100',
    '    plugins:',
    '      filter: [NodeResourcesFit]',
    '      score: [{ name: NodeResourcesFit }]',
    '    pluginConfig:',
    '      - name: NodeResourcesFit',
    '        args: { scoringStrategy: { type: MostAllocated } }',
  ].join('\n'),
  'one.json': JSON.stringify({ profiles: [{ schedulerName: 'json-scheduler', plugins: { filter: ['NodeName'], score: [] } }] }),
  'bad.yaml': [
    'profiles:',
    '  - schedulerName: a',
    '    percentageOfNodesToScore: 150',
    '    plugins:',
    '      filter: [NodeName]',
    '      score: [{ name: NodeResourcesFit, weight: 0 }]',
    '    extra: true',
    '  - schedulerName: a',
    '    plugins: { filter: [], score: [] }',
  ].join('\n'),
  'bad-plugins.yaml': [
    'profiles:',
    '  - schedulerName: ok',
    '    plugins: { filter: [NodeName], score: [] }',
    '  - schedulerName: typo',
    '    plugins: { filter: [NodeNme], score: [{ name: NodePorts }] }',
  ].join('\n'),
  'broken.yaml': 'profiles: [\n  - oops',
};

const read = (file: string): string => {
  const text = files[file];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${file}'`);
  return text;
};

function problems(file: string): string[] {
  try {
    loadProfiles(file, read);
  } catch (error) {
    if (error instanceof SchedulerConfigFileError) return error.errors.map((e) => `${e.path}: ${e.message}`);
    throw error;
  }
  throw new Error('expected the file to be refused');
}

describe('scheduler configuration', () => {
  it('runs the default profile without --config', () => {
    const config = parseSchedulerConfig(new Map(), {});
    expect(config.profiles).toEqual([DEFAULT_PROFILE]);
    expect(config).toMatchObject({ name: 'scheduler', metricsPort: 0, metricsHost: '127.0.0.1', bindsInFlight: 256 });
  });

  it('takes the binding window from --binds-in-flight or the environment, at least 1', () => {
    expect(parseSchedulerConfig(new Map([['binds-in-flight', '16']]), {}).bindsInFlight).toBe(16);
    expect(parseSchedulerConfig(new Map(), { FLOTILLA_SCHEDULER_BINDS_IN_FLIGHT: '1' }).bindsInFlight).toBe(1);
    expect(() => parseSchedulerConfig(new Map([['binds-in-flight', '0']]), {})).toThrow(/--binds-in-flight/);
  });

  it('reads profiles from YAML, with the file-wide percentageOfNodesToScore as their default', () => {
    const config = parseSchedulerConfig(new Map([['config', 'two.yaml'], ['name', 'scheduler-2'], ['metrics-port', '9464']]), {}, read);
    expect(config.profiles.map((p) => [p.schedulerName, p.percentageOfNodesToScore])).toEqual([
      ['default-scheduler', 30],
      ['packer', 100],
    ]);
    expect(config).toMatchObject({ name: 'scheduler-2', metricsPort: 9464, configFile: 'two.yaml' });
  });

  it('reads JSON too', () => {
    expect(loadProfiles('one.json', read).map((p) => p.schedulerName)).toEqual(['json-scheduler']);
  });

  it('names every problem of a file that does not validate by its path', () => {
    expect(problems('bad.yaml')).toEqual([
      'profiles[0].percentageOfNodesToScore: Too big: expected number to be <=100',
      'profiles[0].plugins.score[0].weight: Too small: expected number to be >=1',
      'profiles[0]: Unrecognized key: "extra"',
      'profiles[1].schedulerName: duplicate schedulerName "a"',
    ]);
  });

  it('checks plugin names and placements of each profile', () => {
    expect(problems('bad-plugins.yaml')).toEqual([
      'profiles[1].plugins.filter[0]: unknown plugin "NodeNme"',
      'profiles[1].plugins.score[0].name: plugin "NodePorts" does not implement Score',
    ]);
  });

  it('refuses a file that is not YAML or JSON, and one that cannot be read', () => {
    expect(problems('broken.yaml')[0]).toMatch(/^: not valid YAML or JSON: /);
    expect(() => loadProfiles('missing.yaml', read)).toThrow(/cannot read scheduler configuration missing.yaml: ENOENT/);
    const error = (() => {
      try {
        loadProfiles('bad.yaml', read);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('invalid scheduler configuration bad.yaml:\n  profiles[0].percentageOfNodesToScore: Too big');
  });

  it('refuses unknown flags and bad ports', () => {
    expect(() => parseSchedulerConfig(new Map([['metrics', '1']]), {})).toThrow(/unknown flag --metrics/);
    expect(() => parseSchedulerConfig(new Map([['metrics-port', 'x']]), {})).toThrow(/--metrics-port/);
  });
});
