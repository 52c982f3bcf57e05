// Kubernetes resource quantities: "100m", "0.5", "1", "128Mi", "1Gi", "1e3", "1k", "1M".
// Values are kept as exact integers in the unit the scheduler counts in: millicores for CPU,
// bytes (or plain units) for everything else.

const BINARY_SUFFIXES: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL_SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY_PATTERN = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** Parses a quantity into its numeric value (1 for "1", 0.1 for "100m"); undefined when malformed. */
export function parseQuantity(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? input : undefined;
  const match = QUANTITY_PATTERN.exec(input.trim() === input ? input : '');
  if (!match) return undefined;
  const [, sign, digits, suffix, exponent] = match;
  let value = Number(digits);
  if (suffix !== undefined) value *= BINARY_SUFFIXES[suffix] ?? DECIMAL_SUFFIXES[suffix] ?? NaN;
  else if (exponent !== undefined) value *= 10 ** Number(exponent);
  if (sign === '-') value = -value;
  return Number.isFinite(value) ? value : undefined;
}

export function isValidQuantity(input: string | number): boolean {
  return parseQuantity(input) !== undefined;
}

/** CPU in millicores, rounded up as Kubernetes does (0.0001 CPU counts as 1m). */
export function cpuToMillis(input: string | number): number {
  const value = parseQuantity(input);
  if (value === undefined) throw new RangeError(`invalid quantity ${JSON.stringify(input)}`);
  return Math.ceil(Math.round(value * 1e9) / 1e6);
}

/** Memory, storage, pods and other integer resources, rounded up to a whole unit. */
export function quantityToUnits(input: string | number): number {
  const value = parseQuantity(input);
  if (value === undefined) throw new RangeError(`invalid quantity ${JSON.stringify(input)}`);
  return Math.ceil(Math.round(value * 1e6) / 1e6);
}

/** Formats millicores the way kubectl does: "1500m", "2". */
export function formatMillis(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Formats a byte count with the largest binary suffix that keeps it whole: "128Mi", "1Gi". */
export function formatBytes(bytes: number): string {
  if (bytes === 0) return '0';
  for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const unit = BINARY_SUFFIXES[suffix]!;
    if (bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}
