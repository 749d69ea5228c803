/**
 * The file meta group of a rewritten Part 10 file (explicit VR little endian): the target transfer
 * syntax, berth's implementation UID and version, a recomputed group length, and MediaStorage UIDs
 * that agree with the data set.
 */
import { newElementHeader, readElementHeader, vrText, type ByteWindow } from './read-element.js';
import type { Part10Header } from './read-part10.js';
import type { DataSetEdits, Syntax } from './rewrite-elements.js';
import { scanHeaderBytes } from './scan.js';
import { BERTH_IMPLEMENTATION_CLASS_UID, BERTH_IMPLEMENTATION_VERSION } from './uid.js';
import { elementHeader } from './write.js';

/**
 * `edits` with the MediaStorage UIDs taken from the data set when the source's meta lacks them or
 * disagrees (a meta warning), unless the edits name them: what berth writes has a correct meta.
 */
export function withMediaStorage(
  edits: DataSetEdits | undefined,
  meta: Part10Header,
  buf: Buffer,
  path: string,
): DataSetEdits | undefined {
  if (meta.warnings.length === 0) return edits;
  const h = scanHeaderBytes(buf, path);
  return {
    ...edits,
    mediaStorageSopInstanceUid: edits?.mediaStorageSopInstanceUid ?? h.SOPInstanceUID,
    mediaStorageSopClassUid: edits?.mediaStorageSopClassUid ?? h.SOPClassUID,
  };
}

function uidBytes(uid: string): Buffer {
  const b = Buffer.from(uid, 'latin1');
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.alloc(1)]);
}

function textBytes(text: string): Buffer {
  const b = Buffer.from(text, 'latin1');
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.from(' ')]);
}

/** Rewrites the meta group (explicit VR little endian): new syntax, implementation and group length. */
export function rewriteMeta(
  buf: Buffer,
  metaEnd: number,
  targetUid: string,
  edits: DataSetEdits | undefined,
): Buffer {
  const w: ByteWindow = { buf, end: metaEnd, complete: true, path: '', inflated: false };
  const h = newElementHeader();
  const values = new Map<number, { vr: string; value: Buffer }>();
  for (let pos = 132; pos < metaEnd;) {
    readElementHeader(w, pos, true, true, h);
    values.set(h.tag, { vr: vrText(h.vr), value: buf.subarray(h.valueOffset, h.valueOffset + h.length) });
    pos = h.valueOffset + h.length;
  }
  values.delete(0x00020000);
  values.set(0x00020010, { vr: 'UI', value: uidBytes(targetUid) });
  values.set(0x00020012, { vr: 'UI', value: uidBytes(BERTH_IMPLEMENTATION_CLASS_UID) });
  values.set(0x00020013, { vr: 'SH', value: textBytes(BERTH_IMPLEMENTATION_VERSION) });
  if (!values.has(0x00020001)) values.set(0x00020001, { vr: 'OB', value: Buffer.from([0, 1]) });
  if (edits?.mediaStorageSopInstanceUid !== undefined) {
    values.set(0x00020003, { vr: 'UI', value: uidBytes(edits.mediaStorageSopInstanceUid) });
  }
  if (edits?.mediaStorageSopClassUid !== undefined) {
    values.set(0x00020002, { vr: 'UI', value: uidBytes(edits.mediaStorageSopClassUid) });
  }
  const le: Syntax = { little: true, explicit: true };
  const parts: Buffer[] = [];
  for (const tag of [...values.keys()].sort((a, b) => a - b)) {
    const { vr, value } = values.get(tag)!;
    parts.push(elementHeader(tag, vr, value.length, le), value);
  }
  const body = Buffer.concat(parts);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length, 0);
  return Buffer.concat([elementHeader(0x00020000, 'UL', 4, le), length, body]);
}
