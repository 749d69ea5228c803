/**
 * The EIR streaming data protocol 1.0, as EIR 0.23.0 speaks it (notes/wire-formats.md PART A):
 * the message shapes in both directions, the dataset info and sample shapes. The parser for what
 * clients send is ./protocol-parse.ts; the checks that a dataset info or a sample is one EIR can
 * decode are ./protocol-checks.ts.
 *
 * The shapes follow what EIR actually sends and accepts, not the TypedDicts in EIR's
 * `protocol.py`: `info` carries the dataset info itself as payload and `data` a bare list.
 */
import type { JsonObject } from '../../manifest/document.js';

/** The only protocol version EIR 0.23.0 speaks; the handshake reply must carry exactly this. */
export const EIR_PROTOCOL_VERSION = '1.0';

/** What a `data` payload holds, alone, once the stream is exhausted (A.5). */
export const EIR_TERMINATE = 'terminate';

// --- dataset info (A.6) ----------------------------------------------------------------------

/** Input modalities EIR can stream (`bytes` is not supported for streaming). */
export const EIR_INPUT_TYPES = ['sequence', 'tabular', 'omics', 'image', 'array'] as const;
/** Output modalities EIR can stream. */
export const EIR_OUTPUT_TYPES = ['tabular', 'array', 'image', 'sequence', 'survival'] as const;
/** PIL modes EIR may convert streamed images to. */
export const EIR_IMAGE_MODES = ['L', 'RGB', 'RGBA'] as const;

/** One input modality of {@link EirInputType}. */
export type EirInputType = (typeof EIR_INPUT_TYPES)[number];
/** One output modality of {@link EirOutputType}. */
export type EirOutputType = (typeof EIR_OUTPUT_TYPES)[number];
/** A PIL image mode. */
export type EirImageMode = (typeof EIR_IMAGE_MODES)[number];

/** One input of the dataset info. `shape` is required for `array` and `omics` (EIR reads `info["shape"]`). */
export interface EirInputInfo {
  type: EirInputType;
  shape?: number[] | null;
  /** Undocumented, read by EIR's setup gatherer for images only. */
  mode?: EirImageMode;
}

/** One output of the dataset info. `shape` is required for `array`. */
export interface EirOutputInfo {
  type: EirOutputType;
  shape?: number[] | null;
}

/** The payload of an `info` reply: exactly `{inputs, outputs}`, not wrapped in `dataset_info`. */
export interface EirDatasetInfo {
  inputs: Record<string, EirInputInfo>;
  outputs: Record<string, EirOutputInfo>;
}

// --- samples (A.7) ---------------------------------------------------------------------------

/**
 * One input value: a string (sequence; base64 for array, omics and image) or a column mapping
 * (tabular).
 */
export type EirInputValue = string | JsonObject;

/**
 * One target value, always a mapping: tabular and survival by column, array, image and sequence
 * nested once more under the output's own name.
 */
export type EirTargetValue = JsonObject;

/**
 * One sample on the wire. EIR builds `Sample(**sample)` from it, so these three keys and no
 * others: any extra key crashes training.
 */
export interface EirSample {
  inputs: Record<string, EirInputValue>;
  target_labels: Record<string, EirTargetValue>;
  sample_id: string;
}

/** What the protocol layer needs from a dataset. */
export interface EirSampleSource {
  /** `{inputs, outputs}` exactly as EIR expects it in the `info` reply. */
  info(): EirDatasetInfo;
  /** All sample ids, in a stable order; read once at start and again at every reset. */
  ids(): readonly string[];
  /** The sample with this id: `{inputs, target_labels, sample_id}` and nothing else. */
  sample(id: string): Promise<EirSample>;
}

// --- client → server (A.3, C1–C7) ------------------------------------------------------------

/** C1: first message on every connection. */
export interface EirHandshakeRequest {
  type: 'handshake';
  version: string;
  worker_id?: number;
}
/** C2: EIR sends no `payload` key. */
export interface EirGetInfoRequest {
  type: 'getInfo';
}
/** C3: a batch of at most `batch_size` samples. */
export interface EirGetDataRequest {
  type: 'getData';
  payload: { batch_size: number };
}
/** C4: EIR sends no `payload` key. */
export interface EirHeartbeatRequest {
  type: 'heartbeat';
}
/** C5a/C5b: EIR sends it with no payload during validation and with `{}` from the gatherer. */
export interface EirResetRequest {
  type: 'reset';
}
/** C6: EIR sends `{}` as payload; it carries nothing. */
export interface EirStatusRequest {
  type: 'status';
}
/** C7: ids of samples EIR keeps for validation; the server excludes them from later training data. */
export interface EirSetValidationIdsRequest {
  type: 'setValidationIds';
  payload: { validation_ids: string[] };
}

/** Any message a client may send, after parsing (payloads EIR leaves empty are dropped). */
export type EirClientMessage =
  | EirHandshakeRequest
  | EirGetInfoRequest
  | EirGetDataRequest
  | EirHeartbeatRequest
  | EirResetRequest
  | EirStatusRequest
  | EirSetValidationIdsRequest;

/** The `type` of a client message. */
export type EirClientMessageType = EirClientMessage['type'];

/** Every client message type, for the unknown-type check. */
export const EIR_CLIENT_MESSAGE_TYPES: readonly EirClientMessageType[] = [
  'handshake',
  'getInfo',
  'getData',
  'heartbeat',
  'reset',
  'status',
  'setValidationIds',
];

// --- server → client (A.3, S1–S8) ------------------------------------------------------------

/** A reply payload that only carries text for EIR's logs. */
export interface EirMessagePayload {
  message: string;
}

/** S1: `version` must be present and equal "1.0" or EIR fails the connection. */
export interface EirHandshakeReply {
  type: 'handshake';
  version: typeof EIR_PROTOCOL_VERSION;
}
/** S2: the payload is the dataset info itself. */
export interface EirInfoReply {
  type: 'info';
  payload: EirDatasetInfo;
}
/** S3: a bare list of samples, or exactly `["terminate"]` once exhausted. */
export interface EirDataReply {
  type: 'data';
  payload: EirSample[] | [typeof EIR_TERMINATE];
}
/** S4: the payload is optional; berth sends none, as in the notes' transcript. */
export interface EirHeartbeatReply {
  type: 'heartbeat';
  payload?: EirMessagePayload;
}
/** S5, first of the two replies to a reset. */
export interface EirResetConfirmationReply {
  type: 'resetConfirmation';
  payload: EirMessagePayload;
}
/** S5, second of the two replies to a reset; EIR reads its `payload.message`. */
export interface EirResetReply {
  type: 'reset';
  payload: EirMessagePayload;
}
/** S6: EIR only logs the payload. */
export interface EirStatusReply {
  type: 'status';
  payload: JsonObject;
}
/** S7: any other type here is fatal to EIR. */
export interface EirValidationIdsConfirmationReply {
  type: 'validationIdsConfirmation';
  payload: EirMessagePayload;
}
/** S8: EIR logs it; in its getData loops it simply asks again. */
export interface EirErrorReply {
  type: 'error';
  payload: EirMessagePayload;
}

/** Any message the server sends. */
export type EirServerMessage =
  | EirHandshakeReply
  | EirInfoReply
  | EirDataReply
  | EirHeartbeatReply
  | EirResetConfirmationReply
  | EirResetReply
  | EirStatusReply
  | EirValidationIdsConfirmationReply
  | EirErrorReply;

/** Builds an S8 error reply. */
export function errorReply(message: string): EirErrorReply {
  return { type: 'error', payload: { message } };
}
