/**
 * RLE Lossless (1.2.840.10008.1.2.5), PS3.5 Annex G, berth's own: a 64-byte header of up to 15
 * segment offsets, then one PackBits segment per byte plane — for each sample, most significant
 * byte first. Decoding and encoding are exact by construction; the tests check both against dcmtk.
 */
import { CodecError, type DecodedFrame, type FrameCodec, type PixelInfo } from './types.js';

const UID = '1.2.840.10008.1.2.5';

function decode(frame: Uint8Array, info: PixelInfo): DecodedFrame {
  const bytesPerSample = info.bitsAllocated / 8;
  const planes = info.samplesPerPixel * bytesPerSample;
  const pixels = info.rows * info.columns;
  if (frame.length < 64) throw new CodecError(`An RLE frame of ${frame.length} bytes has no 64-byte header`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== planes) {
    throw new CodecError(`The RLE header lists ${segments} segments; the image needs ${planes}`);
  }
  const out = new Uint8Array(pixels * planes);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || end > frame.length || end < start) {
      throw new CodecError(
        `RLE segment ${s + 1} lies at ${start}–${end}, outside the ${frame.length}-byte frame`,
      );
    }
    // Segment s is sample floor(s / bytesPerSample), byte (bytesPerSample - 1 - s % bytesPerSample) (LE).
    const sample = Math.floor(s / bytesPerSample);
    const first = sample * bytesPerSample + (bytesPerSample - 1 - (s % bytesPerSample));
    unpackBits(frame, start, end, out, first, planes, pixels, s + 1);
  }
  return { bytes: out, photometricInterpretation: info.photometricInterpretation };
}

/** PackBits-decodes `src[start, end)` into every `stride`-th byte of `out` from `first`, `count` bytes. */
function unpackBits(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  first: number,
  stride: number,
  count: number,
  segment: number,
): void {
  let p = start;
  let o = first;
  const stop = first + count * stride;
  while (o < stop && p < end) {
    const n = src[p++]!;
    if (n < 128) {
      const len = n + 1;
      if (p + len > end) break;
      // A segment may end with padding past the plane: keep only what fits.
      for (let i = 0; i < len && o < stop; i++, o += stride) out[o] = src[p + i]!;
      p += len;
    } else if (n > 128) {
      const len = 257 - n;
      if (p >= end) break;
      const v = src[p++]!;
      for (let i = 0; i < len && o < stop; i++, o += stride) out[o] = v;
    }
  }
  if (o !== stop) {
    throw new CodecError(`RLE segment ${segment} decodes to ${(o - first) / stride} bytes, not ${count}`);
  }
}

function encode(native: Uint8Array, info: PixelInfo): Uint8Array {
  const bytesPerSample = info.bitsAllocated / 8;
  const planes = info.samplesPerPixel * bytesPerSample;
  if (planes > 15) throw new CodecError(`RLE holds at most 15 segments; the image needs ${planes}`);
  const pixels = info.rows * info.columns;
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, planes, true);
  let offset = 64;
  for (let s = 0; s < planes; s++) {
    const sample = Math.floor(s / bytesPerSample);
    const first = sample * bytesPerSample + (bytesPerSample - 1 - (s % bytesPerSample));
    const seg = packBits(native, first, planes, pixels, info.columns);
    view.setUint32(4 + 4 * s, offset, true);
    parts.push(seg);
    offset += seg.length;
  }
  const out = new Uint8Array(offset + (offset % 2));
  out.set(header, 0);
  let p = 64;
  for (const seg of parts) {
    out.set(seg, p);
    p += seg.length;
  }
  return out;
}

/** PackBits-encodes every `stride`-th byte from `first`, row by row (runs never cross a row, G.3.1). */
function packBits(
  src: Uint8Array,
  first: number,
  stride: number,
  count: number,
  columns: number,
): Uint8Array {
  const out = new Uint8Array(count + Math.ceil(count / 128) + 2 * Math.ceil(count / columns) + 2);
  let o = 0;
  for (let row = 0; row * columns < count; row++) {
    const rowStart = row * columns;
    const rowEnd = Math.min(count, rowStart + columns);
    let i = rowStart;
    const at = (k: number): number => src[first + k * stride]!;
    while (i < rowEnd) {
      let run = 1;
      while (i + run < rowEnd && run < 128 && at(i + run) === at(i)) run++;
      if (run >= 2) {
        out[o++] = 257 - run;
        out[o++] = at(i);
        i += run;
        continue;
      }
      // A literal: up to 128 bytes, stopping before a run of two or more.
      let len = 1;
      while (i + len < rowEnd && len < 128 && !(i + len + 1 < rowEnd && at(i + len) === at(i + len + 1)))
        len++;
      out[o++] = len - 1;
      for (let k = 0; k < len; k++) out[o++] = at(i + k);
      i += len;
    }
  }
  return out.subarray(0, o);
}

export const codec: FrameCodec = { uid: UID, decode, encode };
