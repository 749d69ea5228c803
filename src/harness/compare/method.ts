/**
 * Which comparison method a property gets: its kind's default, or the one its tolerance forces
 * when that method can compare the kind.
 */
import type { KindName, Property } from '../../kinds/property.js';
import type { CompareMethod, Tolerance } from '../types.js';

/** Media types compared by decoded pixels rather than by bytes. */
export const IMAGE_MIME_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/jpg']);

const TEXT_KINDS: readonly KindName[] = [
  'string',
  'enum',
  'date-time',
  'boolean',
  'integer',
  'number',
  'percentage',
];
const DICOM_KINDS: readonly KindName[] = ['dicom-image', 'dicom-series', 'dicom-study'];
const CONTAINER_KINDS: readonly KindName[] = ['object', 'array', 'survival'];

/** The kinds each method can compare. */
const APPLIES: Record<CompareMethod, readonly KindName[]> = {
  exact: TEXT_KINDS,
  numeric: ['integer', 'number', 'percentage'],
  // Byte equality of one file: any kind stored as a single file.
  hash: [...TEXT_KINDS, 'file', 'ndarray', 'dicom-image'],
  image: ['file'],
  allclose: ['ndarray'],
  dice: ['ndarray', 'file'],
  dicom: DICOM_KINDS,
  presence: [...TEXT_KINDS, 'file', 'ndarray', ...DICOM_KINDS, ...CONTAINER_KINDS],
};

/** True for kinds whose entry is a directory walked member by member or item by item. */
export function isContainer(p: Property): boolean {
  return CONTAINER_KINDS.includes(p.kind);
}

/**
 * The default method of a kind: `exact` for strings, enums, booleans, date-times and integers
 * (`numeric` for an integer whose tolerance sets `abs` or `rel`); `numeric` for numbers and
 * percentages; `image` for PNG/JPEG files, `hash` for other files; `allclose` for ndarrays
 * (`dice` when the tolerance sets `dice`, as for image files); `dicom` for the DICOM kinds.
 */
export function defaultMethod(p: Property, t: Tolerance): CompareMethod | undefined {
  switch (p.kind) {
    case 'string':
    case 'enum':
    case 'boolean':
    case 'date-time':
      return 'exact';
    case 'integer':
      return t.abs !== undefined || t.rel !== undefined ? 'numeric' : 'exact';
    case 'number':
    case 'percentage':
      return 'numeric';
    case 'file':
      if (t.dice !== undefined) return 'dice';
      return p.mimeType !== undefined && IMAGE_MIME_TYPES.has(p.mimeType.toLowerCase()) ? 'image' : 'hash';
    case 'ndarray':
      return t.dice !== undefined ? 'dice' : 'allclose';
    case 'dicom-image':
    case 'dicom-series':
    case 'dicom-study':
      return 'dicom';
    default:
      return undefined; // containers are walked, not compared
  }
}

/** The method for a property, or why the forced one cannot compare its kind. */
export function methodFor(
  p: Property,
  t: Tolerance,
): { ok: true; method: CompareMethod | undefined } | { ok: false; problem: string } {
  if (t.method === undefined) return { ok: true, method: defaultMethod(p, t) };
  if (!APPLIES[t.method].includes(p.kind)) {
    return {
      ok: false,
      problem: `method ${t.method} cannot compare a ${p.kind}; it compares ${APPLIES[t.method].join(', ')}`,
    };
  }
  return { ok: true, method: t.method };
}
