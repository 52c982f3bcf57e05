// `--stages FILE` / FLOTILLA_STAGES: the sim runtime's stages from a YAML file (bench/stages/*.yaml).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseSimStages, SimStagesError, type SimStage } from '@flotilla/runtime';
import { ConfigError } from '@flotilla/service-kit';

/** Reads and validates a stages file; every problem becomes a ConfigError naming the setting, the file and the path. */
export function loadStages(path: string, setting = '--stages'): SimStage[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw withCause(new ConfigError(`${setting}: cannot read ${path}: ${(error as Error).message}`), error);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw withCause(new ConfigError(`${setting}: ${path} is not valid YAML: ${(error as Error).message}`), error);
  }
  try {
    return parseSimStages(raw, path);
  } catch (error) {
    if (error instanceof SimStagesError) throw withCause(new ConfigError(`${setting}: ${error.message}`), error);
    throw error;
  }
}

function withCause(error: ConfigError, cause: unknown): ConfigError {
  error.cause = cause;
  return error;
}
