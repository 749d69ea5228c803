/**
 * Reads the Part 10 framing: the 128-byte preamble, the `DICM` prefix and the file meta group
 * (group 0002, always explicit VR little endian), as dicomParser's `readPart10Header` does.
 *
 * Tolerant where dcmtk and pydicom are (issue 14): a meta group without TransferSyntaxUID, and a
 * raw data set without preamble and meta (its first element in group 0008), are read with the
 * transfer syntax their first data element shows, and say so as a warning
 * (BERTH_E_DICOM_META_MISSING). The well-formed file takes the same path as before.
 */
import { dicomError } from './errors.js';
import { formatTag, VRS } from './dictionary.js';
import {
  need,
  newElementHeader,
  readElementHeader,
  readUint16,
  UNDEFINED_LENGTH,
  type ByteWindow,
} from './read-element.js';
import { transferSyntax, type TransferSyntax } from './transfer-syntax.js';

/** What the file meta group says. */
export interface Part10Header {
  /** Offset of the first byte after the file meta group (where the data set starts). */
  readonly metaEnd: number;
  readonly transferSyntaxUid: string;
  readonly transferSyntax: TransferSyntax;
  readonly mediaStorageSopClassUid: string | undefined;
  readonly mediaStorageSopInstanceUid: string | undefined;
  /** What the meta lacks and how berth read the file anyway; empty for a well-formed file. */
  readonly warnings: readonly MetaWarning[];
}

/** A meta defect berth reads past: reported as a warning finding, never a broken file. */
export interface MetaWarning {
  readonly code: 'BERTH_E_DICOM_META_MISSING' | 'BERTH_E_DICOM_META_MISMATCH';
  readonly message: string;
}

const PREAMBLE = 128;

/** Decodes a UI value: ASCII, padded with NUL (or, wrongly but commonly, with spaces). */
export function readUid(b: Buffer, start: number, length: number): string {
  let end = start + length;
  while (end > start && (b[end - 1] === 0 || b[end - 1] === 0x20)) end--;
  let s = start;
  while (s < end && b[s] === 0x20) s++;
  return b.toString('latin1', s, end);
}

/** True when `b` starts like a Part 10 file (preamble then `DICM`); needs at least 132 bytes. */
export function hasDicmPrefix(b: Buffer, available: number): boolean {
  return available >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;
}

/**
 * Checks the preamble and `DICM`, then reads the file meta elements until the first element of
 * another group. Fails with BERTH_E_NOT_PART10, BERTH_E_TRUNCATED, BERTH_E_NO_TRANSFER_SYNTAX or
 * BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX.
 */
export function readPart10Header(w: ByteWindow, fileSize: number): Part10Header {
  if (w.end < PREAMBLE + 4 && !w.complete) need(w, PREAMBLE + 4, 'the preamble');
  if (!hasDicmPrefix(w.buf, w.end)) {
    if (looksLikeRawDataSet(w.buf, w.end)) return rawDataSet(w);
    const detail =
      fileSize === 0
        ? 'The file is empty'
        : fileSize < PREAMBLE + 4
          ? `The file is only ${fileSize} bytes, too short for the 128-byte preamble and DICM`
          : `No DICM prefix at byte 128 (found ${JSON.stringify(w.buf.toString('latin1', 128, 132))})`;
    throw dicomError('BERTH_E_NOT_PART10', w.path, detail, 'a 128-byte preamble followed by "DICM"');
  }
  const h = newElementHeader();
  let pos = PREAMBLE + 4;
  let tsUid: string | undefined;
  let classUid: string | undefined;
  let instanceUid: string | undefined;
  for (;;) {
    if (w.complete && pos + 2 > w.end) break;
    need(w, pos + 2, 'the file meta group');
    if (readUint16(w.buf, pos, true) !== 0x0002) break;
    readElementHeader(w, pos, true, true, h);
    if (h.length === UNDEFINED_LENGTH) {
      throw dicomError(
        'BERTH_E_DICOM_PARSE',
        w.path,
        `File meta element ${formatTag(h.tag)} has undefined length`,
        'defined lengths in the file meta group',
      );
    }
    const end = h.valueOffset + h.length;
    need(w, end, h.tag);
    if (h.tag === 0x00020010) tsUid = readUid(w.buf, h.valueOffset, h.length);
    else if (h.tag === 0x00020002) classUid = readUid(w.buf, h.valueOffset, h.length);
    else if (h.tag === 0x00020003) instanceUid = readUid(w.buf, h.valueOffset, h.length);
    pos = end;
  }
  if (!tsUid) return withDetectedSyntax(w, pos, classUid, instanceUid);
  const ts = transferSyntax(tsUid);
  if (!ts) {
    throw dicomError(
      'BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX',
      w.path,
      `Transfer syntax ${JSON.stringify(tsUid)} is not one berth can read`,
      'a standard native or encapsulated transfer syntax (see knownTransferSyntaxes())',
    );
  }
  return {
    metaEnd: pos,
    transferSyntaxUid: tsUid,
    transferSyntax: ts,
    mediaStorageSopClassUid: classUid,
    mediaStorageSopInstanceUid: instanceUid,
    warnings: [],
  };
}

/**
 * The syntax of a data set whose meta does not say, from its first element as dcmtk decides:
 * two VR letters after the tag mean explicit VR; a group that reads small only as big endian means
 * big endian. Undefined when fewer than 8 bytes are left.
 */
function detectSyntax(b: Buffer, pos: number, end: number): TransferSyntax | undefined {
  if (pos + 8 > end) return undefined;
  const explicit = VRS.has(b.toString('latin1', pos + 4, pos + 6));
  const bigEndian = readUint16(b, pos, true) > 0x00ff && readUint16(b, pos, false) <= 0x00ff;
  const uid = explicit ? (bigEndian ? TS_EXPLICIT_BIG : TS_EXPLICIT_LITTLE) : TS_IMPLICIT_LITTLE;
  return transferSyntax(uid);
}

const TS_IMPLICIT_LITTLE = '1.2.840.10008.1.2';
const TS_EXPLICIT_LITTLE = '1.2.840.10008.1.2.1';
const TS_EXPLICIT_BIG = '1.2.840.10008.1.2.2';

function withDetectedSyntax(
  w: ByteWindow,
  metaEnd: number,
  classUid: string | undefined,
  instanceUid: string | undefined,
  noMeta = false,
): Part10Header {
  if (!w.complete) need(w, metaEnd + 8, 'the first data element');
  const ts = detectSyntax(w.buf, metaEnd, w.end);
  if (!ts) {
    throw dicomError(
      'BERTH_E_NO_TRANSFER_SYNTAX',
      w.path,
      'The file meta group has no TransferSyntaxUID (0002,0010) and no data element follows it',
      'a TransferSyntaxUID in the file meta group',
    );
  }
  const what = noMeta
    ? 'The file has no preamble and no file meta group (a raw data set)'
    : 'The file meta group has no TransferSyntaxUID (0002,0010)';
  return {
    metaEnd,
    transferSyntaxUid: ts.uid,
    transferSyntax: ts,
    mediaStorageSopClassUid: classUid,
    mediaStorageSopInstanceUid: instanceUid,
    warnings: [
      { code: 'BERTH_E_DICOM_META_MISSING', message: `${what}; read as ${ts.name} by its first element` },
    ],
  };
}

/**
 * True when the bytes start like a data set without preamble: a group 0008 element (in either
 * byte order), as every composite instance starts — strict, so a README or zeros stay strays.
 */
function looksLikeRawDataSet(b: Buffer, end: number): boolean {
  if (end < 8) return false;
  const group = b[0] === 0x08 && b[1] === 0x00 ? 'le' : b[0] === 0x00 && b[1] === 0x08 ? 'be' : undefined;
  if (!group) return false;
  const element = readUint16(b, 2, group === 'le');
  return element < 0x1000 && (VRS.has(b.toString('latin1', 4, 6)) || readUint16(b, 6, true) === 0);
}

function rawDataSet(w: ByteWindow): Part10Header {
  return withDetectedSyntax(w, 0, undefined, undefined, true);
}
