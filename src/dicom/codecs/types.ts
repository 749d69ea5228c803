/**
 * The shape every frame codec has: one module per transfer syntax (or family) under this folder,
 * loaded on first use by the registry (index.ts).
 */

/** What a codec needs to know about the image a frame belongs to (from the data set). */
export interface PixelInfo {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  /** 8 or 16 for every codec (1 and 32 are native only). */
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  /** 0 unsigned, 1 two's complement. */
  readonly pixelRepresentation: number;
  readonly photometricInterpretation: string;
}

/** A decoded frame: native little endian samples, interleaved (R G B R G B …), rows × columns × samples. */
export interface DecodedFrame {
  readonly bytes: Uint8Array;
  /**
   * The photometric interpretation of the decoded samples (codecs that undo a colour transform —
   * JPEG's YCbCr, JPEG 2000's RCT/ICT — give RGB).
   */
  readonly photometricInterpretation: string;
}

/** A codec for one transfer syntax. */
export interface FrameCodec {
  readonly uid: string;
  /** Decodes one frame's compressed bytes. */
  decode(frame: Uint8Array, info: PixelInfo): DecodedFrame;
  /**
   * Encodes one native frame (as {@link DecodedFrame.bytes}); lossless codecs only. The result is
   * one frame's compressed bytes (even-length padding is the writer's business).
   */
  encode?(native: Uint8Array, info: PixelInfo): Uint8Array;
  /** The photometric interpretation an encoded frame is declared with. */
  encodedPhotometric?(info: PixelInfo): string;
}

/** A corrupt or unsupported codestream: the message says what the codec found. */
export class CodecError extends Error {}

/** A valid codestream berth has no decoder for (progressive or arithmetic-coded JPEG, subsampled lossless JPEG). */
export class UnsupportedCodestreamError extends CodecError {}
