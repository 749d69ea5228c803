/**
 * The checks of one DICOM property's entry in a tree: a dicom-image file, or a dicom-series /
 * dicom-study folder (layout, names, duplicates, mixed series, instance counts), collected as
 * findings against the property.
 */
import path from 'node:path';
import {
  finding,
  isBerthError,
  isBrokenDicomCode,
  type BerthError,
  type Code,
  type Finding,
} from '../errors.js';
import { indexFolder, type IndexOptions } from '../dicom/index.js';
import { checkFragments } from '../dicom/encapsulated.js';
import { scanHeader, type DicomHeader } from '../dicom/scan.js';
import type { Property, Side } from '../kinds/property.js';
import { isAtomicTempName } from '../tree/atomic.js';
import { dicomSpecOf } from '../kinds/dicom-constraints.js';
import { dicomLevelOf } from '../kinds/registry.js';

import { instanceProblems, type DicomProblem } from './dicom-rules.js';
import { outputUidProblems, type InputDicomUids } from './dicom-uids.js';

/** Collects findings of one property; groups repeats of one problem across instances. */
/** What {@link checkDicomProperty} needs besides the property. */
export interface DicomPropertyCheckOptions {
  /** Outputs only: the inputs' UIDs, for the output UID rules. */
  inputUids?: InputDicomUids;
  index?: Pick<IndexOptions, 'io' | 'concurrency' | 'maxFiles'>;
}

export class Findings {
  readonly list: Finding[] = [];
  private readonly groups = new Map<string, { first: string; count: number; problem: DicomProblem }>();

  constructor(private readonly p: Property) {}

  add(code: Code, message: string, abs: string, expected?: string): void {
    this.list.push(
      finding(code, message, {
        path: abs,
        property: this.p.path,
        ...(expected === undefined ? {} : { expected }),
      }),
    );
  }

  /**
   * The file meta defects the scan read past (BERTH_E_DICOM_META_*), as warnings: the data set is
   * authoritative, so they never make an input broken. One finding per code, counting instances.
   */
  metaWarnings(headers: readonly DicomHeader[]): void {
    const byCode = new Map<Code, { first: string; message: string; count: number }>();
    for (const h of headers) {
      for (const w of h.warnings) {
        const g = byCode.get(w.code);
        if (g) g.count++;
        else byCode.set(w.code, { first: h.path, message: w.message, count: 1 });
      }
    }
    for (const [code, g] of byCode) {
      const message = g.count === 1 ? g.message : `${g.message} (and in ${g.count - 1} more instance(s))`;
      this.list.push(
        finding(code, message, {
          path: g.first,
          property: this.p.path,
          severity: 'warning',
          expected: "a file meta group naming the data set's SOP class, instance and transfer syntax",
        }),
      );
    }
  }

  error(e: BerthError, abs: string): void {
    this.add(e.code, e.detail, e.path ?? abs, e.expected);
  }

  /** One problem of one instance: the same problem in many instances becomes one finding. */
  instance(problem: DicomProblem, file: string): void {
    const key = `${problem.code}\u0000${problem.summary ?? problem.message}`;
    const g = this.groups.get(key);
    if (g) g.count++;
    else this.groups.set(key, { first: file, count: 1, problem });
  }

  /** Turns the grouped instance problems into findings (`total` instances were looked at). */
  flush(total: number): void {
    for (const { first, count, problem } of this.groups.values()) {
      const message =
        count === 1 || total <= 1
          ? problem.message
          : `${problem.summary ?? problem.message} in ${count} of ${total} instances (the first: ${path.basename(first)})`;
      this.add(problem.code, message, first, problem.expected);
    }
    this.groups.clear();
  }
}

export async function checkImage(
  p: Property,
  abs: string,
  options: DicomPropertyCheckOptions,
  out: Findings,
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
  for (const problem of instanceProblems(h, p)) out.instance(problem, abs);
  if (options.inputUids)
    for (const problem of outputUidProblems(h, options.inputUids)) out.instance(problem, abs);
  out.flush(1);
}

/**
 * Checks a dicom-series or dicom-study folder. Inputs follow the platform's layout exactly
 * (`<SOPInstanceUID>.dcm`, in `<SeriesInstanceUID>/` for studies); outputs may name files freely,
 * and a study output may nest folders freely.
 */
export async function checkFolder(
  p: Property,
  abs: string,
  side: Side,
  options: DicomPropertyCheckOptions,
  out: Findings,
): Promise<void> {
  const study = dicomLevelOf(p) === 'study';
  const input = side === 'in';
  // A series holds files only; an input study one level of series folders; an output study anything.
  const maxDepth = study ? (input ? 1 : 32) : 0;
  const index = await indexFolder(abs, { ...options.index, maxDepth });

  const partial = (file: string): boolean => isAtomicTempName(path.basename(file));
  const reportPartial = (file: string): void =>
    out.add(
      'BERTH_E_TREE_PARTIAL_WRITE',
      `${path.basename(file)} is left over from a write that never finished`,
      file,
    );

  // Broken files: each with its own code; they still count as instances of their folder.
  const brokenByDir = new Map<string, number>();
  for (const { path: file, error } of index.errors) {
    if (partial(file)) {
      reportPartial(file);
      continue;
    }
    out.error(error, file);
    if (isBrokenDicomCode(error.code) && file !== abs) {
      brokenByDir.set(path.dirname(file), (brokenByDir.get(path.dirname(file)) ?? 0) + 1);
    }
  }
  for (const { path: file, error } of index.strays) {
    if (partial(file)) reportPartial(file);
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

  // Series by series, each in geometric order, so "the first" of a group is the first slice.
  const instances = [...index.series.values()]
    .flatMap((s) => s.instances)
    .filter((h) => {
      if (!partial(h.path)) return true;
      reportPartial(h.path);
      return false;
    });
  // Compressed instances cut inside their last fragment pass the header scan: walk the item headers.
  for (const h of instances) {
    if (!h.pixelData?.encapsulated) continue;
    try {
      await checkFragments(h.path, h);
    } catch (e) {
      if (!isBerthError(e)) throw e;
      out.error(e, h.path);
    }
  }
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
  if (input) {
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

  // One study per property; one series per dicom-series; one frame of reference per series.
  const bySeries = new Map<string, DicomHeader[]>();
  const studies = new Map<string, number>();
  for (const h of instances) {
    const list = bySeries.get(h.SeriesInstanceUID);
    if (list) list.push(h);
    else bySeries.set(h.SeriesInstanceUID, [h]);
    studies.set(h.StudyInstanceUID, (studies.get(h.StudyInstanceUID) ?? 0) + 1);
  }
  const counts = (m: Map<string, number>): string =>
    [...m].map(([uid, n]) => `${uid} (${n} instance${n === 1 ? '' : 's'})`).join(', ');
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
  for (const [uid, list] of bySeries) {
    const frames = new Map<string, number>();
    for (const h of list) {
      if (h.FrameOfReferenceUID !== undefined)
        frames.set(h.FrameOfReferenceUID, (frames.get(h.FrameOfReferenceUID) ?? 0) + 1);
    }
    if (frames.size > 1) {
      out.add(
        'BERTH_E_DICOM_MIXED_FRAME_OF_REFERENCE',
        `Series ${uid} holds instances of ${frames.size} frames of reference: ${counts(frames)}`,
        study ? path.dirname(list[0]!.path) : abs,
        'one FrameOfReferenceUID per series',
      );
    }
  }

  // Constraints and output rules of each instance, grouped.
  for (const h of instances) {
    for (const problem of instanceProblems(h, p)) out.instance(problem, h.path);
    if (options.inputUids)
      for (const problem of outputUidProblems(h, options.inputUids)) out.instance(problem, h.path);
  }
  out.flush(instances.length);

  checkCounts(p, abs, instances, bySeries, brokenByDir, out);
}

/**
 * The instance-count constraints. A broken file counts as an instance (it is reported with its
 * own code, and should not also make a count wrong); duplicates and stray files do not.
 * `study-related-series` is compared as a multiset: the series' counts, in any order, must be
 * exactly the listed counts, because nothing orders the series of a study (their folders are named
 * by random UIDs).
 */
function checkCounts(
  p: Property,
  abs: string,
  instances: readonly DicomHeader[],
  bySeries: ReadonlyMap<string, readonly DicomHeader[]>,
  brokenByDir: ReadonlyMap<string, number>,
  out: Findings,
): void {
  const c = dicomSpecOf(p).constraints;
  let broken = 0;
  for (const n of brokenByDir.values()) broken += n;
  const total = instances.length + broken;
  const plural = (n: number, word: string): string =>
    `${n} ${word}${n === 1 || word === 'series' ? '' : 's'}`;
  if (
    dicomLevelOf(p) === 'series' &&
    c.seriesRelatedInstances !== undefined &&
    total !== c.seriesRelatedInstances
  ) {
    out.add(
      'BERTH_E_DICOM_SERIES_INSTANCES',
      `The series holds ${plural(total, 'instance')}${broken ? ` (${broken} of them unreadable)` : ''}`,
      abs,
      `${c.seriesRelatedInstances} (series-related-instances)`,
    );
  }
  if (dicomLevelOf(p) !== 'study') return;
  if (c.studyRelatedInstances !== undefined && total !== c.studyRelatedInstances) {
    out.add(
      'BERTH_E_DICOM_STUDY_INSTANCES',
      `The study holds ${plural(total, 'instance')}${broken ? ` (${broken} of them unreadable)` : ''}`,
      abs,
      `${c.studyRelatedInstances} (study-related-instances)`,
    );
  }
  if (!c.studyRelatedSeries) return;
  // Each series with its count; a broken file counts for the series most of its folder belongs to.
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
  const left = [...c.studyRelatedSeries];
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
    `${plural(c.studyRelatedSeries.length, 'series')} holding [${[...c.studyRelatedSeries].sort((a, b) => a - b).join(', ')}] instances, in any order (study-related-series)`,
  );
}
