import { cpuToMillis, formatBytes, formatMillis, parseQuantity, quantityToUnits } from '@flotilla/model';

// Quantities printed the way resource.Quantity.String() does for the usual inputs: CPU as "100m" or
// "2", binary-suffixed sizes stay binary ("1536Mi"), plain and decimal ones use SI suffixes ("1G").

const DECIMAL = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

export function formatDecimal(units: number): string {
  if (units === 0) return '0';
  let value = units;
  let exponent = 0;
  while (value % 1000 === 0 && exponent < DECIMAL.length - 1) {
    value /= 1000;
    exponent++;
  }
  return `${value}${DECIMAL[exponent]}`;
}

/** A byte count: binary suffix when it divides evenly, else decimal. */
export function formatMemory(bytes: number): string {
  if (bytes !== 0 && bytes % 1024 === 0) return formatBytes(bytes);
  return formatDecimal(bytes);
}

/** One resource quantity of a manifest, canonicalised for display; the input itself if it does not parse. */
export function formatQuantity(resource: string, quantity: string | number): string {
  if (parseQuantity(quantity) === undefined) return String(quantity);
  if (resource === 'cpu') return formatMillis(cpuToMillis(quantity));
  const units = quantityToUnits(quantity);
  if (typeof quantity === 'string' && /[KMGTPE]i$/.test(quantity)) return formatBytes(units);
  if (!Number.isInteger(Number(parseQuantity(quantity)))) return String(quantity);
  return formatDecimal(units);
}

/** A counted amount (millicores for cpu, bytes or units otherwise) for display. */
export function formatAmount(resource: string, amount: number): string {
  if (resource === 'cpu') return formatMillis(amount);
  if (resource === 'memory' || resource === 'ephemeral-storage' || resource.startsWith('hugepages-')) return formatMemory(amount);
  return formatDecimal(amount);
}
