/**
 * DICOM failures as {@link BerthError}s: the codes a DICOM read can fail with, and one constructor.
 * (What dicom-parser throws is mapped onto the same codes by the tests' full parse,
 * test/support/dicom-parser.ts.)
 */
import { BerthError } from '../errors.js';

/** The codes a DICOM read can fail with. */
export type DicomCode =
  | 'BERTH_E_NOT_PART10'
  | 'BERTH_E_TRUNCATED'
  | 'BERTH_E_NO_TRANSFER_SYNTAX'
  | 'BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX'
  | 'BERTH_E_MISSING_ATTRIBUTE'
  | 'BERTH_E_PIXEL_LENGTH'
  | 'BERTH_E_DICOM_PARSE'
  | 'BERTH_E_DICOM_INFLATE_LIMIT';

/** A DICOM error about `path`, saying what was found (`detail`) and what was expected. */
export function dicomError(
  code: DicomCode,
  path: string,
  detail: string,
  expected?: string,
  cause?: unknown,
): BerthError {
  return new BerthError(code, detail, { path, expected, cause });
}
