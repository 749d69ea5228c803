/**
 * The output UID rule of the platform: DICOM outputs keep the inputs' StudyInstanceUID and never
 * reuse an input's SeriesInstanceUID or SOPInstanceUID; the input UIDs are collected once a run.
 */
import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ARRAY_INDEX, classifyEntry } from '../tree/entry.js';
import type { DicomLevel } from './constraints.js';
import { indexFolder, type IndexOptions } from './index.js';
import type { DicomProblem } from './instance-rules.js';
import { scanHeader, type DicomHeader } from './scan.js';

/** The UIDs of a machine's DICOM inputs, which its DICOM outputs must not reuse (except the study's). */
export interface InputDicomUids {
  readonly sop: ReadonlySet<string>;
  readonly series: ReadonlySet<string>;
  readonly study: ReadonlySet<string>;
}

/** Gives the input UIDs, computed once on first use. */
export type InputUidSource = () => Promise<InputDicomUids>;

/**
 * What the platform requires of derived instances (EnvoyAI FAQ, "How should StudyInstanceUID
 * SeriesInstanceUID and SOPInstanceUID be treated?"), told in each UID finding so the message
 * teaches the rule.
 */
export const PLATFORM_UID_RULE =
  "the EnvoyAI platform requires derived instances to keep the input study's StudyInstanceUID, " +
  'share one new SeriesInstanceUID, and each have a new unique SOPInstanceUID';

/**
 * The output UID rules for one instance: new SOPInstanceUID, new SeriesInstanceUID, and the
 * StudyInstanceUID of an input study (only when the inputs hold any DICOM).
 */
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
 * One entry of an input tree's layout, as the UID collection walks it: a DICOM entry (`level`),
 * an object (`properties`), an array (`items`), or anything else (skipped). A manifest's
 * properties have this shape; `levelOf` says which of them are DICOM.
 */
export interface UidLayoutNode<N> {
  readonly name: string;
  readonly properties?: readonly N[];
  readonly items?: N;
}

/**
 * Collects the SOP, series and study UIDs of every DICOM input present in an input tree (inside
 * objects and arrays too). Unreadable files are skipped: the input check reports them.
 * Symlinks are followed only inside the tree.
 */
export async function collectInputUids<N extends UidLayoutNode<N>>(
  root: string,
  nodes: readonly N[],
  levelOf: (node: N) => DicomLevel | undefined,
  options: Pick<IndexOptions, 'io' | 'concurrency' | 'maxFiles'> = {},
): Promise<InputDicomUids> {
  const uids = { sop: new Set<string>(), series: new Set<string>(), study: new Set<string>() };
  const add = (h: DicomHeader): void => {
    uids.sop.add(h.SOPInstanceUID);
    uids.series.add(h.SeriesInstanceUID);
    uids.study.add(h.StudyInstanceUID);
  };
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return uids;
  }
  const visit = async (n: N, abs: string): Promise<void> => {
    const info = await classifyEntry(abs, realRoot);
    const real = info.real ?? abs;
    const level = levelOf(n);
    if (level === 'instance' && info.kind === 'file') {
      try {
        add(await scanHeader(real));
      } catch {
        // Reported by the input check.
      }
    } else if (level !== undefined && level !== 'instance' && info.kind === 'directory') {
      const index = await indexFolder(real, options);
      for (const h of index.instances.values()) add(h);
    } else if (n.properties && info.kind === 'directory') {
      for (const m of n.properties) await visit(m, path.join(real, m.name));
    } else if (n.items && info.kind === 'directory') {
      for (const name of (await arrayEntries(real)).filter((e) => ARRAY_INDEX.test(e)))
        await visit(n.items, path.join(real, name));
    }
  };
  for (const n of nodes) await visit(n, path.join(realRoot, n.name));
  return uids;
}

async function arrayEntries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return []; // Reported by the input check.
  }
}

/** An {@link InputUidSource} over an input tree, collecting once on first use. */
export function inputUidSource<N extends UidLayoutNode<N>>(
  root: string,
  nodes: readonly N[],
  levelOf: (node: N) => DicomLevel | undefined,
  options: Pick<IndexOptions, 'io' | 'concurrency' | 'maxFiles'> = {},
): InputUidSource {
  let pending: Promise<InputDicomUids> | undefined;
  return () => (pending ??= collectInputUids(root, nodes, levelOf, options));
}
