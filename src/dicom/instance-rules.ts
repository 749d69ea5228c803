/**
 * The rules a DICOM instance meets against its property's constraints: classification of the codes
 * (not applicable vs broken) and the per-instance checks (transfer syntax, SOP class, modality),
 * shared by the folder checks, the SDK's writers and the wire decoder.
 */
import { isNotApplicableCode, type Code } from '../errors.js';
import type { Side } from '../tree/side.js';
import type { DicomConstraints } from './constraints.js';
import type { DicomHeader } from './scan.js';
import { canConvert, transferSyntax } from './transfer-syntax.js';

// ---------------------------------------------------------------------------------------------
// Classification

/**
 * True when a finding's code means the input is **not applicable** to the machine (a constraint
 * it does not meet: wrong modality, SOP class, transfer syntax or instance count); false when it
 * means the input is **broken** (corrupt, truncated or non-DICOM files, wrong names, duplicates,
 * mixed series, and every non-DICOM tree code). On outputs every error finding makes the output
 * invalid, whichever class its code is in. The class is the code's, in src/errors.ts.
 */
export const isNotApplicable: (code: Code) => boolean = isNotApplicableCode;

/** What a DICOM finding means for a run: see {@link isNotApplicable}. */
export type DicomFindingClass = 'not-applicable' | 'broken';

/** The class of a finding code: `not-applicable` or `broken` (see {@link isNotApplicable}). */
export function dicomFindingClass(code: Code): DicomFindingClass {
  return isNotApplicable(code) ? 'not-applicable' : 'broken';
}

// ---------------------------------------------------------------------------------------------
// Per-instance rules

/** One problem with one instance: a code, what was found, and what was expected. */
export interface DicomProblem {
  readonly code: Code;
  readonly message: string;
  readonly expected?: string;
  /** The message when many instances have this problem and differ only in a UID (groups them). */
  readonly summary?: string;
}

function names(uids: readonly string[]): string {
  return uids.map((u) => (transferSyntax(u) ? `${u} (${transferSyntax(u)!.name})` : u)).join(', ');
}

/**
 * An instance in a syntax its property does not list. An **input** berth converts to a listed one
 * (canConvert) is acceptable — `berth run` delivers it converted, as the platform converts inputs
 * to the declared syntax — so it is only the warning BERTH_E_DICOM_CONVERTED; one it cannot convert,
 * and any output, is BERTH_E_DICOM_TRANSFER_SYNTAX (not applicable). One rule for validate, the
 * wire decoder and the case materialiser (which convert by ./deliver.ts).
 */
function transferSyntaxProblem(h: DicomHeader, accepted: readonly string[], side: Side): DicomProblem {
  const uid = h.TransferSyntaxUID;
  const expected = `one of ${names(accepted)} (transfer-syntax-uid)`;
  const to = side === 'in' ? accepted.find((t) => canConvert(uid, t, h.BitsStored)) : undefined;
  if (to !== undefined) {
    return {
      code: 'BERTH_E_DICOM_CONVERTED',
      message: `TransferSyntaxUID is ${names([uid])}; berth run delivers it converted to ${names([to])}, as the platform converts inputs to the declared syntax`,
      expected,
    };
  }
  return { code: 'BERTH_E_DICOM_TRANSFER_SYNTAX', message: `TransferSyntaxUID is ${names([uid])}`, expected };
}

/** The constraints (`transfer-syntax-uid`, `sop-classes`, `modalities`) one instance on `side` breaks. */
export function instanceProblems(h: DicomHeader, c: DicomConstraints, side: Side): DicomProblem[] {
  const out: DicomProblem[] = [];
  if (c.transferSyntaxUids && !c.transferSyntaxUids.includes(h.TransferSyntaxUID)) {
    out.push(transferSyntaxProblem(h, c.transferSyntaxUids, side));
  }
  if (c.sopClasses && !c.sopClasses.includes(h.SOPClassUID)) {
    out.push({
      code: 'BERTH_E_DICOM_SOP_CLASS',
      message: `SOPClassUID is ${h.SOPClassUID}`,
      expected: `one of ${c.sopClasses.join(', ')} (sop-classes)`,
    });
  }
  if (c.modalities && !(h.Modality !== undefined && c.modalities.includes(h.Modality))) {
    out.push({
      code: 'BERTH_E_DICOM_MODALITY',
      message: h.Modality === undefined ? 'The instance has no Modality' : `Modality is ${h.Modality}`,
      expected: `one of ${c.modalities.join(', ')} (modalities)`,
    });
  }
  return out;
}
