/**
 * The checks of one DICOM entry in a tree: a dicom-image file, or a dicom-series / dicom-study
 * folder (layout, names, duplicates, mixed series, instance counts), collected as findings against
 * its property. Nothing here reads pixel data: headers come from the prefix scan, and a broken file
 * is reported with its own code while the rest of its folder is still checked.
 *
 * Every finding's code says what kind of problem it is: a **not applicable** case (fine DICOM, but
 * not what the property accepts: transfer syntax, SOP class, modality, instance counts) or a
 * **broken** one (unreadable or non-DICOM files, wrong names, duplicates, mixed series); see
 * ./instance-rules.ts.
 */
import path from 'node:path';
import { isBerthError, isBrokenDicomCode, type Finding } from '../errors.js';
import { isAtomicTempName } from '../tree/atomic.js';
import type { Side } from '../tree/side.js';
import type { DicomConstraints, DicomEntrySpec } from './constraints.js';
import { checkFragments } from './encapsulated.js';
import { EntryFindings } from './entry-findings.js';
import { checkCounts, type BrokenByDir } from './folder-counts.js';
import { indexFolder, type IndexOptions, type InstanceIndex } from './index.js';
import { instanceProblems } from './instance-rules.js';
import { outputUidProblems, type InputDicomUids } from './output-uids.js';
import { scanHeader, type DicomHeader } from './scan.js';

/** What {@link checkDicomEntry} needs besides the entry. */
export interface DicomEntryCheckOptions {
  /** Outputs only: the inputs' UIDs, for the output UID rules. */
  inputUids?: InputDicomUids;
  index?: Pick<IndexOptions, 'io' | 'concurrency' | 'maxFiles'>;
}

/**
 * Checks one DICOM entry — a dicom-image file, a dicom-series or dicom-study folder — on `side`
 * and returns every finding. Never throws for bad content.
 */
export async function checkDicomEntry(
  spec: DicomEntrySpec,
  abs: string,
  side: Side,
  options: DicomEntryCheckOptions = {},
): Promise<Finding[]> {
  const out = new EntryFindings(spec.property);
  if (spec.level === 'instance') await checkImage(spec.constraints, abs, side, options, out);
  else await checkFolder(spec, abs, side, options, out);
  return out.list;
}

async function checkImage(
  c: DicomConstraints,
  abs: string,
  side: Side,
  options: DicomEntryCheckOptions,
  out: EntryFindings,
): Promise<void> {
  let h: DicomHeader;
  try {
    h = await scanHeader(abs);
    // A compressed image cut inside its last fragment passes the header scan: walk the item headers.
    await checkFragments(abs, h);
  } catch (e) {
    if (!isBerthError(e)) throw e;
    out.error(e, abs);
    return;
  }
  out.metaWarnings([h]);
  checkInstances([h], c, side, options.inputUids, out);
}

/**
 * Checks a dicom-series or dicom-study folder. Inputs follow the platform's layout exactly
 * (`<SOPInstanceUID>.dcm`, in `<SeriesInstanceUID>/` for studies); outputs may name files freely,
 * and a study output may nest folders freely.
 */
async function checkFolder(
  spec: DicomEntrySpec,
  abs: string,
  side: Side,
  options: DicomEntryCheckOptions,
  out: EntryFindings,
): Promise<void> {
  const study = spec.level === 'study';
  const input = side === 'in';
  // A series holds files only; an input study one level of series folders; an output study anything.
  const maxDepth = study ? (input ? 1 : 32) : 0;
  const index = await indexFolder(abs, { ...options.index, maxDepth });
  const brokenByDir = reportIndexIssues(index, abs, study, out);
  const instances = wholeInstances(index, out);
  await checkFragmentsOf(instances, out);
  out.metaWarnings(instances);
  if (instances.length === 0 && brokenByDir.size === 0) {
    out.add(
      'BERTH_E_DICOM_EMPTY',
      `${path.basename(abs)} holds no DICOM instances`,
      abs,
      'at least one instance',
    );
  }
  // Names and places (inputs only: outputs may name files and folders freely).
  if (input) checkNames(instances, abs, study, out);
  const bySeries = checkMixing(instances, abs, study, out);
  checkInstances(instances, spec.constraints, side, options.inputUids, out);
  checkCounts(spec, abs, instances, bySeries, brokenByDir, out);
}

/** True for a file left over from a write that never finished (see tree/atomic.ts). */
function partial(file: string): boolean {
  return isAtomicTempName(path.basename(file));
}

function reportPartial(file: string, out: EntryFindings): void {
  out.add(
    'BERTH_E_TREE_PARTIAL_WRITE',
    `${path.basename(file)} is left over from a write that never finished`,
    file,
  );
}

/**
 * The index's broken files (each with its own code), stray files and skipped entries; returns the
 * broken DICOM files by folder, which still count as instances of their folder.
 */
function reportIndexIssues(
  index: InstanceIndex,
  abs: string,
  study: boolean,
  out: EntryFindings,
): BrokenByDir {
  const brokenByDir = new Map<string, number>();
  for (const { path: file, error } of index.errors) {
    if (partial(file)) {
      reportPartial(file, out);
      continue;
    }
    out.error(error, file);
    if (isBrokenDicomCode(error.code) && file !== abs) {
      brokenByDir.set(path.dirname(file), (brokenByDir.get(path.dirname(file)) ?? 0) + 1);
    }
  }
  for (const { path: file, error } of index.strays) {
    if (partial(file)) reportPartial(file, out);
    else
      out.add(
        'BERTH_E_DICOM_STRAY_FILE',
        `${path.basename(file)} is not a DICOM file (${error.detail})`,
        file,
        'only DICOM Part 10 files, one SOP instance each',
      );
  }
  for (const { path: entry, reason } of index.skipped) {
    if (reason.startsWith('deeper than')) {
      out.add(
        'BERTH_E_DICOM_LAYOUT',
        study
          ? `${path.basename(entry)} is a folder inside a series folder`
          : `${path.basename(entry)} is a folder inside a series`,
        entry,
        study ? 'series folders holding files only' : 'files only (one SOP instance each)',
      );
    } else {
      out.add(
        'BERTH_E_TREE_SYMLINK',
        `${path.basename(entry)} is not followed: ${reason}`,
        entry,
        'a file inside the tree',
      );
    }
  }
  return brokenByDir;
}

/** The indexed instances series by series, each in geometric order (so "the first" of a group is the first slice), leftovers of unfinished writes reported and left out. */
function wholeInstances(index: InstanceIndex, out: EntryFindings): DicomHeader[] {
  return [...index.series.values()]
    .flatMap((s) => s.instances)
    .filter((h) => {
      if (!partial(h.path)) return true;
      reportPartial(h.path, out);
      return false;
    });
}

/** Compressed instances cut inside their last fragment pass the header scan: walk the item headers. */
async function checkFragmentsOf(instances: readonly DicomHeader[], out: EntryFindings): Promise<void> {
  for (const h of instances) {
    if (!h.pixelData?.encapsulated) continue;
    try {
      await checkFragments(h.path, h);
    } catch (e) {
      if (!isBerthError(e)) throw e;
      out.error(e, h.path);
    }
  }
}

/** An input's names and places: `<SOPInstanceUID>.dcm`, in `<SeriesInstanceUID>/` for a study. */
function checkNames(
  instances: readonly DicomHeader[],
  abs: string,
  study: boolean,
  out: EntryFindings,
): void {
  const misplaced = new Map<string, { series: string; count: number; first: string }>();
  for (const h of instances) {
    const name = path.basename(h.path);
    if (name !== `${h.SOPInstanceUID}.dcm`) {
      out.add(
        'BERTH_E_DICOM_FILE_NAME',
        `${name} holds SOPInstanceUID ${h.SOPInstanceUID}`,
        h.path,
        `${h.SOPInstanceUID}.dcm`,
      );
    }
    if (!study) continue;
    const dir = path.dirname(h.path);
    if (dir === abs) {
      out.add(
        'BERTH_E_DICOM_LAYOUT',
        `${name} lies directly in the study folder`,
        h.path,
        `${h.SeriesInstanceUID}/${h.SOPInstanceUID}.dcm`,
      );
    } else if (path.basename(dir) !== h.SeriesInstanceUID) {
      const key = `${dir}\u0000${h.SeriesInstanceUID}`;
      const m = misplaced.get(key);
      if (m) m.count++;
      else misplaced.set(key, { series: h.SeriesInstanceUID, count: 1, first: h.path });
    }
  }
  for (const [key, m] of misplaced) {
    const dir = key.slice(0, key.indexOf('\u0000'));
    out.add(
      'BERTH_E_DICOM_SERIES_FOLDER',
      `The folder ${path.basename(dir)} holds ${m.count} instance(s) of series ${m.series} (the first: ${path.basename(m.first)})`,
      dir,
      'each series in a folder named by its SeriesInstanceUID',
    );
  }
}

function counts(m: ReadonlyMap<string, number>): string {
  return [...m].map(([uid, n]) => `${uid} (${n} instance${n === 1 ? '' : 's'})`).join(', ');
}

/**
 * One study per property; one series per dicom-series; one frame of reference per series.
 * Returns the instances by series.
 */
function checkMixing(
  instances: readonly DicomHeader[],
  abs: string,
  study: boolean,
  out: EntryFindings,
): Map<string, DicomHeader[]> {
  const bySeries = new Map<string, DicomHeader[]>();
  const studies = new Map<string, number>();
  for (const h of instances) {
    const list = bySeries.get(h.SeriesInstanceUID);
    if (list) list.push(h);
    else bySeries.set(h.SeriesInstanceUID, [h]);
    studies.set(h.StudyInstanceUID, (studies.get(h.StudyInstanceUID) ?? 0) + 1);
  }
  if (!study && bySeries.size > 1) {
    out.add(
      'BERTH_E_DICOM_MIXED_SERIES',
      `The series folder holds ${bySeries.size} series: ${counts(new Map([...bySeries].map(([k, v]) => [k, v.length])))}`,
      abs,
      'instances of one SeriesInstanceUID',
    );
  }
  if (studies.size > 1) {
    out.add(
      'BERTH_E_DICOM_MIXED_STUDY',
      `The ${study ? 'study' : 'series'} holds instances of ${studies.size} studies: ${counts(studies)}`,
      abs,
      'instances of one StudyInstanceUID',
    );
  }
  for (const [uid, list] of bySeries) checkFrames(uid, list, study ? path.dirname(list[0]!.path) : abs, out);
  return bySeries;
}

function checkFrames(uid: string, list: readonly DicomHeader[], where: string, out: EntryFindings): void {
  const frames = new Map<string, number>();
  for (const h of list) {
    if (h.FrameOfReferenceUID !== undefined)
      frames.set(h.FrameOfReferenceUID, (frames.get(h.FrameOfReferenceUID) ?? 0) + 1);
  }
  if (frames.size > 1) {
    out.add(
      'BERTH_E_DICOM_MIXED_FRAME_OF_REFERENCE',
      `Series ${uid} holds instances of ${frames.size} frames of reference: ${counts(frames)}`,
      where,
      'one FrameOfReferenceUID per series',
    );
  }
}

/** The constraints and output rules of each instance, grouped. */
function checkInstances(
  instances: readonly DicomHeader[],
  c: DicomConstraints,
  side: Side,
  inputUids: InputDicomUids | undefined,
  out: EntryFindings,
): void {
  for (const h of instances) {
    for (const problem of instanceProblems(h, c, side)) out.instance(problem, h.path);
    if (inputUids) for (const problem of outputUidProblems(h, inputUids)) out.instance(problem, h.path);
  }
  out.flush(instances.length);
}
