// Seeded randomness for simulations: the same seed gives the same numbers on every machine.

/** mulberry32: a small, fast 32-bit generator; good enough for jitter and synthetic workloads. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `base` varied by up to ±jitter (a fraction), never below 0, in whole milliseconds. */
export function jittered(random: () => number, base: number, jitter: number): number {
  if (jitter <= 0 || base <= 0) return Math.max(0, Math.round(base));
  return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
}
