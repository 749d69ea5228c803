/**
 * The EIR streaming data protocol 1.0, as EIR 0.23.0 speaks it (notes/wire-formats.md PART A):
 * the message shapes in both directions, the dataset info and sample shapes, a defensive parser
 * for what clients send, and checks that a dataset info or a sample is one EIR can decode.
 *
 * The shapes follow what EIR actually sends and accepts, not the TypedDicts in EIR's
 * `protocol.py`: `info` carries the dataset info itself as payload and `data` a bare list.
 */
import type { JsonObject, JsonValue } from '../../manifest/document.js';

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

// --- parsing ---------------------------------------------------------------------------------

/** Limits the parser enforces. */
export interface ParseOptions {
  /** The largest `batch_size` accepted; larger ones are refused with an error reply. */
  maxBatchSize: number;
}

/** The outcome of parsing one incoming frame: a message, or the text of the error reply to send. */
export type ParseResult =
  { ok: true; message: EirClientMessage } | { ok: false; error: string; type?: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The type of a JSON value, in words, for error messages. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses one incoming frame. Never throws: anything malformed (bad UTF-8, bad JSON, not an
 * object, unknown or missing `type`, missing or wrong payload, a `batch_size` that is not an
 * integer in `[1, maxBatchSize]`) becomes the text of an error reply, so one bad message costs
 * the client one error reply and nothing else.
 *
 * Payloads are read defensively, as EIR's reference servers do (`data.get("payload", {})`):
 * messages that need no payload accept any or none.
 */
export function parseClientMessage(data: string | Uint8Array, options: ParseOptions): ParseResult {
  let text: string;
  if (typeof data === 'string') text = data;
  else {
    try {
      // EIR sends text frames; a binary frame holding UTF-8 JSON is accepted the way EIR itself
      // accepts binary JSON from servers.
      text = utf8.decode(data);
    } catch {
      return { ok: false, error: 'The message is not valid UTF-8' };
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `The message is not valid JSON: ${(e as Error).message}` };
  }
  if (!isPlainObject(doc))
    return { ok: false, error: `The message must be a JSON object, not ${describe(doc)}` };
  const type = doc['type'];
  if (typeof type !== 'string') {
    return { ok: false, error: `The message has no "type" string (found ${describe(type)})` };
  }
  const payload = doc['payload'];
  switch (type) {
    case 'handshake': {
      const version = doc['version'];
      if (typeof version !== 'string') {
        return { ok: false, type, error: `handshake needs a "version" string (found ${describe(version)})` };
      }
      const workerId = doc['worker_id'];
      if (workerId !== undefined && !(Number.isSafeInteger(workerId) && (workerId as number) >= 0)) {
        return { ok: false, type, error: `handshake "worker_id" must be a non-negative integer` };
      }
      return {
        ok: true,
        message:
          workerId === undefined ? { type, version } : { type, version, worker_id: workerId as number },
      };
    }
    case 'getInfo':
    case 'heartbeat':
    case 'reset':
    case 'status':
      return { ok: true, message: { type } };
    case 'getData': {
      if (!isPlainObject(payload)) {
        return {
          ok: false,
          type,
          error: `getData needs a payload {"batch_size": N} (found ${describe(payload)})`,
        };
      }
      const size = payload['batch_size'];
      if (!Number.isSafeInteger(size) || (size as number) < 1 || (size as number) > options.maxBatchSize) {
        return {
          ok: false,
          type,
          error: `getData "batch_size" must be an integer from 1 to ${options.maxBatchSize} (found ${describe(size)})`,
        };
      }
      return { ok: true, message: { type, payload: { batch_size: size as number } } };
    }
    case 'setValidationIds': {
      const ids = isPlainObject(payload) ? payload['validation_ids'] : undefined;
      if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === 'string')) {
        return {
          ok: false,
          type,
          error: 'setValidationIds needs a payload {"validation_ids": [<sample_id>, ...]} with string ids',
        };
      }
      return { ok: true, message: { type, payload: { validation_ids: ids } } };
    }
    default:
      return { ok: false, type, error: `Unknown message type: ${JSON.stringify(type.slice(0, 60))}` };
  }
}

// --- checks on what a source gives ------------------------------------------------------------

/** Product of a shape, or NaN when the shape is not a list of non-negative integers. */
export function shapeSize(shape: unknown): number {
  if (!Array.isArray(shape) || shape.length === 0) return NaN;
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) return NaN;
    n *= d as number;
  }
  return n;
}

/**
 * Problems that would make EIR fail on this dataset info, each as one sentence; empty when it is
 * usable. EIR reads `shape` of `array` and `omics` unconditionally, and omics must be 2-D.
 */
export function checkDatasetInfo(info: unknown): string[] {
  const problems: string[] = [];
  if (!isPlainObject(info))
    return [`The dataset info must be an object {inputs, outputs}, not ${describe(info)}`];
  for (const side of ['inputs', 'outputs'] as const) {
    const entries = info[side];
    if (!isPlainObject(entries)) {
      problems.push(`The dataset info needs "${side}" as an object (found ${describe(entries)})`);
      continue;
    }
    const allowed: readonly string[] = side === 'inputs' ? EIR_INPUT_TYPES : EIR_OUTPUT_TYPES;
    for (const [name, entry] of Object.entries(entries)) {
      const where = `${side}.${name}`;
      if (!isPlainObject(entry)) {
        problems.push(`${where} must be an object {type, shape?}`);
        continue;
      }
      const type = entry['type'];
      if (typeof type !== 'string' || !allowed.includes(type)) {
        problems.push(`${where}.type must be one of ${allowed.join(', ')} (found ${describe(type)})`);
        continue;
      }
      if (type === 'array' || type === 'omics') {
        const n = shapeSize(entry['shape']);
        if (Number.isNaN(n))
          problems.push(`${where}.shape must be a non-empty list of non-negative integers`);
        else if (type === 'omics' && (entry['shape'] as number[]).length !== 2) {
          problems.push(`${where}.shape must be 2-D for omics (EIR asserts it)`);
        }
      }
      const mode = entry['mode'];
      if (mode !== undefined && mode !== null && !(EIR_IMAGE_MODES as readonly unknown[]).includes(mode)) {
        problems.push(`${where}.mode must be one of ${EIR_IMAGE_MODES.join(', ')}`);
      }
    }
  }
  return problems;
}

const SAMPLE_KEYS = ['inputs', 'target_labels', 'sample_id'] as const;

/**
 * Checks the structure of a sample a source returned for `id` and returns it as a fresh object
 * with exactly the three keys EIR's `Sample(**d)` takes, or the problem in one sentence.
 * Structure only: the values are the source's business ({@link checkSampleValues} goes further).
 */
export function toWireSample(
  value: unknown,
  id: string,
): { ok: true; sample: EirSample } | { ok: false; error: string } {
  if (!isPlainObject(value)) return { ok: false, error: `sample ${id} is not an object` };
  const extra = Object.keys(value).filter((k) => !(SAMPLE_KEYS as readonly string[]).includes(k));
  if (extra.length > 0) {
    // Dropping them silently would hide a mapping bug; EIR itself would crash on them.
    return { ok: false, error: `sample ${id} has keys EIR does not accept: ${extra.join(', ')}` };
  }
  const { inputs, target_labels: targets, sample_id: sampleId } = value;
  if (sampleId !== id) {
    return { ok: false, error: `sample ${id} carries sample_id ${describe(sampleId)}` };
  }
  if (!isPlainObject(inputs)) return { ok: false, error: `sample ${id} "inputs" is not an object` };
  if (!isPlainObject(targets)) return { ok: false, error: `sample ${id} "target_labels" is not an object` };
  return {
    ok: true,
    sample: {
      inputs: inputs as Record<string, EirInputValue>,
      target_labels: targets as Record<string, EirTargetValue>,
      sample_id: id,
    },
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decoded byte length of a standard, padded base64 string, or NaN if it is not one (A.7: EIR silently corrupts URL-safe base64). */
export function base64ByteLength(text: string): number {
  if (!BASE64.test(text)) return NaN;
  return (text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
}

function checkBase64Size(where: string, value: unknown, bytes: number, problems: string[]): void {
  if (typeof value !== 'string') {
    problems.push(`${where} must be a base64 string`);
    return;
  }
  const n = base64ByteLength(value);
  if (Number.isNaN(n)) problems.push(`${where} is not standard padded base64`);
  else if (!Number.isNaN(bytes) && n !== bytes) problems.push(`${where} holds ${n} bytes, expected ${bytes}`);
}

/**
 * Problems EIR would meet decoding this sample against `info` (A.7), each as one sentence:
 * inputs by modality (float32 arrays of `4·prod(shape)` bytes, omics one byte per element,
 * base64 standard and padded), target labels present in `outputs` and nested as EIR expects.
 * Inputs missing from `info.inputs` are allowed: EIR passes them through.
 */
export function checkSampleValues(info: EirDatasetInfo, sample: EirSample): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(sample.inputs)) {
    const entry = info.inputs[name];
    if (entry === undefined) continue;
    const where = `inputs.${name}`;
    switch (entry.type) {
      case 'sequence':
        if (typeof value !== 'string') problems.push(`${where} must be a string`);
        break;
      case 'tabular':
        if (!isPlainObject(value)) problems.push(`${where} must be an object of columns`);
        break;
      case 'array':
        checkBase64Size(where, value, 4 * shapeSize(entry.shape), problems);
        break;
      case 'omics':
        checkBase64Size(where, value, shapeSize(entry.shape), problems);
        break;
      case 'image':
        checkBase64Size(where, value, NaN, problems);
        break;
    }
  }
  for (const [name, value] of Object.entries(sample.target_labels)) {
    const entry = info.outputs[name];
    const where = `target_labels.${name}`;
    if (entry === undefined) {
      problems.push(`${where} is not an output of the dataset info (EIR fails on it)`);
      continue;
    }
    if (!isPlainObject(value)) {
      problems.push(`${where} must be an object`);
      continue;
    }
    const nested: JsonValue | undefined = value[name];
    switch (entry.type) {
      case 'array':
        checkBase64Size(`${where}.${name}`, nested, 4 * shapeSize(entry.shape), problems);
        break;
      case 'image':
        checkBase64Size(`${where}.${name}`, nested, NaN, problems);
        break;
      case 'sequence':
        if (typeof nested !== 'string') problems.push(`${where}.${name} must be a string`);
        break;
      case 'tabular':
      case 'survival':
        break;
    }
  }
  return problems;
}

/**
 * Problems with a source's id list: ids must be unique non-empty strings that are safe as a file
 * name, because EIR's setup phase saves `<sample_id>.npy` / `.png`.
 */
export function checkSampleIds(ids: readonly unknown[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [i, id] of ids.entries()) {
    if (problems.length >= 10) break;
    if (typeof id !== 'string' || id.length === 0) problems.push(`id #${i} must be a non-empty string`);
    else if (id === '.' || id === '..' || /[/\\\0]/.test(id)) {
      problems.push(`id ${JSON.stringify(id)} is not a safe file name (EIR saves <sample_id>.npy)`);
    } else if (seen.has(id)) problems.push(`id ${JSON.stringify(id)} occurs more than once`);
    else seen.add(id);
  }
  return problems;
}
