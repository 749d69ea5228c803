/**
 * The gateway's codec over berth's wire encodings (src/wire, the README, "Wire formats"): JSON with files as
 * base64 and ndarrays as `NumpyArrayField`, msgpack with files as bin and ndarrays as
 * msgpack-numpy maps — Chains' two modes.
 */
import { decodeTree, encodeTree, type WireLimits } from '../../wire/case.js';
import type { CaseCodec } from './codec.js';

/**
 * Documents ⇄ trees through src/wire with the given limits (entries per document and per list,
 * document size …); decode errors carry JSON pointers into the document.
 */
export function wireCodecWith(limits: WireLimits): CaseCodec {
  return {
    decode: (format, props, body, dir) => decodeTree(format, props, body, dir, limits),
    encode: async (format, props, dir) => ({ format, bytes: await encodeTree(format, props, dir, limits) }),
  };
}

/** {@link wireCodecWith} the wire formats' default limits. */
export const wireCodec: CaseCodec = wireCodecWith({});
