// `apply` of a pod that exists: Flotilla has no updates, so it is "unchanged" only when every field
// the manifest gives equals what is stored (fields the server defaulted and the manifest left out do
// not count).

export interface FieldDifference {
  path: string;
  given: unknown;
  stored: unknown;
}

/** Where `given` differs from `stored`, looking only at what `given` sets. */
export function givenFieldDifferences(given: unknown, stored: unknown, path: string): FieldDifference[] {
  const out: FieldDifference[] = [];
  walk(given, stored, path, out);
  return out;
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function walk(given: unknown, stored: unknown, path: string, out: FieldDifference[]): void {
  if (given === undefined || given === null) return;
  if (stored === undefined || stored === null) {
    if (!isEmpty(given)) out.push({ path, given, stored });
    return;
  }
  if (Array.isArray(given)) {
    if (!Array.isArray(stored) || stored.length !== given.length) {
      out.push({ path, given, stored });
      return;
    }
    given.forEach((item, i) => walk(item, stored[i], `${path}[${i}]`, out));
    return;
  }
  if (typeof given === 'object') {
    if (typeof stored !== 'object' || Array.isArray(stored)) {
      out.push({ path, given, stored });
      return;
    }
    for (const [key, value] of Object.entries(given as Record<string, unknown>)) {
      walk(value, (stored as Record<string, unknown>)[key], path ? `${path}.${key}` : key, out);
    }
    return;
  }
  // Numbers and strings compare by text, so `cpu: 1` matches a stored "1".
  if (given !== stored && String(given) !== String(stored)) out.push({ path, given, stored });
}
