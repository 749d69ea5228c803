/** Synthetic numbers: the `synth` of the kinds holding numbers (integer, number, percentage). */
import type { Property, Rand, ValueKeywords } from './kind.js';
import { synthUnsupported } from './synth-support.js';
import { checkNumberKeywords } from './value.js';

/**
 * A number satisfying minimum/maximum (inclusive and exclusive) and multipleOf: a random multiple in
 * range, else the bounds and midpoint, each checked with the kinds' own keyword check.
 */
export function synthNumber(
  p: Property,
  k: ValueKeywords,
  rand: Rand,
  integer: boolean,
  defaults: [number, number],
): number {
  let lo = Math.max(k.minimum ?? -Infinity, k.exclusiveMinimum ?? -Infinity);
  let hi = Math.min(k.maximum ?? Infinity, k.exclusiveMaximum ?? Infinity);
  if (!Number.isFinite(lo) && !Number.isFinite(hi)) [lo, hi] = defaults;
  else if (!Number.isFinite(lo)) lo = hi - (defaults[1] - defaults[0]);
  else if (!Number.isFinite(hi)) hi = lo + (defaults[1] - defaults[0]);
  const candidates: number[] = [];
  const step = k.multipleOf ?? (integer ? 1 : undefined);
  if (step !== undefined && step > 0) {
    const first = Math.ceil(lo / step);
    const last = Math.floor(hi / step);
    if (last >= first) {
      const pick = first + Math.floor(rand() * (last - first + 1));
      for (const n of [pick, first, last, first + 1, last - 1]) {
        // Round away binary noise (0.1 × 3) without leaving the multiple.
        candidates.push(Number((n * step).toPrecision(12)));
      }
    }
  } else {
    const x = lo + rand() * (hi - lo);
    candidates.push(Math.round(x * 100) / 100, x, (lo + hi) / 2);
  }
  for (const c of candidates) {
    if (integer && !Number.isSafeInteger(c)) continue;
    if (!checkNumberKeywords(c, k)) return Object.is(c, -0) ? 0 : c;
  }
  throw synthUnsupported(p, `No ${integer ? 'integer' : 'number'} satisfies the keywords of ${p.path}`);
}
