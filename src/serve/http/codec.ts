/**
 * How request bodies become input trees and output trees become answers: the gateway's only view
 * of the wire encodings (src/wire), so that it can be tested, and benchmarked, with any codec.
 */
import type { Property } from '../../kinds/property.js';
import type { WireFormat } from './media-type.js';

/** An output document, encoded: UTF-8 JSON text or msgpack, as bytes. */
export interface EncodedDocument {
  format: WireFormat;
  bytes: Uint8Array;
}

/** Documents ⇄ trees, by schema side. */
export interface CaseCodec {
  /**
   * Writes the document in `body` (the raw request bytes) as a tree into `dir` (which exists and
   * is empty). Throws a BerthError with the problem's code for a malformed document, an undeclared
   * property, a missing one, or an invalid value.
   */
  decode(format: WireFormat, props: readonly Property[], body: Buffer, dir: string): Promise<void>;
  /** Reads the tree in `dir` as a document in the format asked for. */
  encode(format: WireFormat, props: readonly Property[], dir: string): Promise<EncodedDocument>;
}
