/**
 * Colour layouts of native pixel data, turned into the one layout berth hands out (samples
 * interleaved, one triple a pixel): PlanarConfiguration 1, YBR_FULL_422's shared chroma, and the
 * YBR_FULL → RGB conversion (PS3.3 C.7.6.3.1.2, the JPEG/JFIF equations).
 */

/** Planar frames (all R, all G, all B, per frame) to interleaved, in place of a copy. */
export function planarToInterleaved(
  bytes: Uint8Array,
  frames: number,
  pixels: number,
  samples: number,
  bytesPerSample: number,
): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(bytes.length));
  const frameBytes = pixels * samples * bytesPerSample;
  for (let f = 0; f < frames; f++) {
    const base = f * frameBytes;
    for (let s = 0; s < samples; s++) {
      for (let i = 0; i < pixels; i++) {
        for (let b = 0; b < bytesPerSample; b++) {
          out[base + (i * samples + s) * bytesPerSample + b] =
            bytes[base + (s * pixels + i) * bytesPerSample + b]!;
        }
      }
    }
  }
  return out;
}

/**
 * YBR_FULL_422 (Y1 Y2 Cb Cr for each pair of pixels along a row, PS3.3 C.7.6.3.1.2) to YBR_FULL
 * (Y Cb Cr for every pixel). `samples` is the number of pixels in all frames (even per row).
 */
export function expandYbr422(bytes: Uint8Array, pixels: number, bytesPerSample: number): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(pixels * 3 * bytesPerSample));
  const s = bytesPerSample;
  for (let pair = 0; pair < pixels / 2; pair++) {
    const i = pair * 4 * s;
    const o = pair * 6 * s;
    for (let b = 0; b < s; b++) {
      const y1 = bytes[i + b]!;
      const y2 = bytes[i + s + b]!;
      const cb = bytes[i + 2 * s + b]!;
      const cr = bytes[i + 3 * s + b]!;
      out[o + b] = y1;
      out[o + s + b] = cb;
      out[o + 2 * s + b] = cr;
      out[o + 3 * s + b] = y2;
      out[o + 4 * s + b] = cb;
      out[o + 5 * s + b] = cr;
    }
  }
  return out;
}

function clamp(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : Math.round(v);
}

/** YBR_FULL to RGB for 8- or 16-bit unsigned samples (in place). */
export function ybrFullToRgb(values: Uint8Array | Uint16Array, bitsStored: number): void {
  const max = 2 ** bitsStored - 1;
  const half = 2 ** (bitsStored - 1);
  for (let i = 0; i + 2 < values.length; i += 3) {
    const y = values[i]!;
    const cb = values[i + 1]! - half;
    const cr = values[i + 2]! - half;
    values[i] = clamp(y + 1.402 * cr, max);
    values[i + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr, max);
    values[i + 2] = clamp(y + 1.772 * cb, max);
  }
}
