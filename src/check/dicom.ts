/**
 * DICOM properties in trees: the checks `checkTree` runs on dicom-image files and dicom-series /
 * dicom-study folders, on inputs (the platform's layout) and on outputs (the reference's
 * relaxations plus the output UID rules).
 *
 * Every finding's code says what kind of problem it is: a **not applicable** case (the data is
 * fine DICOM but not what the property accepts: transfer syntax, SOP class, modality, instance
 * counts) or a **broken** one (unreadable or non-DICOM files, wrong names, duplicates, mixed
 * series). {@link isNotApplicable} tells them apart, so a harness can stop a run as
 * `not-applicable` rather than `invalid-input`.
 *
 * Nothing here reads pixel data: headers come from the prefix scan, and a broken file is reported
 * with its own code while the rest of its folder is still checked.
 */
import type { Finding } from '../errors.js';
import type { IndexOptions } from '../dicom/index.js';
import type { Property, Side } from '../kinds/property.js';
import type { DicomTreeCheck } from './tree.js';
import { dicomLevelOf } from '../kinds/registry.js';
import { checkFolder, checkImage, Findings, type DicomPropertyCheckOptions } from './dicom-folder.js';
import { inputUidSource, type InputUidSource } from './dicom-uids.js';

export type { DicomPropertyCheckOptions } from './dicom-folder.js';

export {
  dicomFindingClass,
  instanceProblems,
  isNotApplicable,
  type DicomFindingClass,
  type DicomProblem,
} from './dicom-rules.js';
export {
  collectInputUids,
  inputUidSource,
  outputUidProblems,
  PLATFORM_UID_RULE,
  type InputDicomUids,
  type InputUidSource,
} from './dicom-uids.js';

// ---------------------------------------------------------------------------------------------
// The tree check

/** Options of {@link dicomTreeCheck}. */
export interface DicomCheckOptions {
  /**
   * The machine's inputs, for the output rules (new SOP and series UIDs, the input's study UID):
   * the input tree's root and `schema-in` properties, or an {@link InputUidSource}. Without it
   * outputs are checked without those rules.
   */
  inputs?: { root: string; properties: readonly Property[] } | InputUidSource;
  /** How folders are indexed (see `indexFolder`). */
  index?: Pick<IndexOptions, 'io' | 'concurrency' | 'maxFiles'>;
}

/**
 * The DICOM check `checkTree` runs on DICOM properties (pass it as the `dicom` option):
 *
 * ```ts
 * await checkTree(def, 'in', inputDir, { dicom: dicomTreeCheck() });
 * await checkTree(def, 'out', outputDir, {
 *   dicom: dicomTreeCheck({ inputs: { root: inputDir, properties: def.inputs } }),
 * });
 * ```
 */
export function dicomTreeCheck(options: DicomCheckOptions = {}): DicomTreeCheck {
  const inputs = options.inputs;
  const uids: InputUidSource | undefined =
    inputs === undefined
      ? undefined
      : typeof inputs === 'function'
        ? inputs
        : inputUidSource(inputs.root, inputs.properties, options.index);
  return async (p, abs, side, report) => {
    const findings = await checkDicomProperty(p, abs, side, {
      ...(uids && side === 'out' ? { inputUids: await uids() } : {}),
      ...(options.index ? { index: options.index } : {}),
    });
    for (const f of findings) report(f);
  };
}

/**
 * Checks one DICOM property's entry — a dicom-image file, a dicom-series or dicom-study folder —
 * and returns every finding. Never throws for bad content.
 */
export async function checkDicomProperty(
  p: Property,
  abs: string,
  side: Side,
  options: DicomPropertyCheckOptions = {},
): Promise<Finding[]> {
  const out = new Findings(p);
  const level = dicomLevelOf(p);
  if (level === 'instance') await checkImage(p, abs, options, out);
  else if (level !== undefined) await checkFolder(p, abs, side, options, out);
  return out.list;
}
