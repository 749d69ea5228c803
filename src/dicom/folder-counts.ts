/**
 * The instance-count constraints of a DICOM folder. A broken file counts as an instance (it is
 * reported with its own code, and should not also make a count wrong); duplicates and stray files
 * do not. `study-related-series` is compared as a multiset: the series' counts, in any order, must
 * be exactly the listed counts, because nothing orders the series of a study (their folders are
 * named by random UIDs).
 */
import path from 'node:path';
import type { DicomEntrySpec } from './constraints.js';
import type { EntryFindings } from './entry-findings.js';
import type { DicomHeader } from './scan.js';

/** Broken DICOM files by the folder holding them. */
export type BrokenByDir = ReadonlyMap<string, number>;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 || word === 'series' ? '' : 's'}`;
}

/** Checks `series-related-instances`, `study-related-instances` and `study-related-series`. */
export function checkCounts(
  spec: DicomEntrySpec,
  abs: string,
  instances: readonly DicomHeader[],
  bySeries: ReadonlyMap<string, readonly DicomHeader[]>,
  brokenByDir: BrokenByDir,
  out: EntryFindings,
): void {
  const c = spec.constraints;
  let broken = 0;
  for (const n of brokenByDir.values()) broken += n;
  const total = instances.length + broken;
  const unreadable = broken ? ` (${broken} of them unreadable)` : '';
  if (
    spec.level === 'series' &&
    c.seriesRelatedInstances !== undefined &&
    total !== c.seriesRelatedInstances
  ) {
    out.add(
      'BERTH_E_DICOM_SERIES_INSTANCES',
      `The series holds ${plural(total, 'instance')}${unreadable}`,
      abs,
      `${c.seriesRelatedInstances} (series-related-instances)`,
    );
  }
  if (spec.level !== 'study') return;
  if (c.studyRelatedInstances !== undefined && total !== c.studyRelatedInstances) {
    out.add(
      'BERTH_E_DICOM_STUDY_INSTANCES',
      `The study holds ${plural(total, 'instance')}${unreadable}`,
      abs,
      `${c.studyRelatedInstances} (study-related-instances)`,
    );
  }
  if (c.studyRelatedSeries)
    checkSeriesCounts(c.studyRelatedSeries, abs, seriesCounts(abs, instances, bySeries, brokenByDir), out);
}

/** Each series with its count; a broken file counts for the series most of its folder belongs to. */
function seriesCounts(
  abs: string,
  instances: readonly DicomHeader[],
  bySeries: ReadonlyMap<string, readonly DicomHeader[]>,
  brokenByDir: BrokenByDir,
): Map<string, number> {
  const groups = new Map<string, number>([...bySeries].map(([uid, list]) => [uid, list.length]));
  for (const [dir, n] of brokenByDir) {
    const inDir = new Map<string, number>();
    for (const h of instances)
      if (path.dirname(h.path) === dir)
        inDir.set(h.SeriesInstanceUID, (inDir.get(h.SeriesInstanceUID) ?? 0) + 1);
    const owner = [...inDir].sort((a, b) => b[1] - a[1])[0]?.[0];
    const key = owner ?? `the folder ${path.relative(abs, dir) || '.'}`;
    groups.set(key, (groups.get(key) ?? 0) + n);
  }
  return groups;
}

/** `study-related-series`: the series' counts, as a multiset, against the listed ones. */
function checkSeriesCounts(
  listed: readonly number[],
  abs: string,
  groups: ReadonlyMap<string, number>,
  out: EntryFindings,
): void {
  const left = [...listed];
  const unmatched: [string, number][] = [];
  for (const [uid, n] of [...groups].sort((a, b) => b[1] - a[1])) {
    const i = left.indexOf(n);
    if (i >= 0) left.splice(i, 1);
    else unmatched.push([uid, n]);
  }
  if (unmatched.length === 0 && left.length === 0) return;
  const have = [...groups.values()].sort((a, b) => a - b);
  const parts = [
    ...unmatched.map(([uid, n]) => `series ${uid} with ${plural(n, 'instance')} matches no listed count`),
    ...(left.length ? [`no series holds ${left.join(', ')} instance(s)`] : []),
  ];
  out.add(
    'BERTH_E_DICOM_STUDY_SERIES',
    `The study has ${plural(groups.size, 'series')} holding [${have.join(', ')}] instances: ${parts.join('; ')}`,
    abs,
    `${plural(listed.length, 'series')} holding [${[...listed].sort((a, b) => a - b).join(', ')}] instances, in any order (study-related-series)`,
  );
}
