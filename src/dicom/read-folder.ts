/**
 * Reading a DICOM input for machine code (the SDK's handles, src/sdk/dicom.ts): headers only, strict
 * where data would be wrong or lost — a broken DICOM file, two files of one SOP instance, two series
 * in a series folder, two studies in a series or study all throw a {@link BerthError} — and lenient
 * where nothing is ambiguous: files that are not DICOM at all (a README, `.DS_Store`) are left out,
 * and names are not checked. The folder check (./folder-check.ts) reports all of those as findings.
 */
import path from 'node:path';
import { BerthError, toBerthError } from '../errors.js';
import { indexFolder, type InstanceIndex, type SeriesEntry } from './index.js';
import { scanHeader, type DicomHeader } from './scan.js';

/** One series as read: its folder and its instances in geometric order (never empty). */
export interface SeriesRead {
  readonly dir: string;
  readonly instances: readonly DicomHeader[];
}

/** One study as read: its UID and its series, keyed by SeriesInstanceUID in folder-name order. */
export interface StudyRead {
  readonly studyInstanceUid: string;
  readonly series: ReadonlyMap<string, SeriesRead>;
}

/** Reads a dicom-image file's header. */
export async function readImageHeader(abs: string): Promise<DicomHeader> {
  try {
    return await scanHeader(abs);
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_DICOM_PARSE', { path: abs });
  }
}

/** Indexes a series or study folder and throws for anything a reader would get wrong. */
async function indexStrict(
  abs: string,
  property: string | undefined,
  maxDepth: number,
): Promise<InstanceIndex> {
  const index = await indexFolder(abs, { maxDepth });
  const where = { path: abs, ...(property === undefined ? {} : { property }) };
  if (index.errors.length > 0) {
    const first = index.errors[0]!;
    throw new BerthError(
      first.error.code,
      `${index.errors.length} file(s) of ${path.basename(abs)} cannot be used; the first: ${first.error.message}`,
      { ...where, path: first.path, expected: 'readable DICOM Part 10 files, one per SOP instance' },
    );
  }
  if (index.instances.size === 0) {
    throw new BerthError('BERTH_E_DICOM_EMPTY', `${path.basename(abs)} holds no DICOM instances`, where);
  }
  if (index.studies.size > 1) {
    throw new BerthError(
      'BERTH_E_DICOM_MIXED_STUDY',
      `${path.basename(abs)} holds instances of ${index.studies.size} studies: ${[...index.studies.keys()].join(', ')}`,
      { ...where, expected: 'one StudyInstanceUID' },
    );
  }
  return index;
}

/** Reads a dicom-series folder (its files, not sub-folders); `property` names it in errors. */
export async function readSeriesFolder(abs: string, property?: string): Promise<SeriesRead> {
  const index = await indexStrict(abs, property, 0);
  if (index.series.size > 1) {
    throw new BerthError(
      'BERTH_E_DICOM_MIXED_SERIES',
      `${path.basename(abs)} holds ${index.series.size} series: ${[...index.series.keys()].join(', ')}`,
      { path: abs, ...(property === undefined ? {} : { property }), expected: 'one SeriesInstanceUID' },
    );
  }
  const [series] = index.series.values();
  return { dir: abs, instances: series!.instances };
}

/**
 * Reads a dicom-study folder: instances grouped by their SeriesInstanceUID (whatever folder they
 * are in), each series sorted geometrically, the series in the order of their folders' names.
 */
export async function readStudyFolder(abs: string, property?: string): Promise<StudyRead> {
  const index = await indexStrict(abs, property, 1);
  const [study] = index.studies.values();
  const folderOf = (s: SeriesEntry): string => path.dirname(s.instances[0]!.path);
  const series = new Map<string, SeriesRead>();
  for (const s of [...study!.series].sort((a, b) =>
    folderOf(a) < folderOf(b) ? -1 : folderOf(a) > folderOf(b) ? 1 : 0,
  )) {
    series.set(s.seriesInstanceUid, { dir: folderOf(s), instances: s.instances });
  }
  return { studyInstanceUid: study!.studyInstanceUid, series };
}
