/**
 * DICOM failures as {@link BerthError}s: one constructor for berth's own checks, and one that turns
 * whatever dicom-parser throws into the same shape.
 */
import { BerthError, isBerthError, toBerthError, type Code } from '../errors.js';

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

/**
 * Normalises the three kinds of things dicom-parser throws — plain strings, `Error`s, and
 * `{exception, dataSet}` objects (a buffer overrun, carrying the partial data set) — into one
 * {@link BerthError}. Overruns become BERTH_E_TRUNCATED; everything else BERTH_E_DICOM_PARSE.
 * Node I/O errors keep their I/O codes.
 */
export function fromDicomParserThrow(thrown: unknown, path: string): BerthError {
  if (isBerthError(thrown)) return thrown;
  if (typeof thrown === 'object' && thrown !== null && 'exception' in thrown) {
    const inner = (thrown as { exception: unknown }).exception;
    const text = typeof inner === 'string' ? inner : inner instanceof Error ? inner.message : String(inner);
    const code: Code = /overrun|beyond|end of/i.test(text) ? 'BERTH_E_TRUNCATED' : 'BERTH_E_DICOM_PARSE';
    return new BerthError(code, `dicom-parser: ${text}`, { path, cause: thrown });
  }
  const nodeCode = (thrown as { code?: unknown } | null)?.code;
  if (typeof nodeCode === 'string' && /^E[A-Z]+$/.test(nodeCode))
    return toBerthError(thrown, 'BERTH_E_IO', { path });
  const text =
    typeof thrown === 'string' ? thrown : thrown instanceof Error ? thrown.message : String(thrown);
  let code: DicomCode = 'BERTH_E_DICOM_PARSE';
  if (/DICM prefix not found|preamble/i.test(text)) code = 'BERTH_E_NOT_PART10';
  else if (/buffer overrun|attempt to read past end|outside the bounds/i.test(text))
    code = 'BERTH_E_TRUNCATED';
  else if (/transfer syntax/i.test(text)) code = 'BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX';
  return new BerthError(code, `dicom-parser: ${text}`, { path, cause: thrown });
}
