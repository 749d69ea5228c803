/** `exact`: strings, enums, booleans, integers and date-times (as instants) must be equal. */
import type { Comparison } from '../types.js';
import { baseOf, short, type LeafPair } from './context.js';
import { readTextPair } from './text-value.js';

/** Two decoded primitive values are the same (numbers: NaN equals NaN, -0 equals 0). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  return a === b;
}

/**
 * Compares two primitive values exactly. Strings compare byte for byte (a trailing newline
 * counts); other kinds compare their decoded values, so `1.50` equals `1.5` and date-times compare
 * the instants they name (`03:40Z` equals `05:40+02:00`; the metrics say `comparedAs: instant`).
 */
export async function compareExact(pair: LeafPair): Promise<Comparison> {
  const read = await readTextPair(pair, 'exact');
  if (!('e' in read)) return read;
  const { e, a } = read;
  const passed = sameValue(e.value, a.value);
  const out: Comparison = {
    ...baseOf(pair.property, pair.path, 'exact', pair.tolerance),
    passed,
    expected: short(e.text),
    actual: short(a.text),
  };
  if (e.value instanceof Date && a.value instanceof Date) {
    out.metrics = {
      comparedAs: 'instant',
      expectedInstant: e.value.toISOString(),
      actualInstant: a.value.toISOString(),
    };
  }
  if (!passed) {
    out.message =
      e.value instanceof Date
        ? `The date-times name different instants (compared as instants, whatever their offsets)`
        : `The values differ`;
  }
  return out;
}
