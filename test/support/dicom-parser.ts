/**
 * The full parse: dicom-parser over a whole file (or its header), an independent cross-check of
 * berth's scan in tests (berth itself never uses it: `header.get()`, sequences included, is served by
 * the scan, src/dicom/scan.ts and sequence.ts). dicom-parser is a devDependency for this reason.
 * Whatever dicom-parser throws comes out as one BerthError with a DICOM code.
 */
import fs from 'node:fs';
import dicomParser, { type DataSet } from 'dicom-parser';
import { BerthError, isBerthError, toBerthError, type Code } from '../../src/errors.js';
import { inflateDataSet } from '../../src/dicom/deflated.js';
import type { DicomCode } from '../../src/dicom/errors.js';
import type { InflateOptions } from '../../src/dicom/inflate.js';
import { readPart10Header } from '../../src/dicom/read-part10.js';

/** Options of {@link parseFull}. */
export interface ParseFullOptions extends InflateOptions {
  /** Stop before the pixel data (default false: parse everything). */
  stopBeforePixels?: boolean;
}

/**
 * Parses a whole file with dicom-parser (given a Node Buffer, which its deflate path needs).
 * Whatever dicom-parser throws comes out as one {@link BerthError} with a DICOM code.
 */
export function parseFull(path: string, options: ParseFullOptions = {}): DataSet {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw fromDicomParserThrow(e, path);
  }
  return parseFullBytes(bytes, path, options);
}

/** {@link parseFull} on bytes in memory; `path` is for error messages. */
export function parseFullBytes(bytes: Uint8Array, path: string, options: ParseFullOptions = {}): DataSet {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return dicomParser.parseDicom(buf, {
      ...(options.stopBeforePixels ? { untilTag: 'x7fe00010' } : {}),
      // dicom-parser's own deflate path inflates without any bound. It uses what the inflater
      // returns (meta group and inflated data set in one array), though its types say void.
      inflater: ((arr: Uint8Array, position: number) => {
        const bytes = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
        return Buffer.concat([bytes.subarray(0, position), inflateDataSet(bytes, position, path, options)]);
      }) as unknown as (arr: Uint8Array, position: number) => void,
    });
  } catch (e) {
    // dicom-parser refuses a meta without TransferSyntaxUID and reads a raw data set only when told
    // its syntax: berth's meta reader detects it (as dcmtk does) and the data set alone is parsed.
    const raw = detectedDataSet(buf, path);
    if (raw) {
      try {
        return dicomParser.parseDicom(raw.bytes, {
          ...(options.stopBeforePixels ? { untilTag: 'x7fe00010' } : {}),
          TransferSyntaxUID: raw.uid,
        });
      } catch {
        // fall through: report the first failure
      }
    }
    throw fromDicomParserThrow(e, path);
  }
}

/** The data set of a file whose syntax berth had to detect (no TransferSyntaxUID, no meta), or undefined. */
function detectedDataSet(buf: Buffer, path: string): { bytes: Buffer; uid: string } | undefined {
  try {
    const meta = readPart10Header(
      { buf, end: buf.length, complete: true, path, inflated: false },
      buf.length,
    );
    if (meta.warnings.length === 0 || meta.transferSyntax.deflated) return undefined;
    return { bytes: buf.subarray(meta.metaEnd), uid: meta.transferSyntaxUid };
  } catch {
    return undefined;
  }
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
