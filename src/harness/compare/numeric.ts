/**
 * `numeric`: numbers, percentages (as fractions: 85% is 0.85) and integers within a tolerance,
 * `|actual − expected| ≤ abs + rel·|expected|` as numpy's `isclose`; no tolerance means equal.
 */
import type { Property } from '../../kinds/kind.js';
import { kindOf } from '../../kinds/registry.js';
import type { Comparison } from '../types.js';
import { baseOf, short, type LeafPair } from './context.js';
import { readTextPair } from './text-value.js';

/**
 * True when `actual` is close to `expected`: equal (infinities included), both NaN, or within
 * `abs + rel·|expected|`. Like `numpy.isclose(actual, expected, rtol=rel, atol=abs, equal_nan=True)`,
 * except that a non-zero allowance gets a rounding slack of 4 ULPs, so that decimal boundaries
 * are inclusive (86% is within abs 0.01 of 85%). No allowance means equal.
 */
export function isClose(actual: number, expected: number, abs: number, rel: number): boolean {
  if (actual === expected) return true;
  if (Number.isNaN(actual) || Number.isNaN(expected)) return Number.isNaN(actual) && Number.isNaN(expected);
  if (!Number.isFinite(actual) || !Number.isFinite(expected)) return false;
  return withinAllowance(
    Math.abs(actual - expected),
    abs + rel * Math.abs(expected),
    Math.max(Math.abs(actual), Math.abs(expected)),
  );
}

/**
 * True when a finite difference is within a non-zero allowance. Values written in decimal sit on
 * the boundary in decimal but not in binary (0.86 − 0.85 is 0.010000000000000009): a slack of a
 * few units in the last place of the magnitudes involved keeps boundaries inclusive.
 */
export function withinAllowance(diff: number, allowed: number, magnitude: number): boolean {
  if (allowed === 0) return diff === 0;
  return diff <= allowed + 4 * Number.EPSILON * Math.max(magnitude, allowed);
}

/** Compares two numeric values within the pair's `abs` and `rel` (both default 0). */
export async function compareNumeric(pair: LeafPair): Promise<Comparison> {
  const read = await readTextPair(pair, 'numeric');
  if (!('e' in read)) return read;
  const { e, a } = read;
  const ev = e.value as number;
  const av = a.value as number;
  const abs = pair.tolerance.abs ?? 0;
  const rel = pair.tolerance.rel ?? 0;
  const passed = isClose(av, ev, abs, rel);
  const absDiff = Math.abs(av - ev);
  const out: Comparison = {
    ...baseOf(pair.property, pair.path, 'numeric', pair.tolerance),
    passed,
    expected: short(e.text),
    actual: short(a.text),
    metrics: {
      absDiff,
      relDiff: ev === 0 ? (absDiff === 0 ? 0 : null) : absDiff / Math.abs(ev),
      allowed: abs + rel * Math.abs(ev),
      ...(isFraction(pair.property) ? { unit: 'fraction' } : {}),
    },
  };
  if (!passed) {
    out.message = `|actual − expected| = ${absDiff} exceeds abs + rel·|expected| = ${abs + rel * Math.abs(ev)}`;
  }
  return out;
}

/** True when the property's numbers are fractions (a percentage: 85 % is 0.85). */
function isFraction(p: Property): boolean {
  const model = kindOf(p.kind).model(p);
  return model.type === 'number' && model.unit === 'fraction';
}
