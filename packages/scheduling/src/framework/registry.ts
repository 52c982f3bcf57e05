import type { AnyPlugin, FrameworkHandle } from './types.ts';

/**
 * Builds one plugin instance for one profile. `args` is the profile's pluginConfig entry for this
 * plugin (undefined when there is none); factories validate it (zod) and throw on bad input.
 */
export type PluginFactory = (args: unknown, handle: FrameworkHandle) => AnyPlugin;

/** Plugin name -> factory, as kube-scheduler's runtime.Registry. */
export type Registry = ReadonlyMap<string, PluginFactory>;

export class DuplicatePluginError extends Error {
  constructor(readonly pluginName: string) {
    super(`plugin ${JSON.stringify(pluginName)} is registered twice`);
    this.name = 'DuplicatePluginError';
  }
}

/** A registry from several sources (in-tree plus out-of-tree); a name registered twice is an error. */
export function mergeRegistries(...registries: Registry[]): Registry {
  const merged = new Map<string, PluginFactory>();
  for (const registry of registries) {
    for (const [name, factory] of registry) {
      if (merged.has(name)) throw new DuplicatePluginError(name);
      merged.set(name, factory);
    }
  }
  return merged;
}
