/** Sample layout helpers shared by the codecs: interleaving, widening and sign extension. */
import { CodecError, type PixelInfo } from './types.js';
import type { WasmFrameInfo } from './wasm.js';

/** Planar (all of sample 0, then 1, …) to interleaved, for `bytesPerSample`-byte samples. */
export function interleave(
  planar: Uint8Array,
  pixels: number,
  samples: number,
  bytesPerSample: number,
): Uint8Array {
  const out = new Uint8Array(planar.length);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < pixels; i++) {
      for (let b = 0; b < bytesPerSample; b++) {
        out[(i * samples + s) * bytesPerSample + b] = planar[(s * pixels + i) * bytesPerSample + b]!;
      }
    }
  }
  return out;
}

/** Interleaved to planar (the inverse of {@link interleave}). */
export function deinterleave(
  interleaved: Uint8Array,
  pixels: number,
  samples: number,
  bytesPerSample: number,
): Uint8Array {
  const out = new Uint8Array(interleaved.length);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < pixels; i++) {
      for (let b = 0; b < bytesPerSample; b++) {
        out[(s * pixels + i) * bytesPerSample + b] = interleaved[(i * samples + s) * bytesPerSample + b]!;
      }
    }
  }
  return out;
}

/**
 * Refuses a codestream whose size is not the data set's: berth's own decoders call it on the frame
 * header, before allocating anything for a size a hostile header may make 64K × 64K.
 */
export function expectFrameSize(width: number, height: number, components: number, info: PixelInfo): void {
  if (width !== info.columns || height !== info.rows || components !== info.samplesPerPixel) {
    throw new CodecError(
      `The codestream is ${width}×${height}×${components}; the data set says ` +
        `${info.columns}×${info.rows}×${info.samplesPerPixel}`,
    );
  }
}

/**
 * Checks a codec's frame against the data set's attributes and returns the samples in the data
 * set's width (`bitsAllocated`): 8-bit codestreams in a 16-bit container are widened, and signed
 * samples narrower than their container are sign-extended (as dcmtk and pydicom give them).
 */
export function fitFrame(bytes: Uint8Array, frame: WasmFrameInfo, info: PixelInfo): Uint8Array {
  expectFrameSize(frame.width, frame.height, frame.componentCount, info);
  const count = info.rows * info.columns * info.samplesPerPixel;
  const codecBytes = frame.bitsPerSample <= 8 ? 1 : 2;
  if (bytes.length < count * codecBytes) {
    throw new CodecError(`The codec gave ${bytes.length} bytes for ${count} samples`);
  }
  // A signed JPEG 2000 codestream decodes to signed values already (lossy ones may leave BitsStored's
  // range), and a codestream wider than BitsStored holds the container's bits: extend neither.
  return fitSamples(
    bytes,
    codecBytes,
    count,
    info,
    frame.isSigned !== true && frame.bitsPerSample <= info.bitsStored,
  );
}

/** Samples of `codecBytes` each to `info.bitsAllocated`, sign-extended from BitsStored when signed. */
export function fitSamples(
  bytes: Uint8Array,
  codecBytes: number,
  count: number,
  info: PixelInfo,
  signExtend = true,
): Uint8Array {
  const outBytes = info.bitsAllocated / 8;
  let out = bytes.subarray(0, count * codecBytes);
  if (codecBytes !== outBytes) {
    const wide = new Uint8Array(count * outBytes);
    if (outBytes === 2) for (let i = 0; i < count; i++) wide[2 * i] = out[i]!;
    else for (let i = 0; i < count; i++) wide[i] = out[2 * i]!;
    out = wide;
  }
  const stored = info.bitsStored;
  if (signExtend && info.pixelRepresentation === 1 && stored < info.bitsAllocated) {
    const shift = 32 - stored;
    if (outBytes === 2) {
      const v = new Uint16Array(out.buffer, out.byteOffset, count);
      for (let i = 0; i < count; i++) v[i] = ((v[i]! << shift) >> shift) & 0xffff;
    } else {
      for (let i = 0; i < count; i++) out[i] = ((out[i]! << shift) >> shift) & 0xff;
    }
  }
  return out;
}

/** A copy of native samples masked to BitsStored, as an encoder of that precision takes them. */
export function maskSamples(native: Uint8Array, info: PixelInfo): Uint8Array {
  const mask = (1 << info.bitsStored) - 1;
  const out = new Uint8Array(native);
  if (info.bitsStored >= info.bitsAllocated) return out;
  if (info.bitsAllocated === 16) {
    const v = new Uint16Array(out.buffer, 0, out.length >> 1);
    for (let i = 0; i < v.length; i++) v[i] = v[i]! & mask;
  } else {
    for (let i = 0; i < out.length; i++) out[i] = out[i]! & mask;
  }
  return out;
}

/**
 * What an encoder is given: samples masked to BitsStored, at that precision — except signed samples
 * narrower than their container, which a coder of unsigned samples (JPEG-LS, lossless JPEG) takes
 * whole at the container's precision, as dcmtk and GDCM write them (so every decoder gives back the
 * sign-extended values), and a signed coder (JPEG 2000) takes as signed values of BitsStored bits.
 */
export function encoderInput(
  native: Uint8Array,
  info: PixelInfo,
  signedCoder: boolean,
): { bytes: Uint8Array; bitsPerSample: number } {
  if (info.pixelRepresentation === 1 && info.bitsStored < info.bitsAllocated) {
    return {
      bytes: new Uint8Array(native),
      bitsPerSample: signedCoder ? info.bitsStored : info.bitsAllocated,
    };
  }
  return { bytes: maskSamples(native, info), bitsPerSample: info.bitsStored };
}

/** The frame description the cornerstone encoders take. */
export function wasmFrameInfo(info: PixelInfo, bitsPerSample: number): WasmFrameInfo {
  return {
    width: info.columns,
    height: info.rows,
    bitsPerSample,
    componentCount: info.samplesPerPixel,
    isSigned: info.pixelRepresentation === 1,
    isUsingColorTransform: false,
  };
}
