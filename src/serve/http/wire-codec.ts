/**
 * The gateway's codec over berth's wire encodings (src/wire, the README, "Wire formats"): JSON with files as
 * base64 and ndarrays as `NumpyArrayField`, msgpack with files as bin and ndarrays as
 * msgpack-numpy maps — Chains' two modes.
 */
import { decodeTree, encodeTree } from '../../wire/case.js';
import type { CaseCodec } from './codec.js';

/** Documents ⇄ trees through src/wire; decode errors carry JSON pointers into the document. */
export const wireCodec: CaseCodec = {
  decode: (format, props, body, dir) => decodeTree(format, props, body, dir),
  encode: async (format, props, dir) => ({ format, bytes: await encodeTree(format, props, dir) }),
};
