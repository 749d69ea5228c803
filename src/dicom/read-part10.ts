/**
 * Reads the Part 10 framing: the 128-byte preamble, the `DICM` prefix and the file meta group
 * (group 0002, always explicit VR little endian), as dicomParser's `readPart10Header` does.
 */
import { dicomError } from './errors.js';
import { formatTag } from './dictionary.js';
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
  if (!tsUid) {
    throw dicomError(
      'BERTH_E_NO_TRANSFER_SYNTAX',
      w.path,
      'The file meta group has no TransferSyntaxUID (0002,0010)',
      'a TransferSyntaxUID in the file meta group',
    );
  }
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
  };
}
