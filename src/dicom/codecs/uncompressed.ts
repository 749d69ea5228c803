/** Encapsulated Uncompressed Explicit VR Little Endian (1.2.840.10008.1.2.1.98): frames are native bytes. */
import { CodecError, type FrameCodec, type PixelInfo } from './types.js';

function frameBytes(info: PixelInfo): number {
  return info.rows * info.columns * info.samplesPerPixel * (info.bitsAllocated / 8);
}

export function load(uid: string): Promise<FrameCodec> {
  return Promise.resolve({
    uid,
    decode(frame, info) {
      const need = frameBytes(info);
      if (frame.length < need)
        throw new CodecError(`The frame is ${frame.length} bytes; the image needs ${need}`);
      return {
        bytes: new Uint8Array(frame.subarray(0, need)),
        photometricInterpretation: info.photometricInterpretation,
      };
    },
    encode: (native) => new Uint8Array(native),
  });
}
