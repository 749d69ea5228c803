/**
 * mulberry32: a small, fast seeded PRNG, so that synthetic data is the same bytes on every run.
 * One generator for berth and its tests (test/support/prng.ts re-exports {@link mulberry32}).
 */

/** mulberry32 from a 32-bit state: numbers in [0, 1). */
export function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** mulberry32 seeded from any string or number (the FNV-1a hash of its text). */
export function prng(seed: string | number): () => number {
  let h = 2166136261;
  for (const ch of String(seed)) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return mulberry32(h >>> 0);
}
