/**
 * DICOM attributes compared between an expected and an actual instance: every top-level attribute
 * of either header, except the ones a new run legitimately changes (the mask below), sequences,
 * and pixel data (compared on its own).
 */
import { entryByTag, formatTag, resolveTag } from '../../dicom/dictionary.js';
import type { DicomHeader } from '../../dicom/scan.js';
import type { DicomValue } from '../../dicom/values.js';
import { short } from './context.js';

/**
 * Attributes never compared, because every run of a machine writes new ones: the instance, series
 * and frame-of-reference UIDs berth requires to be new or that a machine may mint for new geometry,
 * the creation, content, series and acquisition dates and times (set when the output is made),
 * and the file meta information that describes the writing software or depends on UID lengths
 * (everything in group 0002 except TransferSyntaxUID and MediaStorageSOPClassUID).
 * StudyInstanceUID is compared: outputs normally join the input's study (add it to `ignore` for a
 * machine that makes a new study).
 */
export const VOLATILE_ATTRIBUTES: readonly string[] = [
  'SOPInstanceUID',
  'SeriesInstanceUID',
  'FrameOfReferenceUID',
  'InstanceCreationDate',
  'InstanceCreationTime',
  '(0008,0014)', // InstanceCreatorUID
  'ContentDate',
  'ContentTime',
  'SeriesDate',
  'SeriesTime',
  'AcquisitionDate',
  'AcquisitionTime',
  '(0008,002A)', // AcquisitionDateTime
];

const VOLATILE_TAGS: ReadonlySet<number> = new Set(VOLATILE_ATTRIBUTES.map((k) => resolveTag(k)!));

/** File meta attributes that are compared; the rest of group 0002 is not. */
const META_COMPARED: ReadonlySet<number> = new Set([0x00020002, 0x00020010]);

const PIXEL_DATA_TAGS: ReadonlySet<number> = new Set([
  0x7fe00010, // PixelData
  0x7fe00001, // ExtendedOffsetTable: depends on the compressed lengths
  0x7fe00002, // ExtendedOffsetTableLengths
]);

/** True when the attribute's value takes part in the comparison (see {@link VOLATILE_ATTRIBUTES}). */
export function isCompared(tag: number, ignored: ReadonlySet<number>): boolean {
  if (ignored.has(tag) || VOLATILE_TAGS.has(tag) || PIXEL_DATA_TAGS.has(tag)) return false;
  const group = tag >>> 16;
  if (group === 0x0002) return META_COMPARED.has(tag);
  // Group lengths depend on the lengths of the (volatile) values in their group.
  if ((tag & 0xffff) === 0) return false;
  return group !== 0xfffe;
}

/** The tags of a tolerance's `ignore` list (checked to resolve when the tolerance was read). */
export function ignoredTags(ignore: readonly string[] | undefined): Set<number> {
  return new Set((ignore ?? []).map((k) => resolveTag(k)).filter((t): t is number => t !== undefined));
}

/** One attribute that differs. */
export interface AttributeDifference {
  /** Keyword when the dictionary knows the tag, else `(gggg,eeee)`. */
  attribute: string;
  /** Short forms; `(absent)` when the instance has no value. */
  expected: string;
  actual: string;
}

/** The name of a tag in messages. */
export function tagName(tag: number): string {
  return entryByTag(tag)?.keyword ?? formatTag(tag);
}

function sameValue(x: DicomValue | undefined, y: DicomValue | undefined): boolean {
  if (x === undefined || y === undefined) return x === y;
  if (typeof x === 'string' || typeof y === 'string') return x === y;
  if (typeof x === 'number' && typeof y === 'number') return Object.is(x, y) || x === y;
  if (x instanceof Uint8Array && y instanceof Uint8Array) return Buffer.from(x).equals(Buffer.from(y));
  if (Array.isArray(x) && Array.isArray(y)) {
    return x.length === y.length && x.every((v, i) => v === y[i] || (Number.isNaN(v) && Number.isNaN(y[i]!)));
  }
  return false;
}

/** The short form of a value in a difference. */
export function showValue(v: DicomValue | undefined): string {
  if (v === undefined) return '(absent)';
  if (typeof v === 'string') return JSON.stringify(short(v, 64));
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return short(v.join('\\'), 64);
  return `<${v.length} bytes>`;
}

/**
 * The attributes whose values differ between two instances. Absent and empty are the same (a
 * type 2 attribute may be written either way); text compares after the padding is trimmed,
 * numbers (IS and DS included) by value, so `2.50` equals `2.5`.
 */
export function attributeDifferences(
  e: DicomHeader,
  a: DicomHeader,
  ignored: ReadonlySet<number>,
): AttributeDifference[] {
  const ee = e.elements();
  const ae = a.elements();
  const tags = new Set<number>();
  for (const tag of [...ee.keys(), ...ae.keys()]) if (isCompared(tag, ignored)) tags.add(tag);
  const out: AttributeDifference[] = [];
  for (const tag of [...tags].sort((x, y) => x - y)) {
    // Sequences reference other instances by UID (new on every run): only their presence is
    // compared, not their content.
    const eRef = ee.get(tag);
    const aRef = ae.get(tag);
    if (eRef?.vr === 'SQ' || aRef?.vr === 'SQ') {
      if (!eRef || !aRef) {
        out.push({
          attribute: tagName(tag),
          expected: eRef ? '(sequence)' : '(absent)',
          actual: aRef ? '(sequence)' : '(absent)',
        });
      }
      continue;
    }
    const name = formatTag(tag);
    // Not a sequence (skipped above), so never items.
    const ev = e.get(name) as DicomValue | undefined;
    const av = a.get(name) as DicomValue | undefined;
    if (!sameValue(ev, av))
      out.push({ attribute: tagName(tag), expected: showValue(ev), actual: showValue(av) });
  }
  return out;
}
