/**
 * The msgpack form of an array written by Python's msgpack-numpy 0.4.8 (used by Truss and
 * Chains in binary mode): a 5-entry map with **bin** keys, in this order,
 *
 *     {b'nd': True, b'type': '<f8', b'kind': b'', b'shape': [2, 3], b'data': <bin: C-order bytes>}
 *
 * `type` is numpy's `dtype.str` (a str, always with a byte-order character), `kind` is empty
 * bin for plain numeric arrays (`b'O'` object arrays carry a pickle, `b'V'` structured arrays
 * carry records: berth refuses both and never unpickles).
 *
 * Also here: the msgpackr encoder and decoder configured for Python peers, which the
 * whole-document wire code reuses. Traps in msgpackr 2.1.3 that they avoid:
 * - `new Packr()` defaults to the records extension (`d4 72 ...`): Python fails with ExtraData.
 * - a non-Uint8Array typed array is packed as its *element values* truncated to bytes (garbage);
 *   only Uint8Array/Buffer bytes are packed as bin.
 * - `undefined` packs as ext 0 and `Date` as the timestamp ext, which Python does not turn back
 *   into None or datetime.
 * - integer numbers outside the 32-bit ranges pack as float64 (`cb`), so Python receives a
 *   float where it sent an int; BigInts pack as int64/uint64.
 * - the module-level `unpack` (and any Unpackr given `useRecords:false` without
 *   `mapsAsObjects:false`) throws on maps with bin keys; bin payloads come back as Buffers that
 *   are views on the message at arbitrary offsets (unaligned for typed arrays).
 */
import { Packr } from 'msgpackr';
import { BerthError, boundedText, isBerthError } from '../errors.js';
import { DTYPES, dtypeStr, parseDtype } from '../ndarray/dtype.js';
import type { ParsedDtype } from '../ndarray/dtype.js';
import { allocBytes, asBytes, checkNdArray, fromBytes, normaliseShape } from '../ndarray/ndarray.js';
import type { NdArray } from '../ndarray/ndarray.js';
import { unpackCheckedMap, pythonUnpackr } from './msgpack-scan.js';
import type { WireWhere } from './ndarray-json.js';

export { pythonUnpackr };

/**
 * The msgpack encoder for documents Python reads: plain maps (no records extension), objects
 * as fixmaps like Python's msgpack, `undefined` as nil. Pack through {@link packForPython},
 * which also refuses the values this encoder would still get wrong.
 */
export const pythonPackr = new Packr({
  useRecords: false,
  encodeUndefinedAsNil: true,
  variableMapSize: true,
});

// Bin keys are reused across calls; msgpackr packs a Buffer key as bin, like Python's bytes.
const KEY = {
  nd: Buffer.from('nd', 'latin1'),
  type: Buffer.from('type', 'latin1'),
  kind: Buffer.from('kind', 'latin1'),
  shape: Buffer.from('shape', 'latin1'),
  data: Buffer.from('data', 'latin1'),
} as const;
const EMPTY = new Uint8Array(0);

/** An array as msgpack-numpy's map: bin keys `nd`, `type`, `kind`, `shape`, `data` in that order. */
export type NdarrayMsgpackMap = Map<Buffer, boolean | string | Uint8Array | number[]>;

/**
 * The msgpack-numpy map of an array, to embed in a document packed with {@link pythonPackr}.
 * `data` is a Uint8Array view of the array's bytes (no copy; msgpackr copies it once into the
 * message).
 */
export function encodeNdarrayMsgpack(arr: NdArray): NdarrayMsgpackMap {
  checkNdArray(arr, { code: 'BERTH_E_WIRE_NDARRAY' });
  return new Map<Buffer, boolean | string | Uint8Array | number[]>([
    [KEY.nd, true],
    [KEY.type, dtypeStr(arr.dtype)],
    [KEY.kind, EMPTY],
    [KEY.shape, [...arr.shape]],
    [KEY.data, asBytes(arr)],
  ]);
}

// --- packing one array by hand: exact size, one copy, no retained encoder buffer -------------

function uintBytes(n: number): number[] {
  // Python's msgpack writes non-negative ints in the smallest form.
  if (n < 0x80) return [n];
  if (n < 0x100) return [0xcc, n];
  if (n < 0x10000) return [0xcd, n >> 8, n & 0xff];
  if (n < 0x100000000) return [0xce, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const hi = Math.floor(n / 0x100000000);
  const lo = n >>> 0;
  return [0xcf, ...uintBytes32(hi), ...uintBytes32(lo)];
}

function uintBytes32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function binKey(name: string): number[] {
  return [0xc4, name.length, ...Buffer.from(name, 'latin1')];
}

/**
 * The msgpack bytes of an array alone, byte-identical to Python's
 * `msgpack.packb(arr, default=msgpack_numpy.encode)`. Same bytes as packing
 * {@link encodeNdarrayMsgpack} with {@link pythonPackr}, but allocated at the exact size with
 * one copy of the data, and with the data 64-byte aligned in memory (the returned Buffer starts
 * at a small offset into its ArrayBuffer).
 */
export function packNdarray(arr: NdArray): Buffer {
  checkNdArray(arr, { code: 'BERTH_E_WIRE_NDARRAY' });
  const type = dtypeStr(arr.dtype);
  const n = arr.shape.length;
  const len = arr.data.byteLength;
  const head: number[] = [0x85, ...binKey('nd'), 0xc3, ...binKey('type'), 0xa0 | type.length];
  head.push(...Buffer.from(type, 'latin1'), ...binKey('kind'), 0xc4, 0x00, ...binKey('shape'));
  if (n < 16) head.push(0x90 | n);
  else head.push(0xdc, n >> 8, n & 0xff);
  for (const d of arr.shape) head.push(...uintBytes(d));
  head.push(...binKey('data'));
  if (len < 0x100) head.push(0xc4, len);
  else if (len < 0x10000) head.push(0xc5, len >> 8, len & 0xff);
  else if (len < 0x100000000) head.push(0xc6, ...uintBytes32(len));
  else
    throw new BerthError('BERTH_E_TOO_LARGE', `msgpack bin holds at most 4 GiB; the array has ${len} bytes`);
  // The message starts a little into its buffer so that the data lands on a 64-byte boundary:
  // an aligned copy is almost twice as fast as a misaligned one, and the result decodes in this
  // process without a copy.
  const pad = (64 - (head.length % 64)) % 64;
  const out = allocBytes(pad + head.length + len);
  out.set(head, pad);
  out.set(asBytes(arr), pad + head.length);
  return out.subarray(pad);
}

// --- decoding ---------------------------------------------------------------------------

type Fields = Partial<Record<keyof typeof KEY, unknown>>;

const EXPECTED = "msgpack-numpy's map {nd: true, type: '<f8', kind: b'', shape: [...], data: <bin>}";

function wireError(detail: string, where: WireWhere): BerthError {
  return new BerthError('BERTH_E_WIRE_NDARRAY', detail, { ...where, expected: EXPECTED });
}

function keyName(k: unknown): string | undefined {
  if (typeof k === 'string') return k;
  if (k instanceof Uint8Array && k.byteLength <= 5)
    return Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('latin1');
  return undefined;
}

// Reads the five fields from a Map (bin or str keys) or a plain object (str keys).
function fieldsOf(value: unknown, where: WireWhere): Fields | undefined {
  const out: Fields = {};
  let seen = false;
  const put = (name: string | undefined, v: unknown): void => {
    if (name === undefined || !Object.prototype.hasOwnProperty.call(KEY, name)) return;
    const key = name as keyof typeof KEY;
    if (key in out) throw wireError(`The ndarray map has the key '${name}' twice (as bin and as str)`, where);
    out[key] = v;
    seen = true;
  };
  if (value instanceof Map) {
    for (const [k, v] of value) put(keyName(k), v);
  } else if (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  ) {
    for (const [k, v] of Object.entries(value)) put(k, v);
  } else return undefined;
  return seen ? out : undefined;
}

/**
 * True when `value` is a decoded msgpack map with an `nd` key (bin or str): what msgpack-numpy's
 * decoder treats as an array or numpy scalar.
 */
export function isNdarrayMsgpack(value: unknown): boolean {
  try {
    const f = fieldsOf(value, {});
    return f !== undefined && 'nd' in f;
  } catch {
    return true;
  }
}

function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1');
  return undefined;
}

/** Options of {@link decodeNdarrayMsgpack}. */
export interface DecodeNdarrayMsgpackOptions extends WireWhere {
  /**
   * Always copy the data. By default the array is a view on the message's bytes when they are
   * little-endian and aligned, so it changes if the message buffer is reused.
   */
  copy?: boolean;
}

/**
 * Decodes a msgpack-numpy map (as decoded by {@link pythonUnpackr}: a `Map` with bin keys; also
 * the str-keyed variant JS encoders produce, as a `Map` or a plain object) into an array.
 *
 * Accepted as Python 0.4.8 accepts them: `type` as str or bin, in str or name form and either
 * byte order; `kind` absent, `''` or `b''`. A numpy scalar map (`nd` false, B.4.2) decodes to a
 * 0-d array. Refused: `kind` `O` or `V` and list-valued `type` (object and structured arrays:
 * `BERTH_E_WIRE_UNSAFE`, never unpickled); `nd` other than a boolean (Python would misread `1`);
 * data longer or shorter than the shape (Python 0.4.8 silently truncates longer data).
 */
export function decodeNdarrayMsgpack(value: unknown, options: DecodeNdarrayMsgpackOptions = {}): NdArray {
  const where: WireWhere = { path: options.path, property: options.property };
  const f = fieldsOf(value, where);
  if (f === undefined || !('nd' in f))
    throw wireError('The value is not a msgpack-numpy map (no nd key)', where);
  if (typeof f.nd !== 'boolean') {
    throw wireError(`The ndarray map's nd is ${JSON.stringify(f.nd)}, not true or false`, where);
  }
  const kind = f.kind === undefined ? '' : textOf(f.kind);
  if (kind === 'O' || kind === 'V') {
    throw new BerthError(
      'BERTH_E_WIRE_UNSAFE',
      kind === 'O'
        ? 'The ndarray map holds an object array (a Python pickle), which berth never unpickles'
        : 'The ndarray map holds a structured (record) array, which berth does not read',
      { ...where, expected: 'a numeric array (kind empty)' },
    );
  }
  if (kind !== '')
    throw wireError(`The ndarray map's kind ${JSON.stringify(kind)} is not empty, O or V`, where);
  if (Array.isArray(f.type)) {
    throw new BerthError('BERTH_E_WIRE_UNSAFE', 'The ndarray map has a structured dtype description', {
      ...where,
      expected: 'a numeric dtype such as <f8',
    });
  }
  const typeText = textOf(f.type);
  if (typeText === undefined) throw wireError("The ndarray map's type is not a string", where);
  const parsed: ParsedDtype = parseDtype(typeText, {
    code: 'BERTH_E_WIRE_NDARRAY',
    unsafeCode: 'BERTH_E_WIRE_UNSAFE',
    ...where,
  });
  if (!(f.data instanceof Uint8Array)) throw wireError("The ndarray map's data is not bin", where);
  let shape: number[];
  if (f.nd) {
    if (f.shape === undefined) throw wireError('The ndarray map has no shape', where);
    shape = normaliseShape(f.shape, { code: 'BERTH_E_WIRE_NDARRAY', ...where });
  } else {
    shape = [];
    if (f.data.byteLength !== DTYPES[parsed.dtype].itemSize) {
      throw wireError(
        `The numpy scalar's data is ${f.data.byteLength} bytes, not one ${parsed.dtype}`,
        where,
      );
    }
  }
  return fromBytes(parsed.dtype, shape, f.data, {
    byteOrder: parsed.byteOrder,
    copy: options.copy ?? false,
    code: 'BERTH_E_WIRE_NDARRAY',
    ...where,
  });
}

/**
 * Decodes msgpack bytes holding one msgpack-numpy array (one map and nothing after it, checked
 * before parsing as documents are: see ./msgpack-scan.ts).
 */
export function unpackNdarray(bytes: Uint8Array, options: DecodeNdarrayMsgpackOptions = {}): NdArray {
  let value: unknown;
  try {
    // A map holding the shape list: two levels.
    value = unpackCheckedMap(bytes, 2);
  } catch (e) {
    if (!isBerthError(e)) throw e;
    throw new BerthError(e.code, e.detail, {
      path: options.path ?? e.path,
      ...(options.property === undefined ? {} : { property: options.property }),
      ...(e.expected === undefined ? {} : { expected: e.expected }),
      cause: e,
    });
  }
  return decodeNdarrayMsgpack(value, options);
}

// --- documents for Python ---------------------------------------------------------------

const INT32_MIN = -0x80000000;
const UINT32_MAX = 0xffffffff;

/**
 * A copy of `value` that {@link pythonPackr} packs the way Python expects, and refuses what it
 * cannot: integer numbers beyond 32 bits become BigInt (else msgpackr writes float64),
 * `NdArray`-shaped values must already be maps (see {@link encodeNdarrayMsgpack}); Dates, typed
 * arrays other than Uint8Array, Sets, RegExps, functions and symbols are refused
 * (`BERTH_E_WIRE_FORMAT`). Uint8Array contents are not copied.
 */
export function toPythonMsgpackValue(value: unknown, depth = 0): unknown {
  if (depth > 512) throw new BerthError('BERTH_E_TOO_DEEP', 'The document is nested too deeply for msgpack');
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) &&
        (value < INT32_MIN || value > UINT32_MAX) &&
        Number.isSafeInteger(value)
        ? BigInt(value)
        : value;
    case 'string':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return value;
    case 'object':
      break;
    default:
      throw new BerthError('BERTH_E_WIRE_FORMAT', `A ${typeof value} cannot be sent to Python in msgpack`);
  }
  if (value === null || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map((v) => toPythonMsgpackValue(v, depth + 1));
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    for (const [k, v] of value)
      out.set(toPythonMsgpackValue(k, depth + 1), toPythonMsgpackValue(v, depth + 1));
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw new BerthError(
      'BERTH_E_WIRE_FORMAT',
      `A ${name} cannot be sent to Python in msgpack` +
        (ArrayBuffer.isView(value)
          ? ' (only Uint8Array bytes; encode arrays with encodeNdarrayMsgpack)'
          : ''),
    );
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toPythonMsgpackValue(v, depth + 1);
  return out;
}

/** Packs a document for a Python peer: {@link toPythonMsgpackValue}, then {@link pythonPackr}. */
export function packForPython(value: unknown): Buffer {
  const safe = toPythonMsgpackValue(value);
  try {
    return pythonPackr.pack(safe);
  } catch (e) {
    if (isBerthError(e)) throw e;
    throw new BerthError('BERTH_E_WIRE_FORMAT', `The value cannot be packed as msgpack: ${boundedText(e)}`, {
      cause: e,
    });
  }
}
