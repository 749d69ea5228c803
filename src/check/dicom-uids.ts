/**
 * The output UID rule of the platform: DICOM outputs keep the inputs' StudyInstanceUID and never
 * reuse an input's SeriesInstanceUID or SOPInstanceUID; the input UIDs are collected once a run.
 */
import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { indexFolder, type IndexOptions } from '../dicom/index.js';
import { scanHeader, type DicomHeader } from '../dicom/scan.js';
import type { Property } from '../kinds/property.js';
import { ARRAY_INDEX, classifyEntry } from '../tree/entry.js';
import type { DicomProblem } from './dicom-rules.js';
import { dicomLevelOf } from '../kinds/registry.js';

/** The UIDs of a machine's DICOM inputs, which its DICOM outputs must not reuse (except the study's). */
export interface InputDicomUids {
  readonly sop: ReadonlySet<string>;
  readonly series: ReadonlySet<string>;
  readonly study: ReadonlySet<string>;
}

/** Gives the input UIDs, computed once on first use. */
export type InputUidSource = () => Promise<InputDicomUids>;

/**
 * The output UID rules for one instance: new SOPInstanceUID, new SeriesInstanceUID, and the
 * StudyInstanceUID of an input study (only when the inputs hold any DICOM).
 */
/**
 * What the platform requires of derived instances (EnvoyAI FAQ, "How should StudyInstanceUID
 * SeriesInstanceUID and SOPInstanceUID be treated?"), told in each UID finding so the message
 * teaches the rule.
 */
export const PLATFORM_UID_RULE =
  "the EnvoyAI platform requires derived instances to keep the input study's StudyInstanceUID, " +
  'share one new SeriesInstanceUID, and each have a new unique SOPInstanceUID';

export function outputUidProblems(h: DicomHeader, uids: InputDicomUids): DicomProblem[] {
  const out: DicomProblem[] = [];
  if (uids.sop.has(h.SOPInstanceUID)) {
    out.push({
      code: 'BERTH_E_DICOM_REUSED_SOP_UID',
      message: `SOPInstanceUID ${h.SOPInstanceUID} is the UID of an input instance: ${PLATFORM_UID_RULE}`,
      summary: `The SOPInstanceUID is the UID of an input instance: ${PLATFORM_UID_RULE}`,
      expected: 'a new SOPInstanceUID for every output instance',
    });
  }
  if (uids.series.has(h.SeriesInstanceUID)) {
    out.push({
      code: 'BERTH_E_DICOM_REUSED_SERIES_UID',
      message: `SeriesInstanceUID ${h.SeriesInstanceUID} is the UID of an input series: ${PLATFORM_UID_RULE}`,
      expected: 'a new SeriesInstanceUID for output series',
    });
  }
  if (uids.study.size > 0 && !uids.study.has(h.StudyInstanceUID)) {
    out.push({
      code: 'BERTH_E_DICOM_STUDY_NOT_KEPT',
      message: `StudyInstanceUID ${h.StudyInstanceUID} is not the UID of an input study: ${PLATFORM_UID_RULE}`,
      expected: `the StudyInstanceUID of an input: ${[...uids.study].slice(0, 3).join(', ')}${uids.study.size > 3 ? ', …' : ''}`,
    });
  }
  return out;
}

/**
 * Collects the SOP, series and study UIDs of every DICOM input present in an input tree (inside
 * objects and arrays too). Unreadable files are skipped: the input check reports them.
 * Symlinks are followed only inside the tree.
 */
export async function collectInputUids(
  root: string,
  properties: readonly Property[],
  options: Pick<IndexOptions, 'io' | 'concurrency' | 'maxFiles'> = {},
): Promise<InputDicomUids> {
  const sop = new Set<string>();
  const series = new Set<string>();
  const study = new Set<string>();
  const add = (h: DicomHeader): void => {
    sop.add(h.SOPInstanceUID);
    series.add(h.SeriesInstanceUID);
    study.add(h.StudyInstanceUID);
  };
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return { sop, series, study };
  }
  const visit = async (p: Property, abs: string): Promise<void> => {
    const info = await classifyEntry(abs, realRoot);
    const real = info.real ?? abs;
    const level = dicomLevelOf(p);
    if (level === 'instance' && info.kind === 'file') {
      try {
        add(await scanHeader(real));
      } catch {
        // Reported by the input check.
      }
    } else if (level !== undefined && level !== 'instance' && info.kind === 'directory') {
      const index = await indexFolder(real, options);
      for (const h of index.instances.values()) add(h);
    } else if (p.properties && info.kind === 'directory') {
      for (const m of p.properties) await visit(m, path.join(real, m.name));
    } else if (p.items && info.kind === 'directory') {
      let entries: string[] = [];
      try {
        entries = await readdir(real);
      } catch {
        // Reported by the input check.
      }
      for (const name of entries.filter((n) => ARRAY_INDEX.test(n)))
        await visit(p.items, path.join(real, name));
    }
  };
  for (const p of properties) await visit(p, path.join(realRoot, p.name));
  return { sop, series, study };
}

/** An {@link InputUidSource} over an input tree, collecting once on first use. */
export function inputUidSource(
  root: string,
  properties: readonly Property[],
  options: Pick<IndexOptions, 'io' | 'concurrency' | 'maxFiles'> = {},
): InputUidSource {
  let pending: Promise<InputDicomUids> | undefined;
  return () => (pending ??= collectInputUids(root, properties, options));
}
