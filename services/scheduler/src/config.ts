// The scheduler's settings: flags, and the profiles file given with --config.
//
// The profiles file is YAML or JSON, a KubeSchedulerConfiguration reduced to what Flotilla runs:
//
//   percentageOfNodesToScore: 0          # optional default for every profile (0: adaptive)
//   profiles:                            # one or more; a pod picks one by spec.schedulerName
//     - schedulerName: default-scheduler
//       percentageOfNodesToScore: 50     # optional, 0-100
//       plugins:
//         filter: [NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit]
//         score:
//           - { name: TaintToleration, weight: 3 }
//           - { name: NodeResourcesFit, weight: 1 }
//         # optional lists, in the order they run: preFilter, postFilter, preScore, reserve,
//         # permit, preBind, bind, postBind (preFilter/preScore default to the listed plugins that have one)
//       pluginConfig:
//         - name: NodeResourcesFit
//           args: { scoringStrategy: { type: MostAllocated } }
//
// The scheduler only takes pods whose spec.schedulerName names one of its profiles. A file that does
// not parse or validate stops the scheduler (exit 1) with one line per problem, named by its path.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { FieldError } from '@flotilla/model';
import {
  DEFAULT_PROFILE,
  FrameworkConfigError,
  ProfileValidationError,
  createFramework,
  parseSchedulerConfiguration,
  type Profile,
} from '@flotilla/scheduling';
import { ConfigError, intSetting, natsServers } from '@flotilla/service-kit';
import { DEFAULT_BINDS_IN_FLIGHT } from './scheduler-loop.ts';

export interface SchedulerConfig {
  nats: string;
  /** Replica name: the event source and the logs' `replica` field. */
  name: string;
  profiles: Profile[];
  /** Where the profiles came from (for the start-up log). */
  configFile?: string;
  /** 0: no /metrics endpoint. */
  metricsPort: number;
  metricsHost: string;
  /** Bindings appended and not yet acknowledged, at most (the asynchronous binding window). */
  bindsInFlight: number;
}

const KNOWN_FLAGS = new Set(['nats', 'name', 'config', 'metrics-port', 'metrics-host', 'binds-in-flight']);

/** A profiles file that cannot be used; `errors` name each problem by its path in the file. */
export class SchedulerConfigFileError extends ConfigError {
  constructor(
    readonly file: string,
    readonly errors: readonly FieldError[],
  ) {
    super(`invalid scheduler configuration ${file}:\n${errors.map((e) => `  ${e.path || '(root)'}: ${e.message}`).join('\n')}`);
    this.name = 'SchedulerConfigFileError';
  }
}

export function parseSchedulerConfig(flags: Map<string, string>, env: NodeJS.ProcessEnv = process.env, read: (file: string) => string = readText): SchedulerConfig {
  for (const flag of flags.keys()) if (!KNOWN_FLAGS.has(flag)) throw new ConfigError(`unknown flag --${flag} (known: ${[...KNOWN_FLAGS].map((f) => `--${f}`).join(', ')})`);
  const configFile = flags.get('config') ?? env['FLOTILLA_SCHEDULER_CONFIG'];
  const profiles = configFile === undefined || configFile === '' ? [DEFAULT_PROFILE] : loadProfiles(configFile, read);
  return {
    nats: natsServers(flags),
    name: flags.get('name') ?? env['FLOTILLA_SCHEDULER_NAME'] ?? 'scheduler',
    profiles,
    ...(configFile ? { configFile } : {}),
    metricsPort: intSetting('--metrics-port / FLOTILLA_SCHEDULER_METRICS_PORT', flags.get('metrics-port') ?? env['FLOTILLA_SCHEDULER_METRICS_PORT'], 0),
    metricsHost: flags.get('metrics-host') ?? env['FLOTILLA_SCHEDULER_METRICS_HOST'] ?? '127.0.0.1',
    bindsInFlight: intSetting('--binds-in-flight / FLOTILLA_SCHEDULER_BINDS_IN_FLIGHT', flags.get('binds-in-flight') ?? env['FLOTILLA_SCHEDULER_BINDS_IN_FLIGHT'], DEFAULT_BINDS_IN_FLIGHT, 1),
  };
}

function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

/** Reads, parses (YAML or JSON) and validates a profiles file, plugins and their arguments included. */
export function loadProfiles(file: string, read: (file: string) => string = readText): Profile[] {
  let text: string;
  try {
    text = read(file);
  } catch (error) {
    throw new ConfigError(`cannot read scheduler configuration ${file}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    // YAML 1.2 is a superset of JSON: one parser for both.
    document = parseYaml(text);
  } catch (error) {
    throw new SchedulerConfigFileError(file, [{ path: '', message: `not valid YAML or JSON: ${(error as Error).message}` }]);
  }
  let profiles: Profile[];
  try {
    profiles = parseSchedulerConfiguration(document);
  } catch (error) {
    if (error instanceof ProfileValidationError) throw new SchedulerConfigFileError(file, error.errors);
    throw error;
  }
  // Plugin names, placements and arguments are checked by building each profile's framework once.
  const errors: FieldError[] = [];
  profiles.forEach((profile, index) => {
    try {
      createFramework(profile);
    } catch (error) {
      if (!(error instanceof FrameworkConfigError)) throw error;
      for (const e of error.errors) errors.push({ path: `profiles[${index}]${e.path ? `.${e.path}` : ''}`, message: e.message });
    }
  });
  if (errors.length > 0) throw new SchedulerConfigFileError(file, errors);
  return profiles;
}
