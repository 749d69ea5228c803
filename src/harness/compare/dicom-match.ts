/**
 * Pairing expected and actual DICOM instances and series without their UIDs, which a machine
 * mints anew on every run.
 *
 * Instances of a series: both sides are sorted geometrically ({@link sortSeries}: position along
 * the slice normal, then InstanceNumber). When every instance on both sides has an InstanceNumber
 * and no number repeats on a side, instances pair by InstanceNumber; otherwise they pair by their
 * rank in that geometric order.
 *
 * Series of a study: by SeriesNumber when every series has one, unique on its side; else by
 * Modality and SeriesDescription when those are unique on each side; else by rank after sorting
 * each side by SeriesNumber, Modality, SeriesDescription and instance count.
 */
import { sortSeries } from '../../dicom/index.js';
import type { DicomHeader } from '../../dicom/scan.js';

/** Pairs, and what is left on either side. */
export interface Pairing<T> {
  pairs: [T, T][];
  /** Expected without an actual partner. */
  missing: T[];
  /** Actual without an expected partner. */
  extra: T[];
  /** How they were paired. */
  by: string;
}

function uniqueKeys<T>(items: readonly T[], key: (t: T) => string | undefined): Map<string, T> | undefined {
  const map = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined || map.has(k)) return undefined;
    map.set(k, item);
  }
  return map;
}

/** Pairs by the first key that is defined and unique on both sides, else by rank. */
function pairBy<T>(
  expected: readonly T[],
  actual: readonly T[],
  keys: readonly [string, (t: T) => string | undefined][],
): Pairing<T> {
  for (const [by, key] of keys) {
    const e = uniqueKeys(expected, key);
    const a = uniqueKeys(actual, key);
    if (!e || !a) continue;
    const pairs: [T, T][] = [];
    const missing: T[] = [];
    for (const [k, item] of e) {
      const partner = a.get(k);
      if (partner === undefined) missing.push(item);
      else pairs.push([item, partner]);
    }
    const extra = [...a].filter(([k]) => !e.has(k)).map(([, item]) => item);
    return { pairs, missing, extra, by };
  }
  const n = Math.min(expected.length, actual.length);
  return {
    pairs: Array.from({ length: n }, (_, i): [T, T] => [expected[i]!, actual[i]!]),
    missing: expected.slice(n),
    extra: actual.slice(n),
    by: 'order',
  };
}

/** Pairs the instances of one expected and one actual series (both returned in geometric order). */
export function matchInstances(
  expected: readonly DicomHeader[],
  actual: readonly DicomHeader[],
): Pairing<DicomHeader> {
  return pairBy(sortSeries(expected), sortSeries(actual), [
    ['InstanceNumber', (h) => (h.InstanceNumber === undefined ? undefined : String(h.InstanceNumber))],
  ]);
}

/** One series: its instances and what identifies it in messages. */
export interface SeriesGroup {
  readonly instances: readonly DicomHeader[];
  readonly seriesNumber: number | undefined;
  readonly modality: string | undefined;
  readonly description: string | undefined;
}

/** A series group from its instances (the first instance speaks for the series). */
export function seriesGroup(instances: readonly DicomHeader[]): SeriesGroup {
  const first = instances[0];
  const n = first?.getNumbers('SeriesNumber')?.[0];
  return {
    instances,
    seriesNumber: n === undefined || Number.isNaN(n) ? undefined : n,
    modality: first?.Modality,
    description: first?.SeriesDescription,
  };
}

/** A series in messages: `series 3 (CT "Lungs")`. */
export function seriesLabel(s: SeriesGroup): string {
  const what = [s.modality, s.description === undefined ? undefined : JSON.stringify(s.description)]
    .filter(Boolean)
    .join(' ');
  return `series ${s.seriesNumber ?? '(no number)'}${what ? ` (${what})` : ''}`;
}

/** An instance in messages: `instance 3`, or its rank when it has no InstanceNumber. */
export function instanceLabel(h: DicomHeader, rank: number): string {
  return h.InstanceNumber === undefined
    ? `instance #${rank + 1} in geometric order`
    : `instance ${h.InstanceNumber}`;
}

function orderKey(s: SeriesGroup): [number, string, string, number] {
  return [s.seriesNumber ?? Infinity, s.modality ?? '', s.description ?? '', s.instances.length];
}

function compareOrder(x: SeriesGroup, y: SeriesGroup): number {
  const a = orderKey(x);
  const b = orderKey(y);
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  for (const i of [1, 2] as const) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a[3] - b[3];
}

/** Pairs the series of an expected and an actual study. */
export function matchSeries(
  expected: readonly SeriesGroup[],
  actual: readonly SeriesGroup[],
): Pairing<SeriesGroup> {
  return pairBy([...expected].sort(compareOrder), [...actual].sort(compareOrder), [
    ['SeriesNumber', (s) => (s.seriesNumber === undefined ? undefined : String(s.seriesNumber))],
    [
      'Modality and SeriesDescription',
      (s) => (s.description === undefined ? undefined : `${s.modality ?? ''}\u0000${s.description}`),
    ],
  ]);
}
