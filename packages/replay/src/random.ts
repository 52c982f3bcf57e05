// Seeded randomness for simulations: the same seed gives the same numbers on every machine.
import { mulberry32 } from '@flotilla/runtime';

/** The runtime's mulberry32: a small, fast 32-bit generator; good enough for jitter and synthetic workloads. */
export function seededRandom(seed: number): () => number {
  return mulberry32(seed);
}

/** `base` varied by up to ±jitter (a fraction), never below 0, in whole milliseconds. */
export function jittered(random: () => number, base: number, jitter: number): number {
  if (jitter <= 0 || base <= 0) return Math.max(0, Math.round(base));
  return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
}
