/**
 * Which comparison method a property gets: its kind's default, or the one its tolerance forces
 * when that method can compare the kind (each kind's `comparison` facet says which it takes).
 */
import { KINDS, kindOf } from '../../kinds/registry.js';
import type { Property } from '../../kinds/property.js';
import type { CompareMethod, Tolerance } from '../types.js';

export { IMAGE_MIME_TYPES } from '../../kinds/file.js';

/** True for kinds whose entry is a directory walked member by member or item by item. */
export function isContainer(p: Property): boolean {
  return kindOf(p.kind).storage.form === 'container';
}

/**
 * The default method of a kind (its `comparison` facet): `exact` for strings, enums, booleans,
 * date-times and integers (`numeric` for an integer whose tolerance sets `abs` or `rel`); `numeric`
 * for numbers and percentages; `image` for PNG/JPEG files, `hash` for other files; `allclose` for
 * ndarrays (`dice` when the tolerance sets `dice`, as for image files); `dicom` for the DICOM kinds;
 * undefined for containers, which are walked.
 */
export function defaultMethod(p: Property, t: Tolerance): CompareMethod | undefined {
  return kindOf(p.kind).comparison.defaultMethod(p, t);
}

/** The method for a property, or why the forced one cannot compare its kind. */
export function methodFor(
  p: Property,
  t: Tolerance,
): { ok: true; method: CompareMethod | undefined } | { ok: false; problem: string } {
  if (t.method === undefined) return { ok: true, method: defaultMethod(p, t) };
  const forced = t.method;
  if (!kindOf(p.kind).comparison.accepts.includes(forced)) {
    const takers = KINDS.filter((k) => k.comparison.accepts.includes(forced)).map((k) => k.name);
    return {
      ok: false,
      problem: `method ${forced} cannot compare a ${p.kind}; it compares ${takers.join(', ')}`,
    };
  }
  return { ok: true, method: forced };
}
