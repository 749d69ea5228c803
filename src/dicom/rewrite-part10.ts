/**
 * The engine of transcoding and deriving (transcode.ts, derive.ts, transcode-pixels.ts): a Part 10
 * file rewritten element by element into another syntax, as transcode.ts's module comment describes.
 * This file assembles the output; the element walk is rewrite-elements.ts (values between byte
 * orders: rewrite-values.ts) and the file meta group rewrite-meta.ts.
 */
import zlib from 'node:zlib';
import { BerthError } from '../errors.js';
import { inflateDataSet } from './deflated.js';
import type { InflateOptions } from './inflate.js';
import { PIXEL_DATA, type ByteWindow } from './read-element.js';
import { hasDicmPrefix, readPart10Header } from './read-part10.js';
import { rewriteElements, TopEdits, type DataSetEdits, type Job, type Syntax } from './rewrite-elements.js';
import { rewriteMeta, withMediaStorage } from './rewrite-meta.js';
import { transferSyntax, TS, type TransferSyntax } from './transfer-syntax.js';

/** What a transcoding did. */
export interface TranscodeResult {
  readonly sourceTransferSyntaxUid: string;
  readonly targetTransferSyntaxUid: string;
  /** The target was the source: the bytes were copied unchanged. */
  readonly unchanged: boolean;
  readonly bytes: Buffer;
}

export type { DataSetEdits } from './rewrite-elements.js';

/** The refusal of a conversion berth cannot do. */
export function unsupported(path: string, from: TransferSyntax, to: string): BerthError {
  const target = transferSyntax(to);
  const name = target ? `${target.name} (${to})` : JSON.stringify(to);
  return new BerthError(
    'BERTH_E_TRANSCODE_UNSUPPORTED',
    `Cannot convert ${from.name} (${from.uid}) to ${name}: berth converts among the native ` +
      'syntaxes, decodes the compressed syntaxes it has a codec for and writes lossless ones only ' +
      '(see the transfer syntax table of the README)',
    { path, expected: 'a syntax berth decodes, converted to a native or lossless syntax' },
  );
}

/**
 * The engine of transcoding and deriving: rewrites a Part 10 file into `targetUid`, applying `edits`
 * to the top level of the data set. Without edits, a target equal to the source copies the bytes.
 * @internal
 */
export function rewritePart10(
  bytes: Uint8Array,
  targetUid: string,
  path: string,
  edits: DataSetEdits | undefined,
  inflate: InflateOptions = {},
): TranscodeResult {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const w: ByteWindow = { buf, end: buf.length, complete: true, path, inflated: false };
  const meta = readPart10Header(w, buf.length);
  const from = meta.transferSyntax;
  const to = transferSyntax(targetUid);
  const result = (out: Buffer, unchanged: boolean): TranscodeResult => ({
    sourceTransferSyntaxUid: from.uid,
    targetTransferSyntaxUid: targetUid,
    unchanged,
    bytes: out,
  });
  // A raw data set (no preamble, no meta) is never "unchanged": what berth writes is Part 10.
  const part10 = hasDicmPrefix(buf, buf.length);
  if (!edits && from.uid === targetUid && part10) return result(Buffer.from(buf), true);
  const replacesPixels = edits?.set?.some((e) => e.tag === PIXEL_DATA) ?? false;
  // Edits that replace the pixel data may start from a compressed file: its fragments are never read.
  if (!to || ((to.encapsulated || from.encapsulated) && !replacesPixels))
    throw unsupported(path, from, targetUid);

  let data: ByteWindow = { buf, end: buf.length, complete: true, path, inflated: false };
  let start = meta.metaEnd;
  if (from.deflated) {
    const inflated = inflateDataSet(buf, meta.metaEnd, path, inflate);
    data = { buf: inflated, end: inflated.length, complete: true, path, inflated: true };
    start = 0;
  }
  const dst: Syntax = { little: to.littleEndian, explicit: to.explicitVr };
  const job: Job = {
    path,
    dst,
    dstUid: !dst.explicit
      ? TS.ImplicitVRLittleEndian
      : dst.little
        ? TS.ExplicitVRLittleEndian
        : TS.ExplicitVRBigEndian,
    vr: {},
  };
  const body: Buffer[] = [];
  const src: Syntax = { little: from.littleEndian, explicit: from.explicitVr };
  rewriteElements(
    job,
    data,
    src,
    start,
    data.end,
    false,
    0,
    body,
    edits ? new TopEdits(job, edits) : undefined,
  );
  const bodyBytes = Buffer.concat(body);
  const out = Buffer.concat([
    // The source's preamble, or zeros: a raw data set's first 128 bytes are data, not a preamble.
    part10 ? buf.subarray(0, 128) : Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    rewriteMeta(buf, meta.metaEnd, targetUid, withMediaStorage(edits, meta, buf, path)),
    to.deflated ? zlib.deflateRawSync(bodyBytes) : bodyBytes,
  ]);
  return result(out, false);
}
