import { stringify } from 'yaml';

// -o json | yaml | name, as kubectl prints them: JSON indented by 4, YAML 1.1 quoting with sorted keys and
// unindented sequences (sigs.k8s.io/yaml), several objects wrapped in a v1 List.

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

export function parseOutputFormat(value: string | undefined): OutputFormat | undefined {
  if (value === undefined || value === '') return 'table';
  if (value === 'wide' || value === 'json' || value === 'yaml' || value === 'name') return value;
  return undefined;
}

export function asList(items: readonly unknown[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 4)}\n`;
}

export function toYaml(value: unknown): string {
  return stringify(value, { indentSeq: false, sortMapEntries: true, lineWidth: 0, version: '1.1' });
}

/** `-o json|yaml` of one object (single name asked for) or of several (a List). */
export function printObjects(format: 'json' | 'yaml', objects: readonly unknown[], single: boolean): string {
  const value = single && objects.length === 1 ? objects[0] : asList(objects);
  return format === 'json' ? toJson(value) : toYaml(value);
}

/** `-o name`: `pod/web`. */
export function printNames(kind: string, names: readonly string[]): string {
  return names.map((name) => `${kind}/${name}\n`).join('');
}
