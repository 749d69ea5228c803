/**
 * Sorting loose DICOM files (any names, any nesting) into the EnvoyAI reference layout by their UIDs:
 *
 * - as a **series**: `<out>/<SOPInstanceUID>.dcm`;
 * - as a **study** (the default): `<out>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm`.
 *
 * Decisions (written once here and in the CLI help):
 * - Several studies with `as: 'study'`: one subfolder per study,
 *   `<out>/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm` (the report says
 *   `layout: 'studies'`); each subfolder is then a valid dicom-study tree. Nothing is refused.
 * - Several series with `as: 'series'`: the series with the most instances is kept (ties: the lower
 *   SeriesInstanceUID); every instance of the others is skipped as `other-series`.
 * - Files are copied, never moved, each atomically (temp file + rename); the source is not touched.
 * - Skipped, with the reason: files that are not DICOM (`not-dicom`), broken DICOM (`broken`, with
 *   the error code), a second file of an already seen SOPInstanceUID (`duplicate`; `identical`
 *   says whether its bytes are those of the file kept, see {@link sameBytes}), instances of
 *   other series (`other-series`), UIDs that are not valid DICOM UIDs and so cannot be file names
 *   (`invalid-uid`), symlinks leading out of the folder (`not-followed`).
 * - Every UID used as a path segment goes through safeJoin: a hostile UID cannot escape `out`.
 * - `out` must be empty or absent, and must not lie inside the folder being sorted.
 */
import { constants } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import type { Code } from '../errors.js';
import { BerthError } from '../errors.js';
import { copyFileAtomic } from '../tree/atomic.js';
import { isInside, safeJoin } from '../tree/safe-path.js';
import { indexFolder, type IndexOptions, type InstanceIndex } from './index.js';
import type { DicomHeader } from './header.js';
import { isValidUid } from './uid.js';

/** How the sorted files are laid out. */
export type SortAs = 'series' | 'study';

/** Why a file was not copied. */
export type SortSkipReason =
  'not-dicom' | 'broken' | 'duplicate' | 'other-series' | 'invalid-uid' | 'not-followed';

/** One file not copied. */
export interface SortSkip {
  readonly path: string;
  readonly reason: SortSkipReason;
  /** The error code, for `broken`, `duplicate`, `not-dicom` and `invalid-uid`. */
  readonly code?: Code;
  readonly message: string;
  /** `duplicate`: the file kept for the same SOP instance. */
  readonly duplicateOf?: string;
  /** `duplicate`: true when the file is byte for byte the one kept. */
  readonly identical?: boolean;
}

/** One file copied. */
export interface SortCopy {
  readonly from: string;
  readonly to: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
}

/** What {@link sortDicom} did. */
export interface SortReport {
  readonly source: string;
  readonly out: string;
  readonly as: SortAs;
  /** `studies`: several studies, one subfolder each. */
  readonly layout: 'series' | 'study' | 'studies';
  readonly studies: number;
  readonly series: number;
  readonly copied: SortCopy[];
  readonly skipped: SortSkip[];
}

/** What {@link planSort} decides: the report, and the header of each instance kept by its path. */
export interface SortPlan extends SortReport {
  /** The header read of each instance kept (by `from`), so that a caller need not read it again. */
  readonly headers: ReadonlyMap<string, DicomHeader>;
}

/** Options of {@link sortDicom}. */
export interface SortOptions {
  /** Default `study`. */
  as?: SortAs;
  /** Passed to the folder index (limits, I/O mode). */
  index?: IndexOptions;
}

/** Bytes compared per read by {@link sameBytes}. */
const COMPARE_CHUNK = 64 * 1024;

/**
 * True when two regular files hold the same bytes: sizes first, then 64 KiB at a time (memory
 * stays bounded whatever the sizes). Opened without following a symlink and without blocking;
 * anything that is not a regular file, or cannot be read, counts as different.
 */
export async function sameBytes(a: string, b: string): Promise<boolean> {
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  let fa: FileHandle | undefined;
  let fb: FileHandle | undefined;
  try {
    fa = await open(a, flags);
    fb = await open(b, flags);
    const [sa, sb] = await Promise.all([fa.stat(), fb.stat()]);
    if (!sa.isFile() || !sb.isFile() || sa.size !== sb.size) return false;
    const ba = Buffer.allocUnsafe(COMPARE_CHUNK);
    const bb = Buffer.allocUnsafe(COMPARE_CHUNK);
    for (let at = 0; at < sa.size; at += COMPARE_CHUNK) {
      const [ra, rb] = await Promise.all([
        fa.read(ba, 0, COMPARE_CHUNK, at),
        fb.read(bb, 0, COMPARE_CHUNK, at),
      ]);
      if (ra.bytesRead !== rb.bytesRead || !ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead)))
        return false;
      if (ra.bytesRead === 0) break;
    }
    return true;
  } catch {
    return false;
  } finally {
    await fa?.close();
    await fb?.close();
  }
}

async function checkOut(source: string, out: string): Promise<void> {
  if (isInside(source, out)) {
    throw new BerthError('BERTH_E_USAGE', `The output ${out} lies inside the folder being sorted`, {
      path: out,
      expected: 'an output directory outside the source folder',
    });
  }
  let entries: string[];
  try {
    if (!(await stat(out)).isDirectory()) {
      throw new BerthError('BERTH_E_OUT_NOT_EMPTY', `${out} is a file`, {
        path: out,
        expected: 'a directory',
      });
    }
    entries = await readdir(out);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return;
    throw e;
  }
  if (entries.length > 0) {
    throw new BerthError('BERTH_E_OUT_NOT_EMPTY', `${out} holds ${entries.length} entries`, {
      path: out,
      expected: 'an empty or absent output directory',
    });
  }
}

/** Refuses a source that is missing or not a directory. */
async function checkSource(source: string): Promise<void> {
  try {
    if (!(await stat(source)).isDirectory()) {
      throw new BerthError('BERTH_E_USAGE', `${source} is not a directory`, { path: source });
    }
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') {
      throw new BerthError('BERTH_E_NOT_FOUND', `${source} does not exist`, { path: source });
    }
    throw e;
  }
}

/** What the index left out: strays, broken files and duplicates, links not followed. */
async function indexSkips(index: InstanceIndex): Promise<SortSkip[]> {
  const skipped: SortSkip[] = [];
  for (const s of index.strays) {
    skipped.push({ path: s.path, reason: 'not-dicom', code: s.error.code, message: s.error.message });
  }
  for (const e of index.errors) {
    const duplicate = e.error.code === 'BERTH_E_DUPLICATE_INSTANCE';
    skipped.push({
      path: e.path,
      reason: duplicate ? 'duplicate' : 'broken',
      code: e.error.code,
      message: e.error.message,
      ...(duplicate && e.duplicateOf
        ? { duplicateOf: e.duplicateOf, identical: await sameBytes(e.path, e.duplicateOf) }
        : {}),
    });
  }
  for (const s of index.skipped) skipped.push({ path: s.path, reason: 'not-followed', message: s.reason });
  return skipped;
}

/** The instances whose UIDs can name files; the others are skipped before anything is counted. */
function usableInstances(index: InstanceIndex, skipped: SortSkip[]): DicomHeader[] {
  const usable: DicomHeader[] = [];
  for (const h of index.instances.values()) {
    const bad = (
      [
        ['SOPInstanceUID', h.SOPInstanceUID],
        ['SeriesInstanceUID', h.SeriesInstanceUID],
        ['StudyInstanceUID', h.StudyInstanceUID],
      ] as const
    ).find(([, uid]) => !isValidUid(uid));
    if (bad) {
      skipped.push({
        path: h.path,
        reason: 'invalid-uid',
        code: 'BERTH_E_UID_FORMAT',
        message: `${bad[0]} ${JSON.stringify(bad[1])} is not a valid DICOM UID, so it cannot name a file`,
      });
    } else usable.push(h);
  }
  return usable;
}

/** As a series: the largest series (ties: the smaller UID); the others are skipped. As a study: all. */
function chooseInstances(usable: DicomHeader[], as: SortReport['as'], skipped: SortSkip[]): DicomHeader[] {
  const bySeries = new Map<string, DicomHeader[]>();
  for (const h of usable) {
    const list = bySeries.get(h.SeriesInstanceUID) ?? [];
    list.push(h);
    bySeries.set(h.SeriesInstanceUID, list);
  }
  if (as !== 'series' || bySeries.size <= 1) return usable;
  const [keep] = [...bySeries.entries()].sort(
    (a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
  );
  for (const h of usable) {
    if (h.SeriesInstanceUID === keep![0]) continue;
    skipped.push({
      path: h.path,
      reason: 'other-series',
      message: `Series ${h.SeriesInstanceUID} is not the one kept (${keep![0]}, ${keep![1].length} instances)`,
    });
  }
  return keep![1];
}

/** Each instance's place in the layout, named by its UIDs. */
function placeInstances(chosen: DicomHeader[], out: string, layout: SortReport['layout']): SortCopy[] {
  return chosen.map((h) => ({
    from: h.path,
    to:
      layout === 'series'
        ? safeJoin(out, `${h.SOPInstanceUID}.dcm`)
        : layout === 'study'
          ? safeJoin(out, h.SeriesInstanceUID, `${h.SOPInstanceUID}.dcm`)
          : safeJoin(out, h.StudyInstanceUID, h.SeriesInstanceUID, `${h.SOPInstanceUID}.dcm`),
    studyInstanceUid: h.StudyInstanceUID,
    seriesInstanceUid: h.SeriesInstanceUID,
    sopInstanceUid: h.SOPInstanceUID,
  }));
}

/**
 * Sorts the DICOM files under `source` into `out` (see the module comment for every rule).
 * @throws {@link BerthError} BERTH_E_NOT_FOUND (no source), BERTH_E_OUT_NOT_EMPTY, BERTH_E_USAGE
 * (`out` inside `source`), BERTH_E_SORT_NOTHING (no usable instance).
 */
export async function sortDicom(source: string, out: string, options: SortOptions = {}): Promise<SortReport> {
  await checkSource(source);
  await checkOut(source, out);
  const { headers: _, ...report } = await planSort(source, out, options);
  for (const c of report.copied) await copyFileAtomic(c.from, c.to);
  return report;
}

/**
 * Everything {@link sortDicom} decides, with nothing written: `copied` lists the place under
 * `out` of each instance kept (`from` its real path), `skipped` the rest. The case materialiser
 * lays a folder out from it directly, each instance written once in the syntax it is delivered
 * in, with no sorted copy in between. `out` is not looked at.
 * @throws {@link BerthError} BERTH_E_NOT_FOUND (no source), BERTH_E_USAGE (not a folder),
 * BERTH_E_SORT_NOTHING (no usable instance).
 */
export async function planSort(source: string, out: string, options: SortOptions = {}): Promise<SortPlan> {
  const as = options.as ?? 'study';
  await checkSource(source);
  const index = await indexFolder(source, options.index);
  const skipped = await indexSkips(index);
  const usable = usableInstances(index, skipped);
  if (usable.length === 0) {
    throw new BerthError('BERTH_E_SORT_NOTHING', `${source} holds no usable DICOM instance`, {
      path: source,
      expected: 'at least one readable DICOM Part 10 file',
    });
  }
  const chosen = chooseInstances(usable, as, skipped);
  const studies = new Set(chosen.map((h) => h.StudyInstanceUID));
  const layout = as === 'series' ? 'series' : studies.size > 1 ? 'studies' : 'study';
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    source,
    out,
    as,
    layout,
    studies: studies.size,
    series: new Set(chosen.map((h) => h.SeriesInstanceUID)).size,
    copied: placeInstances(chosen, out, layout),
    skipped,
    headers: new Map(chosen.map((h) => [h.path, h])),
  };
}
